"""Free text without an open ticket: carry out the policy's decision (bot.policy).

An article goes out with 👍/👎, small talk gets a short reply, a request for a person is handed
off at once. An unsure turn gets up to `kb.suggestions` suggested articles and a "talk to a
person" button; after `policy.low_confidence_turns` unsure turns in a row, or when the customer
asks the same thing again, the bot offers a person outright.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.config import Settings
from bot.orders import OrderBackend
from bot.policy import (
    NLU_INPUT_LIMIT,
    SMALLTALK,
    Action,
    Thresholds,
    Turn,
    decide,
    intent_articles,
    is_confident,
)
from bot.replies import Replies
from bot.routers.customer.callback import start_callback_flow
from bot.routers.customer.handoff import hand_off
from bot.routers.customer.orders import start_order_flow
from common.callbacks import ShowArticle
from common.clock import Clock
from common.i18n import Texts
from handoff.desk import Desk
from kb.model import Article
from kb.render import markdown_to_telegram_html, split_message
from kb.service import KnowledgeBaseService
from nlu.categories import Categorizer, Classification, ClassificationFields
from nlu.rasa_client import selected_articles
from nlu.service import NLU
from storage import contacts, events
from storage.models import Customer

LONG_MESSAGE = 1000
QUESTION_LOG_LIMIT = 200  # unanswered questions are kept for the KB-gaps report


def article_html(t: Texts, article: Article) -> str:
    return t(
        "kb-answer",
        title=html.escape(article.title, quote=False),
        body=markdown_to_telegram_html(article.body),
    )


async def send_article(message: Message, say: Replies, t: Texts, article: Article) -> None:
    """The article, split if long; the 👍/👎 buttons go under its last part."""
    parts = split_message(article_html(t, article))
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        say(
            message.answer(
                part,
                parse_mode="HTML",
                reply_markup=keyboards.feedback(t, article) if last else None,
            )
        )


async def answer_with(
    message: Message,
    say: Replies,
    session: AsyncSession,
    customer: Customer,
    t: Texts,
    state: FSMContext,
    article: Article,
    memory: dict[str, Any],
    now: datetime,
    seen: ClassificationFields,
    via: str,
) -> None:
    """Send an article; the same article asked for twice in a row offers a person instead."""
    if memory.get("last_article") == article.id:
        events.log_later(
            session, "kb_repeat", now, customer_id=customer.id, article=article.id, **seen
        )
        await state.update_data(last_article=None, unsure=0)
        say(
            message.answer(
                t("kb-repeat"), reply_markup=keyboards.operator_only(t, "repeat_question")
            )
        )
        return
    events.log_later(
        session, "kb_answer", now, customer_id=customer.id, article=article.id, via=via, **seen
    )
    await state.update_data(last_article=article.id, unsure=0)
    await send_article(message, say, t, article)


async def answer_question(
    message: Message,
    say: Replies,
    session: AsyncSession,
    customer: Customer,
    t: Texts,
    state: FSMContext,
    nlu: NLU,
    kb: KnowledgeBaseService,
    desk: Desk,
    settings: Settings,
    clock: Clock,
    orders: OrderBackend,
    categorizer: Categorizer,
) -> None:
    text = message.text or ""
    await state.set_state(None)  # a new question ends any dialog left half-way
    if len(text) > LONG_MESSAGE:
        say(message.answer(t("content-too-long")))
    parsed = await nlu.parse(text[:NLU_INPUT_LIMIT])
    intent = str(parsed["intent"]["name"])
    confidence = float(parsed["intent"]["confidence"])
    memory: dict[str, Any] = await state.get_data()
    now = clock.now()
    confident = is_confident(intent, confidence, settings.policy.confident)
    matches = kb.index.search(text, customer.language, limit=max(3, settings.kb.suggestions))
    decision = decide(
        Turn(
            intent,
            confidence,
            matches,
            intent_articles(
                kb.index.kb,
                intent,
                selected_articles(parsed),
                customer.language,
                settings.policy.confident,
            ),
        ),
        Thresholds(
            confident=settings.policy.confident,
            answer=settings.kb.match_threshold,
            suggest=settings.kb.suggest_threshold,
            suggestions=settings.kb.suggestions,
        ),
    )
    contact = Classification(
        intent,
        confidence,
        categorizer.categorize(
            text,
            intent if confident else None,
            decision.article.category if decision.article else None,
        ),
    )
    await state.update_data(contact=contact.to_state())
    if contact.category != categorizer.default and intent not in SMALLTALK:
        contacts.classify_later(session, customer.id, intent, confidence, contact.category)
    seen = contact.fields()

    if decision.action is Action.HAND_OFF:
        events.log(session, "nlu_handoff", now, customer_id=customer.id, **seen)
        await hand_off(
            message, say, session, customer, t, desk, "asked_for_operator", contact, state
        )
        return
    if decision.action is Action.ANSWER and decision.article is not None:
        await answer_with(
            message,
            say,
            session,
            customer,
            t,
            state,
            decision.article,
            memory,
            now,
            seen,
            decision.via,
        )
        return
    if decision.action is Action.FLOW:
        if decision.flow == "order_status":
            events.log_later(session, "flow_order_status", now, customer_id=customer.id, **seen)
            await start_order_flow(message, say, parsed, session, customer, t, orders, clock, state)
        else:
            events.log_later(session, "flow_callback", now, customer_id=customer.id, **seen)
            await start_callback_flow(message, say, customer, t, state)
        return
    if decision.action is Action.SMALLTALK:
        events.log_later(session, "smalltalk", now, customer_id=customer.id, **seen)
        await state.update_data(unsure=0)
        say(message.answer(t(f"smalltalk-{intent}")))
        return

    # Unsure: suggest articles by text similarity, and offer a person.
    unsure = int(memory.get("unsure", 0)) + 1
    await state.update_data(unsure=unsure, last_article=None)
    candidates = list(decision.suggestions)
    if unsure >= settings.policy.low_confidence_turns:
        events.log_later(
            session,
            "kb_offer_operator",
            now,
            customer_id=customer.id,
            unsure=unsure,
            question=text[:QUESTION_LOG_LIMIT],
            **seen,
        )
        say(
            message.answer(
                t("kb-offer-operator"),
                reply_markup=keyboards.suggestions(t, candidates, "low_confidence"),
            )
        )
        return
    if candidates:
        events.log_later(
            session,
            "kb_suggest",
            now,
            customer_id=customer.id,
            articles=[a.id for a in candidates],
            question=text[:QUESTION_LOG_LIMIT],
            **seen,
        )
        say(
            message.answer(
                t("kb-suggestions"), reply_markup=keyboards.suggestions(t, candidates, "kb_miss")
            )
        )
        return
    events.log_later(
        session, "kb_miss", now, customer_id=customer.id, question=text[:QUESTION_LOG_LIMIT], **seen
    )
    topics = kb.index.kb.topics(customer.language)
    text = (
        t("kb-out-of-scope", topics=", ".join(topics))
        if decision.out_of_scope and topics
        else t("kb-not-found")
    )
    say(message.answer(text, reply_markup=keyboards.operator_only(t, "kb_miss")))


async def show_suggested_article(
    query: CallbackQuery,
    say: Replies,
    callback_data: ShowArticle,
    session: AsyncSession,
    customer: Customer,
    t: Texts,
    state: FSMContext,
    kb: KnowledgeBaseService,
    clock: Clock,
) -> None:
    article = kb.index.kb.get(callback_data.id, customer.language)
    await query.answer()
    if article is None or not isinstance(query.message, Message):
        return
    events.log_later(
        session,
        "kb_answer",
        clock.now(),
        customer_id=customer.id,
        article=article.id,
        via="suggestion",
    )
    await state.update_data(last_article=article.id, unsure=0)
    await send_article(query.message, say, t, article)


def build_router() -> Router:
    router = Router(name="customer.question")
    router.message.register(answer_question, F.text)
    router.callback_query.register(show_suggested_article, ShowArticle.filter())
    return router
