"""/close in a ticket's topic."""

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.filters import InTicketTopic
from handoff.desk import Desk
from storage.models import Ticket


async def close_ticket(message: Message, session: AsyncSession, ticket: Ticket, desk: Desk) -> None:
    if not await desk.close(session, ticket, message.from_user, keyboards.rating(ticket.id)):
        await message.reply(desk.staff("staff-ticket-not-open", ticket=ticket.id))


def build_router() -> Router:
    router = Router(name="operator.close")
    router.message.register(close_ticket, Command("close"), InTicketTopic())
    return router
