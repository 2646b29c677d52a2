"""Sends what the desk queued in the outbox (storage.outbox): relays both ways, notices, the
closing messages. Handlers only queue, in the transaction of their change, and return.

- Lanes in parallel, each lane's rows in order, one at a time: a customer's chat is a lane,
  and so is each ticket's place in the staff group.
- 429: bot.delivery waits `retry_after` and sends again, never giving up on it.
- 5xx and network errors: retried with a growing pause (up to RETRY_MAX) for up to
  `give_up_after` (Telegram keeps a bot's updates 24 h); then, as for a refusal (400, 403),
  the row fails and the side that wrote is told, in their own chat.
- A row claimed before a crash is reconciled, not blindly repeated: a copy the message log
  already holds counts as sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot, methods
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import Message, ReplyParameters
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.clock import Clock
from handoff.desk import OPEN_TOPIC, Desk
from storage import events, messages, outbox, tickets
from storage.models import Outbox
from storage.outage import is_outage

log = logging.getLogger(__name__)
# A claimed row is its sender's until then, renewed while it is being sent; a sender that
# died holds its row back this long at most.
LEASE = timedelta(seconds=10)
HEARTBEAT = 3.0  # seconds between renewals
OTHER_WORKER_RECHECK = timedelta(seconds=1)
# Lanes sending at once. Each holds a database connection only for its short reads and
# writes, never while a send waits, so this bounds tasks, not the pool.
MAX_LANES = 64
RETRY_MIN, RETRY_MAX = 5.0, 600.0  # seconds between attempts after 5xx and network errors
TOPIC_METHODS = {"CloseForumTopic", "ReopenForumTopic"}
REPLYING = {"SendMessage", "CopyMessage"}
TEMPORARY = (TelegramServerError, TelegramNetworkError, TelegramRetryAfter)


class OutboxSender:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        bot: Bot,
        desk: Desk,
        clock: Clock,
        *,
        give_up_after: timedelta,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.bot = bot
        self.desk = desk
        self.clock = clock
        self.give_up_after = give_up_after
        self.wakeup = asyncio.Event()
        self._lanes: dict[str, asyncio.Task[None]] = {}
        self._scanning = False
        self._stopping = False
        self.listeners: list[Callable[[], None]] = []  # told when it goes idle (tests)
        self.sent = self.failed = self.retried = 0
        desk.outbox_wake = self.wake

    def wake(self) -> None:
        self.wakeup.set()

    @property
    def busy(self) -> bool:
        return bool(self._lanes) or self._scanning or self.wakeup.is_set()

    async def stop(self, grace: float) -> None:
        """Let each lane finish the row it is sending (a cancelled query would leave its
        connection half-closed), then stop."""
        self._stopping = True
        self.wake()
        lanes = list(self._lanes.values())
        if lanes:
            await asyncio.wait(lanes, timeout=grace)

    async def run(self) -> None:
        self.wakeup.set()  # rows queued before a restart
        try:
            while not self._stopping:
                await self.wakeup.wait()
                self._scanning = True  # busy from the wake-up until the lanes are started
                self.wakeup.clear()
                try:
                    pause = await self._start_lanes()
                except Exception as exc:
                    log.warning(
                        "outbox not read (%s)", type(exc).__name__, exc_info=not is_outage(exc)
                    )
                    pause = RETRY_MIN
                finally:
                    self._scanning = False
                if not self.busy:
                    for listener in self.listeners:
                        listener()
                if pause is not None:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.wakeup.wait(), pause)
                    self.wakeup.set()
        finally:
            for task in self._lanes.values():
                task.cancel()
            await asyncio.gather(*self._lanes.values(), return_exceptions=True)

    async def _start_lanes(self) -> float | None:
        """Start a task for each lane with a row due; seconds until the next comes due."""
        if self._stopping:
            return None
        now = self.clock.now()
        async with self.sessionmaker() as session:
            heads = await outbox.heads(session)
        later: list[datetime] = []
        for head in sorted(heads, key=lambda h: h.row_id):  # the longest waiting first
            if len(self._lanes) >= MAX_LANES:
                break  # a lane that ends wakes the scan again
            if head.lane in self._lanes:
                continue
            if head.claimed_until is not None and head.claimed_until > now:
                # Another worker (a replica) is sending the lane's head: look again soon,
                # as rows it did not see may follow it.
                later.append(min(head.claimed_until, now + OTHER_WORKER_RECHECK))
                continue
            if head.due is not None and head.due > now:
                later.append(head.due)
                continue
            self._lanes[head.lane] = asyncio.create_task(self._lane(head.lane))
        if not later:
            return None
        return max(0.05, (min(later) - now).total_seconds())

    async def _lane(self, lane: str) -> None:
        try:
            while not self._stopping:
                async with self.sessionmaker() as session:
                    head = await outbox.head_of(session, lane)
                    if head is None:
                        return
                    row = await outbox.claim(session, head, self.clock.now(), LEASE)
                    if row is None:
                        return  # not due yet, or another worker has it
                    # The row is ours (the lease): no connection is held while Telegram, or the
                    # chat's budget, keeps the send waiting.
                    await session.commit()
                    sent = asyncio.Event()
                    beat = asyncio.create_task(self._keep_claim(row.id, sent))
                    try:
                        await self._send(session, row)
                    finally:
                        sent.set()
                        await beat
                    await session.commit()
        except Exception as exc:
            log.warning("outbox lane stopped (%s)", type(exc).__name__, exc_info=not is_outage(exc))
            await asyncio.sleep(RETRY_MIN)
        finally:
            if not self._stopping:
                self.wake()  # rows queued meanwhile, or the next due time
            del self._lanes[lane]

    async def _keep_claim(self, row_id: int, sent: asyncio.Event) -> None:
        """While a send waits (the group's minute, a long retry_after), the row stays ours."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sent.wait(), HEARTBEAT)
            if sent.is_set():
                return
            try:
                async with self.sessionmaker() as session:
                    await outbox.extend_claim(session, row_id, self.clock.now() + LEASE)
                    await session.commit()
            except Exception as exc:  # the next beat tries again; the lease is 3 beats long
                log.warning("outbox row %s: claim not renewed (%s)", row_id, type(exc).__name__)

    async def _send(self, session: AsyncSession, row: Outbox) -> None:
        if row.attempts > 1 and await self._already_sent(session, row):
            outbox.sent(row, self.clock.now())
            return
        try:
            result = await self._call(session, row)
        except TEMPORARY as exc:
            await self._retry_or_give_up(session, row, exc)
            return
        except TelegramAPIError as exc:
            if "not modified" in exc.message.lower():
                outbox.sent(row, self.clock.now())  # an edit to what it already shows
                return
            await self._give_up(session, row, exc)
            return
        except Exception as exc:
            if is_outage(exc):
                raise  # the lane waits for the database; the row stays claimed, then due
            # A bug (parameters Telegram's methods refuse, say): trying again cannot help.
            log.exception("outbox row %s (%s) failed", row.id, row.method)
            await self._fail(session, row, type(exc).__name__)
            return
        if (
            row.source_chat_id is not None
            and row.source_message_id is not None
            and isinstance(result, Message)
        ):
            # A signed reply is a new message, not a copy: keep the pair for edits, replies.
            await messages.link_copy(
                session, row.chat_id, result.message_id, row.source_chat_id, row.source_message_id
            )
        outbox.sent(row, self.clock.now())
        self.sent += 1

    async def _call(self, session: AsyncSession, row: Outbox) -> Any:
        # Keys starting with "_" are the desk's notes (the content's kind, the customer's
        # language), not the method's parameters.
        call = {k: v for k, v in row.params.items() if not k.startswith("_")}
        if not row.in_ticket:
            return await self.bot(getattr(methods, row.method)(**call))
        ticket = await tickets.get(session, row.ticket_id) if row.ticket_id else None
        await session.commit()  # as above: the group's minute may keep the send waiting
        if ticket is None:
            return None
        if row.method == OPEN_TOPIC:
            await self.desk.ensure_topic(session, ticket)
            return None
        method = getattr(methods, row.method)
        if row.method in TOPIC_METHODS and ticket.thread_id is None:
            return None  # a group without topics has nothing to close or reopen

        async def send(thread: int | None, reply: ReplyParameters | None) -> Any:
            params = dict(call)
            params["chat_id"] = self.desk.group_of(ticket)  # moved meanwhile (/transfer)
            params.pop("reply_parameters", None)
            if thread is not None:
                params["message_thread_id"] = thread
            if reply is not None and row.method in REPLYING:
                params["reply_parameters"] = reply
            return await self.bot(method(**params))

        reply_to = (row.params.get("reply_parameters") or {}).get("message_id")
        return await self.desk.post(session, ticket, send, reply_to=reply_to)

    async def _already_sent(self, session: AsyncSession, row: Outbox) -> bool:
        """Claimed before, by a worker that died: was its copy made?"""
        if row.source_chat_id is None or row.source_message_id is None:
            return False
        copy = await messages.counterpart(
            session, row.source_chat_id, row.source_message_id, row.chat_id
        )
        return copy is not None

    async def _retry_or_give_up(
        self, session: AsyncSession, row: Outbox, exc: TelegramAPIError
    ) -> None:
        now = self.clock.now()
        if now - row.created_at >= self.give_up_after:
            await self._fail(session, row, exc.message)
            return
        pause = min(RETRY_MAX, RETRY_MIN * 2 ** max(0, row.attempts - 1))
        if isinstance(exc, TelegramRetryAfter):
            pause = float(exc.retry_after)
        outbox.retry_at(row, now + timedelta(seconds=pause), type(exc).__name__)
        self.retried += 1
        log.warning(
            "outbox row %s (%s): %s; again in %.0fs", row.id, row.method, type(exc).__name__, pause
        )

    async def _give_up(self, session: AsyncSession, row: Outbox, exc: TelegramAPIError) -> None:
        if isinstance(exc, TelegramForbiddenError) and row.chat_id > 0:
            # The customer blocked the bot: the desk learns it.
            ticket = await tickets.get(session, row.ticket_id) if row.ticket_id else None
            if ticket is not None:
                ticket.customer.is_blocked = True
                events.ticket_event(session, "customer_blocked", self.clock.now(), ticket)
        await self._fail(session, row, exc.message)

    async def _fail(self, session: AsyncSession, row: Outbox, reason: str) -> None:
        outbox.failed(row, reason)
        self.failed += 1
        log.error("outbox row %s (%s) not delivered: %s", row.id, row.method, reason[:120])
        await self._tell_sender(session, row, reason)

    async def _tell_sender(self, session: AsyncSession, row: Outbox, reason: str) -> None:
        """The side that wrote learns, in its own chat, that the other did not get it."""
        if row.ticket_id is None or row.failure_notice is None:
            return
        ticket_id = row.ticket_id
        ticket = await tickets.get(session, ticket_id)
        if ticket is None:
            return
        now = self.clock.now()
        if row.failure_notice == "opening":
            # No topic for the ticket: the customer hears the desk is out of reach for now.
            chat = int(row.params["_customer"])
            t = self.desk.translator.texts(str(row.params.get("_language", "ru")))
            outbox.enqueue(
                session,
                chat_id=chat,
                method="SendMessage",
                params={"chat_id": chat, "text": t("handoff-unavailable")},
                now=now,
                ticket_id=ticket_id,
                wake=self.wake,
            )
            return
        uncopyable = "can't be copied" in reason.lower()
        if row.failure_notice == "staff":
            text = (
                self.desk.staff("staff-not-copyable", kind=row.params.get("_kind", "?"))
                if uncopyable
                else self.desk.staff("staff-delivery-failed", error=html.escape(reason))
            )
            self.desk.say_later(session, ticket, text)
            return
        customer_chat = row.source_chat_id
        if customer_chat is None:
            return
        language = row.params.get("_language", "ru")
        t = self.desk.translator.texts(str(language))
        text = (
            t("content-not-delivered", kind=html.escape(str(row.params.get("_kind", "?"))))
            if uncopyable
            else t("handoff-not-delivered")
        )
        if uncopyable:
            self.desk.say_later(
                session,
                ticket,
                self.desk.staff("staff-customer-not-copyable", kind=row.params.get("_kind", "?")),
            )
        outbox.enqueue(
            session,
            chat_id=customer_chat,
            method="SendMessage",
            params={"chat_id": customer_chat, "text": text, "parse_mode": "HTML"},
            now=now,
            ticket_id=ticket_id,
            wake=self.wake,
        )
