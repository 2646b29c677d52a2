"""Serialise updates per chat (and forum topic) so a customer's messages keep their order
and a burst of first messages cannot race to open two tickets."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject, User


class ChatLockMiddleware(BaseMiddleware):
    def __init__(self) -> None:
        # key -> (lock, number of updates holding or waiting for it); dropped at zero.
        self._locks: dict[tuple[int, int | None], tuple[asyncio.Lock, int]] = {}

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat: Chat | None = data.get("event_chat")
        user: User | None = data.get("event_from_user")
        if chat is not None:
            key: tuple[int, int | None] = (chat.id, data.get("event_thread_id"))
        elif user is not None:
            key = (user.id, None)
        else:
            return await handler(event, data)
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                return await handler(event, data)
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
