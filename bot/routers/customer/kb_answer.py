"""Free text without an open ticket: answer from the knowledge base, suggest, or offer a person."""

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.callbacks import ShowArticle
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import Texts
from kb.model import Article
from kb.render import markdown_to_telegram_html
from kb.service import KnowledgeBaseService
from storage import events
from storage.models import Customer

LONG_MESSAGE = 1000


def article_html(t: Texts, article: Article) -> str:
    return t("kb-answer", title=article.title, body=markdown_to_telegram_html(article.body))


async def answer_from_kb(
    message: Message,
    session: AsyncSession,
    customer: Customer,
    t: Texts,
    kb: KnowledgeBaseService,
    settings: Settings,
    clock: Clock,
) -> None:
    text = message.text or ""
    limit = max(1, settings.kb.suggestions)
    matches = kb.index.search(text, customer.language, limit=limit)
    now = clock.now()
    if len(text) > LONG_MESSAGE:
        await message.answer(t("content-too-long"))
    if matches and matches[0].score >= settings.kb.match_threshold:
        best = matches[0]
        events.log(
            session,
            "kb_answer",
            now,
            customer_id=customer.id,
            article=best.article.id,
            score=best.score,
        )
        await session.commit()
        await message.answer(article_html(t, best.article), parse_mode="HTML")
        return
    candidates = [m.article for m in matches if m.score >= settings.kb.suggest_threshold]
    if candidates and settings.kb.suggestions > 0:
        events.log(
            session, "kb_suggest", now, customer_id=customer.id, articles=[a.id for a in candidates]
        )
        await session.commit()
        await message.answer(t("kb-suggestions"), reply_markup=keyboards.suggestions(t, candidates))
        return
    events.log(session, "kb_miss", now, customer_id=customer.id)
    await session.commit()
    await message.answer(t("kb-not-found"), reply_markup=keyboards.operator_only(t, "kb_miss"))


async def show_suggested_article(
    query: CallbackQuery,
    callback_data: ShowArticle,
    session: AsyncSession,
    customer: Customer,
    t: Texts,
    kb: KnowledgeBaseService,
    clock: Clock,
) -> None:
    article = kb.index.kb.get(callback_data.id, customer.language)
    await query.answer()
    if article is None or not isinstance(query.message, Message):
        return
    events.log(
        session,
        "kb_answer",
        clock.now(),
        customer_id=customer.id,
        article=article.id,
        via="suggestion",
    )
    await session.commit()
    await query.message.answer(article_html(t, article), parse_mode="HTML")


def build_router() -> Router:
    router = Router(name="customer.kb")
    router.message.register(answer_from_kb, F.text)
    router.callback_query.register(show_suggested_article, ShowArticle.filter())
    return router
