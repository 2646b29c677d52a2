"""Staff-group context: log each operator message once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.content import content_type, text_of
from storage import messages
from storage.models import Direction, Ticket


class StaffContextMiddleware(BaseMiddleware):
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        session: AsyncSession = data["session"]
        if isinstance(event, Message):
            ticket: Ticket | None = data.get("ticket")
            parts: list[Message] = data.get("album") or [event]
            recorded = [
                await messages.record(
                    session,
                    messages.new(
                        chat_id=part.chat.id,
                        telegram_message_id=part.message_id,
                        direction=Direction.IN,
                        content_type=content_type(part),
                        text=text_of(part),
                        sent_at=part.date,
                        logged_at=self.clock.now(),
                        thread_id=part.message_thread_id,
                        sender_id=part.from_user.id if part.from_user else None,
                        customer_id=ticket.customer_id if ticket else None,
                        ticket_id=ticket.id if ticket else None,
                    ),
                )
                for part in parts
            ]
            if recorded[0] is None:
                return None
            await session.commit()
        return await handler(event, data)
