"""Staff-group context: log each operator message once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession

from common.clock import Clock
from common.content import inbound_rows
from storage import messages
from storage.models import Ticket


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
            rows = inbound_rows(
                parts,
                self.clock.now(),
                customer_id=ticket.customer_id if ticket else None,
                ticket_id=ticket.id if ticket else None,
            )
            # Logged before anything is relayed; a duplicate is an update cut short by a
            # crash and run again (see bot.middlewares.journal).
            for row in rows:
                await messages.record(session, row)
            await session.commit()
        return await handler(event, data)
