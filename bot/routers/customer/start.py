"""/start: greet the customer in their language."""

from aiogram import Router
from aiogram.filters import CommandStart
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.replies import Replies
from common.i18n import Texts
from storage import tickets
from storage.models import Customer


async def cmd_start(
    message: Message, say: Replies, session: AsyncSession, customer: Customer, t: Texts
) -> None:
    say(message.answer(t("start-greeting", name=customer.first_name or "👋")))
    ticket = await tickets.open_for_customer(session, customer.id)
    if ticket is not None:
        say(message.answer(t("start-greeting-ticket", ticket=ticket.id)))


def build_router() -> Router:
    router = Router(name="customer.start")
    router.message.register(cmd_start, CommandStart())
    return router
