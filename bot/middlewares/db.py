"""One database session per update."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.replies import Replies
from common.clock import Clock
from storage.models import Customer, Ticket


@dataclass
class Lookups:
    """Rows an update's filters already read in its session, for the middlewares after them:
    by Telegram user id, the customer (None: not one yet) and their open ticket."""

    customers: dict[int, tuple[Customer | None, Ticket | None]] = field(default_factory=dict)


# The session of any update being handled (bot.fsm_storage writes dialog state in it).
update_session: ContextVar[AsyncSession | None] = ContextVar("update_session", default=None)


def current_update_session() -> AsyncSession | None:
    return update_session.get()


class DbSessionMiddleware(BaseMiddleware):
    """One session per update, committed once at its end: the handler's writes, its deferred
    ones (its log rows, storage.pending), its replies (`say`, bot.replies) and its inbox mark
    in one transaction."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        wake_outbox: Callable[[], None],
    ) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.wake_outbox = wake_outbox

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self.sessionmaker() as session:
            data["session"] = session
            data["lookups"] = Lookups()
            data["say"] = Replies(session, self.clock, self.wake_outbox)
            token = update_session.set(session)
            try:
                result = await handler(event, data)
            finally:
                update_session.reset(token)
            await session.commit()
        return result
