"""Serialise updates per chat (and forum topic) so a customer's messages keep their order
and a burst of first messages cannot race to open two tickets.

Within a process an asyncio lock queues a chat's updates in arrival order. With Redis
(replicas), the holder of the local lock also takes a Redis lock for the chat, so two
replicas never handle the same chat at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject, User
from redis.asyncio import Redis
from redis.exceptions import LockError

# A replica that dies holding a chat's lock frees it after this long.
REDIS_LOCK_TTL = 60.0
REDIS_LOCK_POLL = 0.005  # seconds between attempts while another replica holds the chat


class ChatLockMiddleware(BaseMiddleware):
    def __init__(self, redis: Redis | None = None) -> None:
        self.redis = redis
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
            async with lock, self._shared(key):
                return await handler(event, data)
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    @contextlib.asynccontextmanager
    async def _shared(self, key: tuple[int, int | None]) -> AsyncIterator[None]:
        if self.redis is None:
            yield
            return
        name = f"frontline:chat-lock:{key[0]}:{key[1] or 0}"
        lock = self.redis.lock(name, timeout=REDIS_LOCK_TTL, sleep=REDIS_LOCK_POLL)
        await lock.acquire()
        try:
            yield
        finally:
            with contextlib.suppress(LockError):  # expired meanwhile: nothing left to free
                await lock.release()
