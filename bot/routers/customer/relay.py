"""While a ticket is open, everything the customer sends goes to its topic."""

import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

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
) -> None:
    try:
        await desk.to_staff(session, ticket, customer, message)
    except TelegramAPIError as exc:
        log.error("relay to ticket %s failed: %s", ticket.id, type(exc).__name__)
        await message.answer(t("error-generic"))


def build_router() -> Router:
    router = Router(name="customer.relay")
    router.message.register(customer_message_to_ticket, HasOpenTicket())
    return router
