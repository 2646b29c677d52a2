"""Filters that compute what handlers need (filters compute, handlers act)."""

from __future__ import annotations

import re
from typing import Any

from aiogram.filters import BaseFilter
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.middlewares.db import Lookups
from storage import customers, tickets
from storage.models import TicketStatus

TICKET_IN_NAME = re.compile(r"#(\d{1,12})\b")  # "🆕 #12 · Алиса · Доставка" (staff-topic-name)


class HasOpenTicket(BaseFilter):
    """Passes when the customer has an open ticket; provides it as `ticket`.

    What it found is left in the update's `lookups` (see DbSessionMiddleware), so the
    customer middleware that runs next does not look the same rows up again."""

    async def __call__(
        self, message: Message, session: AsyncSession, lookups: Lookups | None = None
    ) -> bool | dict[str, Any]:
        if message.from_user is None:
            return False
        customer, ticket = await customers.with_open_ticket(session, message.from_user.id)
        if lookups is not None:
            lookups.customers[message.from_user.id] = (customer, ticket)
        return {"ticket": ticket} if ticket is not None else False


class InTicketTopic(BaseFilter):
    """Passes for a message that belongs to a ticket; provides `ticket`.

    In a forum: any message in the ticket's topic. In a group without topics: a reply to one
    of the bot's messages of that ticket (its card, or a relayed customer message).
    """

    async def __call__(self, message: Message, session: AsyncSession) -> bool | dict[str, Any]:
        if message.is_topic_message and message.message_thread_id is not None:
            ticket = await tickets.by_thread(session, message.chat.id, message.message_thread_id)
        elif message.reply_to_message is not None and not message.is_topic_message:
            ticket = await tickets.of_staff_message(
                session, message.chat.id, message.reply_to_message.message_id
            )
        else:
            return False
        return {"ticket": ticket} if ticket is not None else False


def person_words(keywords: list[str]) -> re.Pattern[str] | None:
    """The configured words that ask for a human, matched at word starts, whole words found."""
    alternatives = "|".join(re.escape(k.lower()) for k in keywords if k.strip())
    return re.compile(rf"(?<!\w)(?:{alternatives})\w*", re.IGNORECASE) if alternatives else None


class AsksForPerson(BaseFilter):
    """Text that asks for a human, by configured keywords matched at word starts."""

    def __init__(self, keywords: list[str]) -> None:
        self._pattern = person_words(keywords)

    async def __call__(self, message: Message) -> bool:
        if self._pattern is None or not message.text:
            return False
        return self._pattern.search(message.text) is not None


class InUnknownTopic(BaseFilter):
    """Passes for a message in a forum topic no ticket owns (InTicketTopic did not match);
    provides `named`: the open ticket whose number the topic's name carries and that has no
    topic of its own (a topic made just before a crash), else None."""

    async def __call__(self, message: Message, session: AsyncSession) -> bool | dict[str, Any]:
        thread = message.message_thread_id
        if not message.is_topic_message or thread is None or thread == 1:
            return False
        if await tickets.by_thread(session, message.chat.id, thread) is not None:
            return False
        created = message.reply_to_message.forum_topic_created if message.reply_to_message else None
        found = TICKET_IN_NAME.search(created.name) if created is not None else None
        named = await tickets.get(session, int(found.group(1))) if found else None
        if named is not None and (
            named.thread_id is not None
            or named.status == TicketStatus.CLOSED
            or named.staff_chat_id != message.chat.id
        ):
            named = None
        return {"named": named}
