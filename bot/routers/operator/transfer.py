"""/transfer GROUP [reason] in a ticket's topic, or the card's 🔀 button: the ticket moves to
another staff group."""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import InTicketTopic
from bot.replies import Replies
from common.callbacks import PickGroup, TicketAction
from handoff.desk import Desk
from handoff.keyboards import group_picker
from storage import tickets
from storage.models import Ticket, TicketStatus


def parse(args: str, names: dict[int, str]) -> tuple[int | None, str, str]:
    """The group an operator names, any letter case (names may have spaces: the longest that
    fits wins): its chat id, its name, and the reason after it."""
    text = args.strip()
    for chat_id, name in sorted(names.items(), key=lambda item: -len(item[1])):
        head, rest = text[: len(name)], text[len(name) :]
        if head.casefold() == name.casefold() and (not rest or rest[0].isspace()):
            return chat_id, name, rest.strip()
    return None, "", text


async def transfer(
    message: Message,
    say: Replies,
    command: CommandObject,
    session: AsyncSession,
    ticket: Ticket,
    desk: Desk,
) -> None:
    group, name, reason = parse(command.args or "", desk.routing.names)
    if group is None:
        listed = ", ".join(html.escape(n) for n in desk.routing.names.values())
        say(message.reply(desk.staff("staff-transfer-usage", groups=listed), parse_mode="HTML"))
        return
    if ticket.status == TicketStatus.CLOSED:
        say(message.reply(desk.staff("staff-transfer-closed")))
        return
    if group == desk.group_of(ticket):
        same = desk.staff("staff-transfer-same", group=html.escape(name))
        say(message.reply(same, parse_mode="HTML"))
        return
    await desk.transfer(session, ticket, group, message.from_user, reason)


async def transfer_button(
    query: CallbackQuery, say: Replies, callback_data: TicketAction, desk: Desk
) -> None:
    await query.answer()
    if not isinstance(query.message, Message):
        return
    names = desk.routing.names
    here = list(names).index(query.message.chat.id) if query.message.chat.id in names else -1
    picker = group_picker(callback_data.ticket, list(names.values()), here)
    say(
        query.message.answer(
            desk.staff("staff-pick-group", ticket=callback_data.ticket), reply_markup=picker
        )
    )


async def group_picked(
    query: CallbackQuery, callback_data: PickGroup, session: AsyncSession, desk: Desk
) -> None:
    ticket = await tickets.get(session, callback_data.ticket)
    groups = list(desk.routing.names)
    if (
        ticket is None
        or not 0 <= callback_data.index < len(groups)
        or not isinstance(query.message, Message)
        or ticket.status == TicketStatus.CLOSED
    ):
        await query.answer(desk.staff("staff-transfer-stale"))
        return
    group = groups[callback_data.index]
    if group == desk.group_of(ticket):
        await query.answer()
        return
    await desk.transfer(session, ticket, group, query.from_user)
    await query.answer(desk.staff("staff-transfer-done", group=desk.routing.name_of(group)))


def build_router() -> Router:
    router = Router(name="operator.transfer")
    router.message.register(transfer, Command("transfer"), InTicketTopic())
    router.callback_query.register(transfer_button, TicketAction.filter(F.action == "transfer"))
    router.callback_query.register(group_picked, PickGroup.filter())
    return router
