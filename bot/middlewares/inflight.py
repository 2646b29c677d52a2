"""Track updates being handled, so shutdown can let them finish (and tests can tell when
the bot has gone quiet)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject


class InFlight(BaseMiddleware):
    def __init__(self) -> None:
        self.count = 0
        self._drained = asyncio.Event()
        self._drained.set()
        self.listeners: list[Callable[[], None]] = []

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self.count += 1
        self._drained.clear()
        try:
            return await handler(event, data)
        finally:
            self.count -= 1
            if self.count == 0:
                self._drained.set()
                for listener in self.listeners:
                    listener()

    async def drained(self, grace: float) -> bool:
        """Wait for in-flight updates to finish; False if some were still running after `grace`."""
        try:
            async with asyncio.timeout(grace):
                await self._drained.wait()
        except TimeoutError:
            return False
        return True
