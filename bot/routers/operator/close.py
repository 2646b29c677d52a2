"""Closing and reopening a ticket: /close [resolution], the card's Close button, /reopen."""

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.filters import InTicketTopic
from bot.replies import Replies
from common.callbacks import TicketAction
from handoff.desk import Desk
from storage import tickets
from storage.models import Ticket

RESOLUTION_LIMIT = 1000


async def close_ticket(
    message: Message,
    say: Replies,
    command: CommandObject,
    session: AsyncSession,
    ticket: Ticket,
    desk: Desk,
) -> None:
    resolution = (command.args or "").strip()[:RESOLUTION_LIMIT] or None
    closed = await desk.close(
        session, ticket, message.from_user, keyboards.rating(ticket.id), resolution
    )
    if not closed:
        say(message.reply(desk.staff("staff-ticket-not-open", ticket=ticket.id)))


async def close_button(
    query: CallbackQuery, callback_data: TicketAction, session: AsyncSession, desk: Desk
) -> None:
    ticket = await tickets.get(session, callback_data.ticket)
    await query.answer()
    if ticket is not None:
        await desk.close(session, ticket, query.from_user, keyboards.rating(ticket.id))


async def reopen_ticket(
    message: Message, say: Replies, session: AsyncSession, ticket: Ticket, desk: Desk
) -> None:
    if message.from_user is None:
        return
    other = await desk.reopen(session, ticket, message.from_user)
    if other is not None:
        say(message.reply(desk.staff("staff-reopen-busy", ticket=other.id)))


def build_router() -> Router:
    router = Router(name="operator.close")
    router.message.register(close_ticket, Command("close"), InTicketTopic())
    router.message.register(reopen_ticket, Command("reopen"), InTicketTopic())
    router.callback_query.register(close_button, TicketAction.filter(F.action == "close"))
    return router
