"""aiogram's FSM storage on the bot's database: dialog steps survive a restart by default.

Inside an update, state is written in the update's own session and committed with the rest of
its writes (one unit of work, and no second writer waiting on SQLite's lock); outside one
(aiogram reads the state before the update's session opens) in a short session of its own.
With REDIS_URL set, bot/app.py uses aiogram's RedisStorage instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.middlewares.db import current_update_session
from bot.middlewares.locks import KeyedLocks
from common.clock import Clock
from storage import dialogs


class DatabaseStorage(BaseStorage):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.keys = DefaultKeyBuilder(with_destiny=True)

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[tuple[AsyncSession, bool]]:
        session = current_update_session()
        if session is not None:
            yield session, False
            return
        async with self.sessionmaker() as own:
            yield own, True

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        async with self._session() as (session, own):
            await dialogs.put(session, self.keys.build(key), self.clock.now(), state=value)
            if own:
                await session.commit()

    async def get_state(self, key: StorageKey) -> str | None:
        async with self._session() as (session, _):
            row = await dialogs.get(session, self.keys.build(key))
        return row.state if row is not None else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        async with self._session() as (session, own):
            await dialogs.put(session, self.keys.build(key), self.clock.now(), data=dict(data))
            if own:
                await session.commit()

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self._session() as (session, _):
            row = await dialogs.get(session, self.keys.build(key))
        return dict(row.data) if row is not None else {}

    async def close(self) -> None:
        pass  # the engine is the app's


class OrderedReads(BaseStorage):
    """Any storage, with each key's state reads answered in the order they were asked.

    aiogram reads an update's dialog state before our middlewares run, so before the chat
    lock (bot.middlewares.locks) queues the chat's updates; a read that awaits the database
    or Redis could let a chat's second update finish its read first and take the lock first.
    Reads of one key wait for each other here (only for the read, not for the handling, so
    an album's parts still reach bot.middlewares.albums together)."""

    def __init__(self, storage: BaseStorage) -> None:
        self.storage = storage
        self.reads = KeyedLocks(None, "")

    async def get_state(self, key: StorageKey) -> str | None:
        async with self.reads.hold(f"{key.chat_id}:{key.user_id}:{key.thread_id}"):
            return await self.storage.get_state(key)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self.storage.set_state(key, state)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self.storage.set_data(key, data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return await self.storage.get_data(key)

    async def close(self) -> None:
        await self.storage.close()
