"""While a ticket is open, everything the customer sends goes to its topic (albums together,
edits mirrored, replies pointing at the right message)."""

import html
import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content import content_type
from bot.filters import HasOpenTicket
from bot.i18n import Texts
from handoff.desk import Desk
from storage.models import Customer, Ticket

log = logging.getLogger(__name__)


async def customer_message_to_ticket(
    message: Message,
    session: AsyncSession,
    customer: Customer,
    ticket: Ticket,
    t: Texts,
    desk: Desk,
    album: list[Message] | None = None,
) -> None:
    kind = content_type(message)
    try:
        await desk.to_staff(session, ticket, customer, album or [message])
    except TelegramBadRequest as exc:
        if "can't be copied" not in exc.message.lower():
            raise
        # Nothing is dropped silently: both sides learn what could not be relayed.
        await desk.say(session, ticket, desk.staff("staff-customer-not-copyable", kind=kind))
        await message.answer(t("content-not-delivered", kind=html.escape(kind)))
    except TelegramAPIError as exc:
        log.error("relay to ticket %s failed: %s", ticket.id, type(exc).__name__)
        await message.answer(t("error-generic"))


async def customer_edit_to_ticket(message: Message, session: AsyncSession, desk: Desk) -> None:
    try:
        await desk.mirror_edit(session, message, desk.staff_chat_id)
    except TelegramAPIError as exc:
        log.warning("edit of message %s not mirrored: %s", message.message_id, type(exc).__name__)


def build_router() -> Router:
    router = Router(name="customer.relay")
    router.message.register(customer_message_to_ticket, HasOpenTicket())
    router.edited_message.register(customer_edit_to_ticket, HasOpenTicket())
    return router
