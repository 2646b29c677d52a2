"""Handle each update once, even across crashes, redeliveries and replicas.

The update is marked handled in the inbox (storage.inbox) in the transaction that commits
its handler's writes, so both are there or neither is. One that was handled before (Telegram
delivered it again, another replica finished it) is skipped. An update cut short (the
process killed mid-way) is not marked and runs again: the handlers' own checks (the message
log, the relay pairs) keep that second run from repeating what the first one already did,
except for an action caught in flight at the instant of the kill.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession

from common.clock import Clock
from storage import inbox

log = logging.getLogger(__name__)


class UpdateJournalMiddleware(BaseMiddleware):
    """Runs inside the update's database session: the check and the mark ride on it. A
    failed update is not marked: it is tried again (bot.middlewares.attempts), then
    quarantined."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
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
        if await inbox.was_handled(session, event.update_id):
            self.skipped += 1
            log.info("update %s was handled before; skipped", event.update_id)
            return None
        result = await handler(event, data)
        now = self.clock.now()
        # An album's later parts are handled with its first (bot.middlewares.albums).
        for update_id in (event.update_id, *data.get("album_updates", ())):
            inbox.mark_handled_later(session, update_id, now)
        return result
