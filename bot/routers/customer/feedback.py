"""👍 / 👎 under an article: thanks, or an offer of a person."""

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.replies import Replies
from common.callbacks import Feedback
from common.clock import Clock
from common.i18n import Texts
from kb.service import KnowledgeBaseService
from storage import events
from storage.models import Customer


async def article_feedback(
    query: CallbackQuery,
    say: Replies,
    callback_data: Feedback,
    session: AsyncSession,
    customer: Customer,
    t: Texts,
    clock: Clock,
    kb: KnowledgeBaseService,
    state: FSMContext,
) -> None:
    if not _still_offered(query):
        # Pressed again before the buttons went away: the rating was taken the first time.
        await query.answer()
        return
    events.log(
        session,
        "kb_feedback",
        clock.now(),
        customer_id=customer.id,
        article=callback_data.article,
        useful=callback_data.useful,
    )
    if callback_data.useful:
        # Helped: a next question that leads to the same article is a follow-up, not the
        # same question asked again because the answer failed.
        await state.update_data(last_article=None)
    await session.commit()
    await query.answer(t("kb-feedback-thanks") if callback_data.useful else None)
    if not isinstance(query.message, Message):
        return
    # The buttons go once used, so the same answer cannot be rated twice.
    article = kb.index.kb.get(callback_data.article, customer.language)
    say(query.message.edit_reply_markup(reply_markup=keyboards.links_only(article)))
    if not callback_data.useful:
        say(
            query.message.answer(
                t("kb-feedback-sorry"), reply_markup=keyboards.operator_only(t, "negative_feedback")
            )
        )


def _still_offered(query: CallbackQuery) -> bool:
    """The message still carries the pressed button (Telegram sends its current markup)."""
    message = query.message
    markup = message.reply_markup if isinstance(message, Message) else None
    rows = markup.inline_keyboard if markup is not None else []
    return any(button.callback_data == query.data for row in rows for button in row)


def build_router() -> Router:
    router = Router(name="customer.feedback")
    router.callback_query.register(article_feedback, Feedback.filter())
    return router
