"""👍 / 👎 under an article: thanks, or an offer of a person."""

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.callbacks import Feedback
from bot.clock import Clock
from bot.i18n import Texts
from kb.service import KnowledgeBaseService
from storage import events
from storage.models import Customer


async def article_feedback(
    query: CallbackQuery,
    callback_data: Feedback,
    session: AsyncSession,
    customer: Customer,
    t: Texts,
    clock: Clock,
    kb: KnowledgeBaseService,
) -> None:
    events.log(
        session,
        "kb_feedback",
        clock.now(),
        customer_id=customer.id,
        article=callback_data.article,
        useful=callback_data.useful,
    )
    await session.commit()
    await query.answer(t("kb-feedback-thanks") if callback_data.useful else None)
    if not isinstance(query.message, Message):
        return
    # The buttons go once used, so the same answer cannot be rated twice.
    article = kb.index.kb.get(callback_data.article, customer.language)
    await query.message.edit_reply_markup(reply_markup=keyboards.links_only(article))
    if not callback_data.useful:
        await query.message.answer(
            t("kb-feedback-sorry"), reply_markup=keyboards.operator_only(t, "negative_feedback")
        )


def build_router() -> Router:
    router = Router(name="customer.feedback")
    router.callback_query.register(article_feedback, Feedback.filter())
    return router
