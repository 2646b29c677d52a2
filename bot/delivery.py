"""One delivery layer for every Bot API call: Telegram's limits honoured, nothing silently lost.

- 429: wait `retry_after` and send again, however many times Telegram asks (aiogram alone
  gives up and the reply is lost); only a single wait over max_retry_after gives up;
- 5xx and network errors: retry with bounded exponential backoff;
- "can't parse entities": resend as plain text rather than drop the message;
- calls into a group are paced under Telegram's ~20 a minute per group, sends, edits and topic
  operations together, in a rolling window, so a busy staff group slows down instead of being
  rate-limited; what waits for the window goes by priority (handoff.pacing): people's
  messages, then new topics, then card refreshes, which also leave a few places free;
- a private chat gets about one message a second, with short bursts (a token bucket), and
  the bot ~30 a second in all (a rolling second).

Per-chat order holds because callers await each send under the per-chat update lock.
"""

from __future__ import annotations

import asyncio
import heapq
import html
import itertools
import logging
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import TelegramType

from handoff import pacing
from handoff.pacing import Priority

log = logging.getLogger(__name__)

TAG = re.compile(r"<[^>]+>")
# What counts against a group's budget: every message posted, every edit, and the topic
# operations, which post a service message ("creating a forum topic is sending a message").
PACED_PREFIXES = ("Send", "Copy", "Forward", "Edit")
PACED_METHODS = {
    "CreateForumTopic",
    "EditForumTopic",
    "CloseForumTopic",
    "ReopenForumTopic",
    "PinChatMessage",
}
FREE_METHODS = {"SendChatAction"}
PRIVATE_BUCKETS_KEPT = 10_000
# Telegram counts a call when it arrives; a second of margin keeps a full window from
# brushing against the limit.
WINDOW = 61.0


def html_to_plain(text: str) -> str:
    return html.unescape(TAG.sub("", text))


@dataclass
class DeliveryStats:
    """Counters for health and metrics endpoints."""

    retries: int = 0
    failures: int = 0
    plain_text_fallbacks: int = 0
    paced_waits: int = 0


# A second call after a lost answer would make a second topic: the caller decides (the desk
# records that a topic may exist, handoff.desk).
NOT_REPEATABLE = {"CreateForumTopic"}


def messages_in(method: TelegramMethod[Any]) -> int:
    """How many messages a call sends: Telegram counts each message of an album (a
    sendMediaGroup's part, each id of a copyMessages) against the budgets, not the call: an
    album past them fails as "failed to send message #1 … Too Many Requests: retry after 8"
    (rubenlagus/TelegramBots#1520)."""
    for key in ("message_ids", "media"):
        value = getattr(method, key, None)
        if isinstance(value, list) and value:
            return len(value)
    return 1


@dataclass
class RollingWindow:
    """At most `limit` calls in any `window` seconds, as Telegram counts a group's budget.

    A token bucket with a burst of 20 lets 40 calls through in the first minute (the burst,
    then the refill); Telegram refuses past 20 in any minute, so the window is the rule."""

    limit: int
    window: float
    sent: deque[float] = field(default_factory=deque)

    def wait_time(self, now: float, keep: int = 0, take: bool = True, count: int = 1) -> float:
        """Take `count` places (an album is that many messages) if they are free with `keep`
        more left over (0.0), else say how long until they are. With take=False only say."""
        while self.sent and now - self.sent[0] >= self.window:
            self.sent.popleft()
        allowed = self.limit - keep
        count = max(1, min(count, allowed))
        if len(self.sent) + count <= allowed:
            if take:
                self.sent.extend([now] * count)
            return 0.0
        return self.sent[len(self.sent) + count - allowed - 1] + self.window - now


