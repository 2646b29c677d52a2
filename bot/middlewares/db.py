"""One database session per update."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Customer, Ticket


@dataclass
class Lookups:
    """Rows an update's filters already read in its session, for the middlewares after them:
    by Telegram user id, the customer (None: not one yet) and their open ticket."""

    customers: dict[int, tuple[Customer | None, Ticket | None]] = field(default_factory=dict)


class DbSessionMiddleware(BaseMiddleware):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self.sessionmaker() as session:
            data["session"] = session
            data["lookups"] = Lookups()
            result = await handler(event, data)
            await session.commit()
            return result
