"""While a ticket is open, everything the customer sends goes to its topic (albums together,
edits mirrored, replies pointing at the right message)."""

import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import HasOpenTicket
from handoff.desk import Desk
from storage.models import Customer, Ticket

log = logging.getLogger(__name__)


async def customer_message_to_ticket(
    message: Message,
    session: AsyncSession,
    customer: Customer,
    ticket: Ticket,
    desk: Desk,
    album: list[Message] | None = None,
) -> None:
    # Queued with this update's writes; if it cannot be delivered, both sides are told
    # (handoff.outbox).
    await desk.to_staff(session, ticket, customer, album or [message])


async def customer_edit_to_ticket(
    message: Message, session: AsyncSession, desk: Desk, ticket: Ticket
) -> None:
    try:
        await desk.mirror_edit(session, message, desk.group_of(ticket))
    except TelegramAPIError as exc:
        log.warning("edit of message %s not mirrored: %s", message.message_id, type(exc).__name__)


def build_router() -> Router:
    router = Router(name="customer.relay")
    router.message.register(customer_message_to_ticket, HasOpenTicket())
    router.edited_message.register(customer_edit_to_ticket, HasOpenTicket())
    return router
