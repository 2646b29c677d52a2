"""CSAT: the 1-5 buttons sent when a ticket closes, then an optional comment."""

import html

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admins import AdminNotifier
from bot.policy import looks_like_question
from bot.replies import Replies
from bot.states import RatingComment
from common.callbacks import RateTicket
from common.clock import Clock
from common.i18n import Texts
from handoff.desk import Desk
from storage import events, tickets
from storage.models import Customer

COMMENT_LIMIT = 2000


async def rate_ticket(
    query: CallbackQuery,
    say: Replies,
    callback_data: RateTicket,
    session: AsyncSession,
    customer: Customer,
    t: Texts,
    desk: Desk,
    state: FSMContext,
    admin_notifier: AdminNotifier,
) -> None:
    ticket = await tickets.get(session, callback_data.ticket)
    # Forged or stale payloads (another customer's ticket, a score out of range) do nothing.
    if ticket is None or ticket.customer_id != customer.id or not 1 <= callback_data.score <= 5:
        await query.answer()
        return
    if not await desk.rate(session, ticket, callback_data.score):
        await query.answer(t("rating-already"))
        return
    await query.answer()
    if callback_data.score <= 2:
        score = callback_data.score
        await admin_notifier.notify(
            lambda at: at("admin-rating-low", ticket=ticket.id, score=score)
        )
    if isinstance(query.message, Message):
        say(query.message.edit_text(t("rating-thanks", score=callback_data.score)))
        await state.set_state(RatingComment.text)
        await state.update_data(rating_ticket=ticket.id)
        say(query.message.answer(t("rating-comment-ask")))


async def rating_comment(
    message: Message,
    say: Replies,
    session: AsyncSession,
    customer: Customer,
    t: Texts,
    desk: Desk,
    state: FSMContext,
    clock: Clock,
) -> None:
    ticket_id = (await state.get_data()).get("rating_ticket")
    await state.set_state(None)
    ticket = await tickets.get(session, int(ticket_id)) if ticket_id else None
    if ticket is None or ticket.customer_id != customer.id:
        return
    comment = (message.text or "").strip()[:COMMENT_LIMIT]
    ticket.rating_comment = comment
    events.ticket_event(
        session,
        "csat_comment",
        clock.now(),
        ticket,
        score=ticket.rating,
    )
    await session.commit()
    say(message.answer(t("rating-comment-thanks")))
    await desk.say(
        session,
        ticket,
        desk.staff("staff-rating-comment", ticket=ticket.id, comment=html.escape(comment)),
    )


def build_router() -> Router:
    router = Router(name="customer.rating")
    router.callback_query.register(rate_ticket, RateTicket.filter())
    # A question typed after the rating is a new question, answered as one (bot.policy).
    router.message.register(
        rating_comment,
        RatingComment.text,
        F.text,
        ~F.text.startswith("/"),
        ~F.text.func(looks_like_question),
    )
    return router
