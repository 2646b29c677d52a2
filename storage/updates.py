"""The update journal: which Telegram updates were handled to the end."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import HandledUpdate
from storage.pending import defer
from storage.upsert import insert_or_ignore_statement, table_of

# Telegram keeps an unconfirmed update for 24 hours; ids older than that cannot come back.
KEEP = timedelta(hours=48)


_TABLE = table_of(HandledUpdate)
_HANDLED = select(HandledUpdate.update_id).where(HandledUpdate.update_id == bindparam("update_id"))


async def was_handled(session: AsyncSession, update_id: int) -> bool:
    found = await session.scalar(_HANDLED, {"update_id": update_id})
    return found is not None


def mark_handled_later(session: AsyncSession, update_id: int, now: datetime) -> None:
    """Journal the update with the session's deferred writes (storage.pending), in the same
    transaction. Ignored when present: another replica finished the same update (a
    redelivery raced a slow handler)."""
    statement = insert_or_ignore_statement(session.get_bind().dialect.name, _TABLE)
    defer(session, statement, {"update_id": update_id, "handled_at": now})


async def forget_old(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        delete(HandledUpdate).where(HandledUpdate.handled_at < now - KEEP)
    )
    return int(getattr(result, "rowcount", 0) or 0)
