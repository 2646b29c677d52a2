"""A card's buttons act only in the staff group the ticket is in: after a /transfer the old
topic's card (and a stale picker) still shows them, and pressing one there does nothing but
say so."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession

from common.callbacks import PickCategory, PickGroup, TicketAction
from handoff.desk import Desk
from storage import tickets

ABOUT_A_TICKET: tuple[type[CallbackData], ...] = (TicketAction, PickCategory, PickGroup)


def ticket_of(data: str) -> int | None:
    for kind in ABOUT_A_TICKET:
        try:
            return int(kind.unpack(data).ticket)  # type: ignore[attr-defined]
        except (TypeError, ValueError):
            continue
    return None


class CardPlaceMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, CallbackQuery) and event.data and event.message is not None:
            ticket_id = ticket_of(event.data)
            session: AsyncSession = data["session"]
            desk: Desk = data["desk"]
            ticket = await tickets.get(session, ticket_id) if ticket_id is not None else None
            if ticket is not None and desk.group_of(ticket) != event.message.chat.id:
                await event.answer(desk.staff("staff-transfer-stale"), show_alert=True)
                return None
        return await handler(event, data)
