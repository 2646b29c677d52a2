"""CSAT: the 1-5 buttons sent when a ticket closes."""

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import RateTicket
from bot.i18n import Texts
from handoff.desk import Desk
from storage import tickets
from storage.models import Customer


async def rate_ticket(
    query: CallbackQuery,
    callback_data: RateTicket,
    session: AsyncSession,
    customer: Customer,
    t: Texts,
    desk: Desk,
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
    if isinstance(query.message, Message):
        await query.message.edit_text(t("rating-thanks", score=callback_data.score))


def build_router() -> Router:
    router = Router(name="customer.rating")
    router.callback_query.register(rate_ticket, RateTicket.filter())
    return router