@dataclass
class TokenBucket:
    """`burst` calls at once, then `rate` a second: Telegram's ~1 message a second into a
    private chat, where a reply of two or three messages goes out together."""

    burst: int
    rate: float
    tokens: float = 0.0
    at: float = 0.0

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)

    def wait_time(self, now: float) -> float:
        """Take a call if one is free (0.0), else say how long until it is."""
        self.tokens = min(float(self.burst), self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate

    def full(self, now: float) -> bool:
        return self.tokens + (now - self.at) * self.rate >= self.burst


class GroupBudget:
    """A group's rolling window, handed out by priority: the calls waiting for it go in the
    order of their priority (handoff.pacing), then of arrival, and cosmetic calls leave
    `reserve` places free, so a customer's next message never waits behind a card refresh."""

    def __init__(self, limit: int, window: float, reserve: int) -> None:
        self.window = RollingWindow(limit, window)
        self.reserve = min(reserve, limit - 1)
        self._queue: list[tuple[int, int]] = []  # (priority, arrival) of the waiting calls
        self._arrivals = itertools.count()
        self._moved = asyncio.Event()

    async def take(
        self,
        priority: Priority,
        monotonic: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        count: int = 1,
    ) -> int:
        """Wait for `count` places and take them; returns how many times it had to wait."""
        me = (int(priority), next(self._arrivals))
        heapq.heappush(self._queue, me)
        keep = self.reserve if priority >= Priority.COSMETIC else 0
        waits = 0
        try:
            while True:
                first = self._queue[0] == me
                wait = self.window.wait_time(monotonic(), keep, take=first, count=count)
                if first and wait <= 0:
                    return waits
                waits += 1
                if first:
                    await sleep(wait)
                else:
                    # Behind a call that goes first: it takes its place (or gives up) before
                    # this one looks again.
                    await self._moved.wait()
        finally:
            self._queue.remove(me)
            heapq.heapify(self._queue)
            self._moved.set()
            self._moved = asyncio.Event()


@dataclass
class DeliveryMiddleware(BaseRequestMiddleware):
    max_attempts: int = 5
    base_backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 300.0
    group_rate_per_minute: float = 20.0
    cosmetic_reserve: int = 3
    private_per_second: float = 1.0
    private_burst: int = 3
    overall_per_second: int = 30
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    monotonic: Callable[[], float] = time.monotonic
    stats: DeliveryStats = field(default_factory=DeliveryStats)
    _budgets: dict[int, GroupBudget] = field(default_factory=dict)
    _private: dict[int, TokenBucket] = field(default_factory=dict)
    _overall: RollingWindow | None = None

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        if type(method).__name__ == GetUpdates.__name__:
            return await make_request(bot, method)  # polling has its own backoff
        await self._pace(method)
        attempt = 0
        while True:
            attempt += 1
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                # Telegram said when to send again: that is a promise, not a failure, so a
                # 429 uses up no attempt. Only a wait longer than max_retry_after gives up.
                attempt -= 1
                if exc.retry_after > self.max_retry_after:
                    self.stats.failures += 1
                    raise
                self.stats.retries += 1
                log.warning("%s: 429, retrying in %ss", type(method).__name__, exc.retry_after)
                await self.sleep(exc.retry_after)
            except (TelegramServerError, TelegramNetworkError) as exc:
                if attempt >= self.max_attempts or type(method).__name__ in NOT_REPEATABLE:
                    self.stats.failures += 1
                    raise
                self.stats.retries += 1
                delay = min(self.max_backoff, self.base_backoff * 2 ** (attempt - 1))
                log.warning(
                    "%s: %s, retrying in %.1fs", type(method).__name__, type(exc).__name__, delay
                )
                await self.sleep(delay)
            except TelegramBadRequest as exc:
                plain = self._as_plain_text(method, exc)
                if plain is None:
                    raise
                self.stats.plain_text_fallbacks += 1
                log.warning(
                    "%s: Telegram could not parse it; resending as plain text",
                    type(method).__name__,
                )
                method = plain

    def _as_plain_text(
        self, method: TelegramMethod[TelegramType], exc: TelegramBadRequest
    ) -> TelegramMethod[TelegramType] | None:
        if "can't parse entities" not in exc.message.lower():
            return None
        mode = getattr(method, "parse_mode", None)
        if not isinstance(mode, str) or not mode:
            return None
        update: dict[str, Any] = {"parse_mode": None}
        for key in ("text", "caption"):
            value = getattr(method, key, None)
            if isinstance(value, str):
                update[key] = html_to_plain(value) if mode.lower() == "html" else value
        return method.model_copy(update=update)

    async def _pace(self, method: TelegramMethod[Any]) -> None:
        chat_id = getattr(method, "chat_id", None)
        name = type(method).__name__
        if (
            not isinstance(chat_id, int)
            or name in FREE_METHODS
            or not (name.startswith(PACED_PREFIXES) or name in PACED_METHODS)
        ):
            return
        if chat_id < 0 and self.group_rate_per_minute > 0:
            budget = self._budgets.get(chat_id)
            if budget is None:
                limit = max(1, int(self.group_rate_per_minute))
                budget = self._budgets[chat_id] = GroupBudget(limit, WINDOW, self.cosmetic_reserve)
            self.stats.paced_waits += await budget.take(
                pacing.current(), self.monotonic, self.sleep, messages_in(method)
            )
        elif chat_id > 0 and self.private_per_second > 0:
            await self._wait_for(self._bucket(chat_id).wait_time)
        if self.overall_per_second > 0:
            if self._overall is None:
                self._overall = RollingWindow(self.overall_per_second, 1.0)
            overall = self._overall
            await self._wait_for(lambda now: overall.wait_time(now, count=messages_in(method)))

    async def _wait_for(self, wait_time: Callable[[float], float]) -> None:
        while (wait := wait_time(self.monotonic())) > 0:
            self.stats.paced_waits += 1
            await self.sleep(wait)

    def _bucket(self, chat_id: int) -> TokenBucket:
        bucket = self._private.get(chat_id)
        if bucket is None:
            if len(self._private) >= PRIVATE_BUCKETS_KEPT:
                # A full bucket is the same as a new one: forget those, keep the busy chats.
                now = self.monotonic()
                for chat, old in list(self._private.items()):
                    if old.full(now):
                        del self._private[chat]
            bucket = self._private[chat_id] = TokenBucket(
                self.private_burst, self.private_per_second
            )
            bucket.at = self.monotonic()
        return bucket
