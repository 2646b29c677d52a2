"""One delivery layer for every Bot API call: Telegram's limits honoured, nothing silently lost.

- 429: wait `retry_after` and send again, however many times Telegram asks (aiogram alone
  gives up and the reply is lost); only a single wait over max_retry_after gives up;
- 5xx and network errors: retry with bounded exponential backoff;
- "can't parse entities": resend as plain text rather than drop the message;
- sends to a group are paced under Telegram's ~20 messages per minute per group (token bucket),
  so a busy staff group slows down instead of being rate-limited.

Per-chat order holds because callers await each send under the per-chat update lock.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
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

log = logging.getLogger(__name__)

TAG = re.compile(r"<[^>]+>")
# Methods that post a new message into a chat: these count against a group's rate limit.
PACED_PREFIXES = ("Send", "Copy", "Forward")


def html_to_plain(text: str) -> str:
    return html.unescape(TAG.sub("", text))


@dataclass
class DeliveryStats:
    """Counters for health and metrics endpoints."""

    retries: int = 0
    failures: int = 0
    plain_text_fallbacks: int = 0
    paced_waits: int = 0


@dataclass
class TokenBucket:
    rate_per_minute: float
    capacity: float
    tokens: float = -1.0
    updated: float = 0.0

    def wait_time(self, now: float) -> float:
        """Take a token if one is free (0.0), else say how long until one is."""
        if self.tokens < 0:
            self.tokens, self.updated = self.capacity, now
        self.tokens = min(
            self.capacity, self.tokens + (now - self.updated) * self.rate_per_minute / 60
        )
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) * 60 / self.rate_per_minute


@dataclass
class DeliveryMiddleware(BaseRequestMiddleware):
    max_attempts: int = 5
    base_backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 300.0
    group_rate_per_minute: float = 20.0
    group_burst: float = 20.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    monotonic: Callable[[], float] = time.monotonic
    stats: DeliveryStats = field(default_factory=DeliveryStats)
    _buckets: dict[int, TokenBucket] = field(default_factory=dict)

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
                if attempt >= self.max_attempts:
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
        if (
            self.group_rate_per_minute <= 0
            or not isinstance(chat_id, int)
            or chat_id >= 0
            or not type(method).__name__.startswith(PACED_PREFIXES)
        ):
            return
        bucket = self._buckets.setdefault(
            chat_id, TokenBucket(self.group_rate_per_minute, self.group_burst)
        )
        while (delay := bucket.wait_time(self.monotonic())) > 0:
            self.stats.paced_waits += 1
            await self.sleep(delay)
