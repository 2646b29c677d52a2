"""The operator desk: opens tickets with a forum topic, relays both ways, closes and rates.

SQLite allows one writer at a time, so every method commits before it talks to Telegram:
no transaction is ever held open across network I/O.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup, Message, User
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.i18n import Texts, Translator
from handoff.card import CardExtras, render_card
from nlu.categories import Classification
from storage import events, messages, tickets
from storage.models import Customer, Ticket

log = logging.getLogger(__name__)

TOPIC_NAME_LIMIT = 128
# What the bot did for the customer within this window goes on the ticket's card.
CONTEXT_WINDOW = timedelta(hours=24)


class Desk:
    def __init__(
        self,
        bot: Bot,
        *,
        staff_chat_id: int,
        translator: Translator,
        staff_language: str,
        history_messages: int,
        clock: Clock,
    ) -> None:
        self.bot = bot
        self.staff_chat_id = staff_chat_id
        self.translator = translator
        self.staff: Texts = translator.texts(staff_language)
        self.history_messages = history_messages
        self.clock = clock

    async def open_ticket(
        self, session: AsyncSession, customer: Customer, reason: str, contact: Classification
    ) -> tuple[Ticket, bool]:
        """The customer's open ticket, created with its topic and card if there was none."""
        now = self.clock.now()
        ticket, created = await tickets.open_or_get(
            session,
            customer.id,
            reason,
            now,
            intent=contact.intent,
            confidence=contact.confidence,
            category=contact.category,
        )
        if created:
            events.log(
                session,
                "ticket_opened",
                now,
                customer_id=customer.id,
                ticket_id=ticket.id,
                reason=reason,
                **contact.fields(),
            )
        await session.commit()
        if ticket.thread_id is None:
            # Also retries a topic that failed to open on an earlier attempt.
            await self._open_topic(session, ticket, customer)
        return ticket, created

    async def _open_topic(self, session: AsyncSession, ticket: Ticket, customer: Customer) -> None:
        dialog = await messages.dialog(session, customer.telegram_id, self.history_messages)
        extras = await self._card_extras(session, customer)
        name = self.staff(
            "staff-topic-name", ticket=ticket.id, name=customer.full_name or customer.telegram_id
        )
        topic = await self.bot.create_forum_topic(self.staff_chat_id, name[:TOPIC_NAME_LIMIT])
        ticket.thread_id = topic.message_thread_id
        await session.commit()
        card = await self.bot.send_message(
            self.staff_chat_id,
            render_card(self.staff, ticket, customer, dialog, extras),
            message_thread_id=topic.message_thread_id,
            parse_mode="HTML",
        )
        ticket.card_message_id = card.message_id
        events.log(
            session, "topic_opened", self.clock.now(), customer_id=customer.id, ticket_id=ticket.id
        )
        await session.commit()

    async def _card_extras(self, session: AsyncSession, customer: Customer) -> CardExtras:
        since = self.clock.now() - CONTEXT_WINDOW
        order = await events.latest(session, customer.id, "order_lookup", since)
        articles = await events.articles_shown(session, customer.id, since)
        return CardExtras(
            order_number=str(order.data.get("number") or "") if order else "",
            order_result=str(order.data.get("status") or order.data.get("result") or "")
            if order
            else "",
            articles=articles,
        )

    async def to_staff(
        self, session: AsyncSession, ticket: Ticket, customer: Customer, message: Message
    ) -> None:
        """Copy a customer's message into the ticket's topic."""
        if ticket.thread_id is None:
            await self._open_topic(session, ticket, customer)
        await self.bot.copy_message(
            chat_id=self.staff_chat_id,
            from_chat_id=message.chat.id,
            message_id=message.message_id,
            message_thread_id=ticket.thread_id,
        )

    async def to_customer(self, session: AsyncSession, ticket: Ticket, message: Message) -> None:
        """Copy an operator's message from the topic to the ticket's customer, anonymously."""
        customer = ticket.customer
        try:
            await self.bot.copy_message(
                chat_id=customer.telegram_id,
                from_chat_id=message.chat.id,
                message_id=message.message_id,
            )
        except TelegramForbiddenError as exc:
            customer.is_blocked = True
            events.log(
                session,
                "customer_blocked",
                self.clock.now(),
                customer_id=customer.id,
                ticket_id=ticket.id,
            )
            await session.commit()
            await self.bot.send_message(
                self.staff_chat_id,
                self.staff("staff-delivery-failed", error=exc.message),
                message_thread_id=ticket.thread_id,
            )
            return
        now = self.clock.now()
        first = tickets.mark_operator_reply(ticket, now)
        operator_id = message.from_user.id if message.from_user else None
        events.log(
            session,
            "operator_reply",
            now,
            customer_id=customer.id,
            ticket_id=ticket.id,
            operator_id=operator_id,
            first=first,
        )
        await session.commit()

    async def close(
        self,
        session: AsyncSession,
        ticket: Ticket,
        operator: User | None,
        rating_kb: InlineKeyboardMarkup,
    ) -> bool:
        """Close the ticket and its topic, tell the customer and ask for a rating."""
        if ticket.status == "closed":
            return False
        now = self.clock.now()
        tickets.close(ticket, operator.id if operator else None, now)
        events.log(
            session,
            "ticket_closed",
            now,
            customer_id=ticket.customer_id,
            ticket_id=ticket.id,
            operator_id=operator.id if operator else None,
        )
        await session.commit()
        customer = ticket.customer
        t = self.translator.texts(customer.language)
        try:
            await self.bot.send_message(customer.telegram_id, t("handoff-closed", ticket=ticket.id))
            await self.bot.send_message(
                customer.telegram_id, t("rating-ask"), reply_markup=rating_kb
            )
        except TelegramForbiddenError:
            customer.is_blocked = True
            await session.commit()
        who = operator.full_name if operator else "—"
        await self.bot.send_message(
            self.staff_chat_id,
            self.staff("staff-ticket-closed", ticket=ticket.id, operator=who),
            message_thread_id=ticket.thread_id,
        )
        if ticket.thread_id is not None:
            await self.bot.close_forum_topic(self.staff_chat_id, ticket.thread_id)
        return True

    async def rate(self, session: AsyncSession, ticket: Ticket, score: int) -> bool:
        now = self.clock.now()
        if not tickets.rate(ticket, score, now):
            return False
        events.log(
            session, "csat", now, customer_id=ticket.customer_id, ticket_id=ticket.id, score=score
        )
        await session.commit()
        await self.bot.send_message(
            self.staff_chat_id,
            self.staff("staff-rating", ticket=ticket.id, score=score),
            message_thread_id=ticket.thread_id,
        )
        return True
