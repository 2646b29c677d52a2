"""Handle each Telegram update once, even across crashes and replicas.

An update that was handled to the end is written to the journal; Telegram redelivers what the
bot had not confirmed when it died, and those already journaled are skipped. An update that
was cut short (the process killed mid-way) is not journaled and runs again: the handlers'
own checks (the message log, the relay pairs) keep that second run from repeating what the
first one already did, except for an action caught in flight at the instant of the kill.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from storage import updates
from storage.outage import is_outage

log = logging.getLogger(__name__)
PRUNE_EVERY = 5000  # updates between clean-ups of old journal rows


class UpdateJournalMiddleware(BaseMiddleware):
    """Runs inside the update's database session: the check and the mark ride on it, and the
    mark is committed after the handler's own writes, with its deferred ones."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._marked = 0
        self.skipped = 0

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        session: AsyncSession = data["session"]
        if await updates.was_handled(session, event.update_id):
            self.skipped += 1
            log.info("update %s was handled before; skipped", event.update_id)
            return None
        try:
            result = await handler(event, data)
        except asyncio.CancelledError:
            raise  # cut short (shutdown): Telegram will deliver it again
        except Exception as exc:
            if is_outage(exc):
                raise  # not handled: it runs again once the database is back
            # The errors router has already told the customer; retrying a poison update
            # forever would block the chat behind it. Its unfinished writes are dropped.
            await session.rollback()
            await self._mark(session, event.update_id)
            await session.commit()
            raise
        await self._mark(session, event.update_id)
        return result

    async def _mark(self, session: AsyncSession, update_id: int) -> None:
        now = self.clock.now()
        # Deferred: written last, with the update's other deferred rows (DbSessionMiddleware).
        updates.mark_handled_later(session, update_id, now)
        self._marked += 1
        if self._marked % PRUNE_EVERY == 0:
            await updates.forget_old(session, now)
