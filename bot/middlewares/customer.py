"""Customer context for private chats: upsert the customer, log the inbound message once,
and hand the handler the customer and texts in their language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession

from bot.middlewares.db import Lookups
from common.clock import Clock
from common.content import inbound_rows
from common.i18n import Translator, pick_language
from storage import contacts, customers, messages, pending, tickets


class CustomerContextMiddleware(BaseMiddleware):
    def __init__(
        self,
        clock: Clock,
        translator: Translator,
        default_language: str,
        session_gap: timedelta = timedelta(minutes=30),
    ) -> None:
        self.clock = clock
        self.translator = translator
        self.default_language = default_language
        self.session_gap = session_gap

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        session: AsyncSession = data["session"]
        if user is None or user.is_bot:
            return None
        now = self.clock.now()
        profile = customers.Profile(
            telegram_id=user.id,
            first_name=user.first_name,
            last_name=user.last_name,
            username=user.username,
            language=pick_language(user.language_code, self.default_language),
        )
        lookups: Lookups | None = data.get("lookups")
        found = lookups.customers.get(user.id) if lookups else None
        customer = await customers.upsert(
            session, profile, now, existing=found[0] if found else customers.UNKNOWN
        )
        if isinstance(event, Message):
            if found is not None and found[0] is not None:
                open_ticket = found[1]
            else:
                open_ticket = data.get("ticket") or await tickets.open_for_customer(
                    session, customer.id
                )
            parts: list[Message] = data.get("album") or [event]
            rows = inbound_rows(
                parts,
                now,
                customer_id=customer.id,
                ticket_id=open_ticket.id if open_ticket else None,
            )
            counted = (customer.id, now, self.session_gap, event.chat.id, event.message_id)
            if open_ticket is None:
                # Logged and counted with the update's final (group) commit: nothing reads
                # them back before, except a new ticket's card, which flushes them first.
                for row in rows:
                    messages.record_later(session, row)
                contacts.touch_later(session, *counted)
            else:
                # Relayed: the copy's log row is stamped from this row, read by another session.
                # A row already logged (an update cut short by a crash runs again) stays, and
                # its message is not counted twice.
                for row in rows:
                    await messages.record(session, row)
                await contacts.touch(session, *counted)
        if customer.is_banned:
            await session.commit()
            return None  # logged, never answered or relayed
        # Ends the transaction before the handler talks to Telegram; the deferred rows wait
        # for the update's final commit.
        await pending.commit_holding(session)
        data["customer"] = customer
        data["t"] = self.translator.texts(customer.language)
        return await handler(event, data)
