"""Operator commands in a ticket's topic: /kb (send an article), /ban, /unban."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.methods import SendMessage
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters import InTicketTopic
from bot.replies import Replies
from bot.routers.customer.question import article_html
from common.clock import Clock
from common.i18n import Translator
from handoff.desk import Desk
from kb.model import Article
from kb.render import split_message
from kb.service import KnowledgeBaseService
from storage import events
from storage.models import Ticket

CLOSE_ENOUGH = 10.0  # relevance points between two articles that answer a query about as well


def find_article(
    kb: KnowledgeBaseService, query: str, language: str, threshold: float, staff_language: str
) -> Article | None:
    """The article an operator's `/kb` names, by id or by words, in the customer's language.

    Operators type in their own language: words that find an article only in the staff's
    language send that article's version in the customer's language (or, if it has none,
    the staff's version)."""
    key = query.strip().lower()
    exact = kb.index.kb.get(key, language) or kb.index.kb.get(key, staff_language)
    if exact is not None:
        return exact
    for searched in dict.fromkeys((language, staff_language)):
        matches = [m for m in kb.index.search(query, searched) if m.score >= threshold]
        # Of articles about as relevant, the one the customer can read in their language.
        for match in matches:
            if match.score >= matches[0].score - CLOSE_ENOUGH:
                translated = kb.index.kb.get(match.article.id, language)
                if translated is not None:
                    return translated
        if matches:
            return matches[0].article
    return None


async def send_article(
    message: Message,
    say: Replies,
    command: CommandObject,
    session: AsyncSession,
    ticket: Ticket,
    desk: Desk,
    kb: KnowledgeBaseService,
    translator: Translator,
    settings: Settings,
    clock: Clock,
) -> None:
    query = (command.args or "").strip()
    customer = ticket.customer
    article = (
        find_article(
            kb, query, customer.language, settings.kb.suggest_threshold, settings.staff_language
        )
        if query
        else None
    )
    if article is None:
        say(
            message.reply(
                desk.staff("staff-kb-not-found", query=html.escape(query or "—")), parse_mode="HTML"
            )
        )
        return
    t = translator.texts(customer.language)
    for part in split_message(article_html(t, article)):
        say(
            SendMessage(chat_id=customer.telegram_id, text=part, parse_mode="HTML"),
            ticket_id=ticket.id,
            failure_notice="staff",
        )
    events.ticket_event(
        session,
        "kb_canned",
        clock.now(),
        ticket,
        article=article.id,
        operator_id=message.from_user.id if message.from_user else None,
    )
    await session.commit()
    say(
        message.reply(
            desk.staff("staff-kb-sent", title=html.escape(article.title)), parse_mode="HTML"
        )
    )


async def ban(
    message: Message,
    say: Replies,
    session: AsyncSession,
    ticket: Ticket,
    desk: Desk,
    clock: Clock,
) -> None:
    await _set_ban(message, say, session, ticket, desk, clock, banned=True)


async def unban(
    message: Message,
    say: Replies,
    session: AsyncSession,
    ticket: Ticket,
    desk: Desk,
    clock: Clock,
) -> None:
    await _set_ban(message, say, session, ticket, desk, clock, banned=False)


async def _set_ban(
    message: Message,
    say: Replies,
    session: AsyncSession,
    ticket: Ticket,
    desk: Desk,
    clock: Clock,
    banned: bool,
) -> None:
    ticket.customer.is_banned = banned
    events.ticket_event(
        session,
        "customer_banned" if banned else "customer_unbanned",
        clock.now(),
        ticket,
        operator_id=message.from_user.id if message.from_user else None,
    )
    await session.commit()
    say(message.reply(desk.staff("staff-banned" if banned else "staff-unbanned")))


def build_router() -> Router:
    router = Router(name="operator.commands")
    router.message.register(send_article, Command("kb"), InTicketTopic())
    router.message.register(ban, Command("ban"), InTicketTopic())
    router.message.register(unban, Command("unban"), InTicketTopic())
    return router
