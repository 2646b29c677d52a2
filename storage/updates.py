"""The update journal: which Telegram updates were handled to the end."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import HandledUpdate

# Telegram keeps an unconfirmed update for 24 hours; ids older than that cannot come back.
KEEP = timedelta(hours=48)


async def was_handled(session: AsyncSession, update_id: int) -> bool:
    found = await session.scalar(
        select(HandledUpdate.update_id).where(HandledUpdate.update_id == update_id)
    )
    return found is not None


async def mark_handled(session: AsyncSession, update_id: int, now: datetime) -> None:
    try:
        async with session.begin_nested():
            session.add(HandledUpdate(update_id=update_id, handled_at=now))
    except IntegrityError:
        pass  # another replica finished the same update (a redelivery raced a slow handler)


async def forget_old(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        delete(HandledUpdate).where(HandledUpdate.handled_at < now - KEEP)
    )
    return int(getattr(result, "rowcount", 0) or 0)
