"""The quarantine: updates that could not be parsed or handled, and their replays."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import HandledUpdate, Quarantined
from storage.upsert import insert_or_ignore, table_of


async def keep(
    session: AsyncSession, update_id: int, raw: dict[str, Any], error: str, now: datetime
) -> bool:
    """Quarantine an update; False if it was there already (admins are told once)."""
    return await insert_or_ignore(
        session,
        table_of(Quarantined),
        {
            "update_id": update_id,
            "raw": raw,
            "error": error[:300],
            "quarantined_at": now,
            "attempts": 1,
            "replay_requested": False,
        },
    )


async def listing(session: AsyncSession) -> list[Quarantined]:
    return list(await session.scalars(select(Quarantined).order_by(Quarantined.update_id)))


async def request_replay(session: AsyncSession, update_id: int | None) -> int:
    """Mark one update (None: all not yet replayed) for the running bot to handle again."""
    statement = update(Quarantined).values(replay_requested=True)
    if update_id is not None:
        statement = statement.where(Quarantined.update_id == update_id)
    else:
        statement = statement.where(Quarantined.replayed_at.is_(None))
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


async def to_replay(session: AsyncSession) -> list[Quarantined]:
    return list(
        await session.scalars(
            select(Quarantined)
            .where(Quarantined.replay_requested.is_(True))
            .order_by(Quarantined.update_id)
        )
    )


async def forget_handled(session: AsyncSession, update_id: int) -> None:
    """Clear the update's journal mark, so that its replay is handled, not skipped."""
    await session.execute(delete(HandledUpdate).where(HandledUpdate.update_id == update_id))


def replayed(row: Quarantined, now: datetime, error: str | None) -> None:
    row.replay_requested = False
    row.attempts += 1
    if error is None:
        row.replayed_at = now
    else:
        row.error = error[:300]
