"""Collect the parts of an album (messages sharing a media_group_id) into one update.

Telegram delivers an album as separate messages. Relaying them one by one would split the
album, so the first part waits a short window for its siblings; the handler then gets them all
as `album` (sorted by message id) and the siblings' own updates end here, marked handled
with the first part's (`album_updates`, bot.middlewares.journal). This runs before the
per-chat lock, otherwise the first part would hold the lock its siblings need.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject, Update


class AlbumMiddleware(BaseMiddleware):
    def __init__(self, window: float) -> None:
        self.window = window
        self._pending: dict[tuple[int, str], list[tuple[Message, int]]] = {}

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        message = event.message if isinstance(event, Update) else None
        if message is None or message.media_group_id is None:
            return await handler(event, data)
        assert isinstance(event, Update)
        key = (message.chat.id, message.media_group_id)
        if key in self._pending:
            self._pending[key].append((message, event.update_id))
            return None  # carried by the first part
        self._pending[key] = [(message, event.update_id)]
        try:
            await asyncio.sleep(self.window)
        finally:
            parts = self._pending.pop(key)
        data["album"] = sorted((part for part, _ in parts), key=lambda m: m.message_id)
        data["album_updates"] = [update_id for _, update_id in parts[1:]]
        return await handler(event, data)
