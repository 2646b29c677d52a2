"""Serialise updates per chat (and forum topic) so a customer's messages keep their order
and a burst of first messages cannot race to open two tickets; and per ticket, so that a
customer's message and an operator's /close on the same ticket never interleave.

Within a process an asyncio lock queues the holders of a key in arrival order. With Redis
(replicas), the holder of the local lock also takes a Redis lock for the key, so two replicas
never hold it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import Chat, TelegramObject, User
from redis.asyncio import Redis
from redis.exceptions import LockError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Ticket

# A replica that dies holding a lock frees it after this long.
REDIS_LOCK_TTL = 60.0
REDIS_LOCK_POLL = 0.005  # seconds between attempts while another replica holds the key


class KeyedLocks:
    def __init__(self, redis: Redis | None, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        # key -> (lock, number of holders and waiters); dropped at zero.
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock, self._shared(key):
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    @contextlib.asynccontextmanager
    async def _shared(self, key: str) -> AsyncIterator[None]:
        if self.redis is None:
            yield
            return
        lock = self.redis.lock(
            f"{self.prefix}:{key}", timeout=REDIS_LOCK_TTL, sleep=REDIS_LOCK_POLL
        )
        await lock.acquire()
        try:
            yield
        finally:
            with contextlib.suppress(LockError):  # expired meanwhile: nothing left to free
                await lock.release()


class ChatLockMiddleware(BaseMiddleware):
    def __init__(self, redis: Redis | None = None) -> None:
        self.locks = KeyedLocks(redis, "frontline:chat-lock")

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat: Chat | None = data.get("event_chat")
        user: User | None = data.get("event_from_user")
        if chat is not None:
            key = f"{chat.id}:{data.get('event_thread_id') or 0}"
        elif user is not None:
            key = f"{user.id}:0"
        else:
            return await handler(event, data)
        async with self.locks.hold(key):
            state = data.get("state")
            if isinstance(state, FSMContext):
                # aiogram read the dialog state before the lock, maybe before the chat's
                # previous update committed the step it set: read again under the lock.
                data["raw_state"] = await state.get_state()
            return await handler(event, data)


class TicketLockMiddleware(BaseMiddleware):
    """An inner middleware: runs once the filters have found the update's ticket, holds that
    ticket's lock around the handler, and reloads the ticket under it, so the handler acts on
    its latest state (a relay after a /close sees the ticket closed)."""

    def __init__(self, redis: Redis | None = None) -> None:
        self.locks = KeyedLocks(redis, "frontline:ticket-lock")

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        ticket = data.get("ticket")
        session = data.get("session")
        if not isinstance(ticket, Ticket) or not isinstance(session, AsyncSession):
            return await handler(event, data)
        async with self.locks.hold(str(ticket.id)):
            await session.refresh(ticket)
            return await handler(event, data)
