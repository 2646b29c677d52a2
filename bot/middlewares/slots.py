"""At most `concurrency` updates run their handlers at once.

Each running update holds up to three database connections (its session, the journal, the
outbound log); unbounded, a backlog delivered after a restart would drain the pool and every
update would wait for a connection held by another. Taken inside the per-chat lock, so updates
queued behind a busy chat do not occupy a slot while they wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

CONNECTIONS_PER_UPDATE = 3


class SlotsMiddleware(BaseMiddleware):
    def __init__(self, concurrency: int) -> None:
        self._slots = asyncio.Semaphore(concurrency)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self._slots:
            return await handler(event, data)
