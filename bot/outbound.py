"""Log every message the bot sends, at the one place all Bot API calls pass through.

Handlers never have to remember to log: a request middleware on the bot's session records
each sent or copied message in its own short transaction. The message did reach Telegram, so
while the database is away the log row waits for it (the caller with it: an outbox lane must
not take its next message before this one counts as sent, nor send this one again).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import CopyMessage, CopyMessages, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Message, MessageId
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.clock import Clock
from common.content import content_type, text_of
from storage import customers, messages, tickets
from storage.models import Direction, Ticket
from storage.outage import is_outage

log = logging.getLogger(__name__)
RETRY_MIN, RETRY_MAX = 0.5, 30.0  # seconds between attempts while the database is away


class OutboundLogger(BaseRequestMiddleware):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        result: Any = await make_request(bot, method)
        pause = RETRY_MIN
        while True:
            try:
                await self._log(method, result)
            except Exception as exc:
                if is_outage(exc):
                    log.warning(
                        "outbound %s not logged yet (%s); again in %.1fs",
                        type(method).__name__,
                        type(exc).__name__,
                        pause,
                    )
                    await asyncio.sleep(pause)
                    pause = min(RETRY_MAX, pause * 2)
                    continue
                if not isinstance(exc, SQLAlchemyError):
                    raise
                # Failing the send now would make callers send it again.
                log.exception("could not log outbound %s", type(method).__name__)
            return result

    async def _log(self, method: TelegramMethod[Any], result: Any) -> None:
        if isinstance(result, Message):
            await self._record_message(result)
        elif isinstance(method, CopyMessage) and isinstance(result, MessageId):
            await self._record_copy(
                method.chat_id,
                method.from_chat_id,
                method.message_id,
                method.message_thread_id,
                result,
            )
        elif isinstance(method, CopyMessages) and isinstance(result, list):
            # Telegram copies an album in ascending id order and answers in the same order.
            for source_id, copied in zip(sorted(method.message_ids), result, strict=False):
                await self._record_copy(
                    method.chat_id,
                    method.from_chat_id,
                    source_id,
                    method.message_thread_id,
                    copied,
                )

    async def _record_message(self, sent: Message) -> None:
        await self._record(
            chat_id=sent.chat.id,
            message_id=sent.message_id,
            thread_id=sent.message_thread_id,
            kind=content_type(sent),
            text=text_of(sent),
            reply_to=sent.reply_to_message.message_id if sent.reply_to_message else None,
        )

    async def _record_copy(
        self,
        chat_id: int | str,
        from_chat_id: int | str,
        message_id: int,
        thread_id: int | None,
        result: MessageId,
    ) -> None:
        if not isinstance(chat_id, int) or not isinstance(from_chat_id, int):
            return
        async with self.sessionmaker() as session:
            source = await messages.find(session, from_chat_id, message_id, Direction.IN)
        await self._record(
            chat_id=chat_id,
            message_id=result.message_id,
            thread_id=thread_id,
            kind=source.content_type if source else "copy",
            text=source.text if source else None,
            source=(from_chat_id, message_id),
            source_ticket=source.ticket_id if source else None,
        )

    @staticmethod
    async def _staff_ticket(
        session: AsyncSession,
        chat_id: int,
        thread_id: int | None,
        source_ticket: int | None,
        reply_to: int | None,
    ) -> Ticket | None:
        """The ticket a bot message in the staff chat belongs to: by topic, by the relayed
        original, or (a group without topics) by the message it replies to."""
        if thread_id is not None:
            return await tickets.by_thread(session, chat_id, thread_id)
        if source_ticket is not None:
            return await tickets.get(session, source_ticket)
        if reply_to is not None:
            return await tickets.of_staff_message(session, chat_id, reply_to)
        return None

    async def _record(
        self,
        *,
        chat_id: int,
        message_id: int,
        thread_id: int | None,
        kind: str,
        text: str | None,
        source: tuple[int, int] | None = None,
        source_ticket: int | None = None,
        reply_to: int | None = None,
    ) -> None:
        now = self.clock.now()
        async with self.sessionmaker() as session:
            customer_id = ticket_id = None
            if chat_id > 0:
                customer = await customers.get_by_telegram_id(session, chat_id)
                if customer is not None:
                    customer_id = customer.id
                    ticket = await tickets.open_for_customer(session, customer.id)
                    ticket_id = ticket.id if ticket else None
            else:
                ticket = await self._staff_ticket(
                    session, chat_id, thread_id, source_ticket, reply_to
                )
                if ticket is not None:
                    customer_id, ticket_id = ticket.customer_id, ticket.id
            await messages.record(
                session,
                messages.new(
                    chat_id=chat_id,
                    telegram_message_id=message_id,
                    direction=Direction.OUT,
                    content_type=kind,
                    text=text,
                    sent_at=now,
                    logged_at=now,
                    thread_id=thread_id,
                    customer_id=customer_id,
                    ticket_id=ticket_id,
                    source_chat_id=source[0] if source else None,
                    source_message_id=source[1] if source else None,
                ),
            )
            await session.commit()
