"""An update whose handling fails is tried again, a little later, up to `attempts` times;
then the error goes on to the errors router, which tells the customer and quarantines it.

Inside the per-chat lock, so the chat's next update waits for the last attempt, and outside
the database session, so each attempt starts afresh. A database outage is not retried here:
the inbox (bot.inbox) waits for the database and runs the update again then.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from storage.outage import is_outage

log = logging.getLogger(__name__)
FIRST_PAUSE = 0.2  # seconds before the second attempt, doubled for each one after


class AttemptsMiddleware(BaseMiddleware):
    def __init__(self, attempts: int) -> None:
        self.attempts = attempts

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        pause = FIRST_PAUSE
        for attempt in range(1, self.attempts + 1):
            try:
                return await handler(event, data)
            except Exception as exc:
                if is_outage(exc) or attempt == self.attempts:
                    raise
                update_id = event.update_id if isinstance(event, Update) else "-"
                log.warning(
                    "update %s failed (%s), attempt %s of %s",
                    update_id,
                    type(exc).__name__,
                    attempt,
                    self.attempts,
                )
            await asyncio.sleep(pause)
            pause *= 2
        raise AssertionError("unreachable")  # pragma: no cover
