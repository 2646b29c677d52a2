"""The card's buttons: Take (one operator per ticket) and category correction."""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.replies import Replies
from common.callbacks import PickCategory, TicketAction
from common.clock import Clock
from handoff.desk import Desk
from handoff.keyboards import category_picker
from kb.service import KnowledgeBaseService
from nlu.categories import Categorizer, Path3, as_path
from storage import events, tickets


def known_paths(
    categorizer: Categorizer, kb: KnowledgeBaseService, settings: Settings
) -> list[Path3]:
    paths = categorizer.configured_paths()
    for article in kb.index.kb.by_language(settings.staff_language):
        path = as_path(article.category)
        if path is not None:
            paths.add(path)
    return sorted(paths)


async def take_button(
    query: CallbackQuery, callback_data: TicketAction, session: AsyncSession, desk: Desk
) -> None:
    ticket = await tickets.get(session, callback_data.ticket)
    if ticket is None:
        await query.answer()
        return
    took, holder = await desk.take(session, ticket, query.from_user)
    if not took:
        await query.answer(desk.staff("staff-already-taken", operator=holder), show_alert=True)
        return
    await query.answer(desk.staff("staff-take-done"))
    await desk.say(
        session,
        ticket,
        desk.staff("staff-taken", operator=html.escape(holder), ticket=ticket.id),
    )


async def category_button(
    query: CallbackQuery,
    say: Replies,
    callback_data: TicketAction,
    desk: Desk,
    categorizer: Categorizer,
    kb: KnowledgeBaseService,
    settings: Settings,
) -> None:
    await query.answer()
    if not isinstance(query.message, Message):
        return
    paths = known_paths(categorizer, kb, settings)
    say(
        query.message.answer(
            desk.staff("staff-pick-category", ticket=callback_data.ticket),
            reply_markup=category_picker(callback_data.ticket, paths),
        )
    )


async def category_picked(
    query: CallbackQuery,
    say: Replies,
    callback_data: PickCategory,
    session: AsyncSession,
    desk: Desk,
    categorizer: Categorizer,
    kb: KnowledgeBaseService,
    settings: Settings,
    clock: Clock,
) -> None:
    paths = known_paths(categorizer, kb, settings)
    ticket = await tickets.get(session, callback_data.ticket)
    if ticket is None or not 0 <= callback_data.index < len(paths):
        await query.answer()
        return
    path = paths[callback_data.index]
    old = (ticket.category1, ticket.category2, ticket.category3)
    ticket.category1, ticket.category2, ticket.category3 = path
    events.ticket_event(
        session,
        "category_changed",
        clock.now(),
        ticket,
        operator_id=query.from_user.id,
        old=list(old),
    )
    await session.commit()
    await query.answer()
    text = desk.staff(
        "staff-category-changed",
        ticket=ticket.id,
        path=html.escape(" → ".join(path)),
        operator=html.escape(query.from_user.full_name),
    )
    if isinstance(query.message, Message):
        say(query.message.edit_text(text, parse_mode="HTML", reply_markup=None))
    await desk.refresh(session, ticket)


def build_router() -> Router:
    router = Router(name="operator.card")
    router.callback_query.register(take_button, TicketAction.filter(F.action == "take"))
    router.callback_query.register(category_button, TicketAction.filter(F.action == "category"))
    router.callback_query.register(category_picked, PickCategory.filter())
    return router
