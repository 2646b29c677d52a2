"""The quarantine: updates that could not be parsed or handled, and their replays."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Quarantined
from storage.upsert import insert_or_ignore, table_of


async def keep(
    session: AsyncSession, update_id: int, raw: dict[str, Any], error: str, now: datetime
) -> bool:
    """Quarantine an update; False if it was there already (a replay that failed again:
    its error is updated, and the admins, told once, are not told again)."""
    added = await insert_or_ignore(
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
    if not added:
        await session.execute(
            update(Quarantined)
            .where(Quarantined.update_id == update_id)
            .values(error=error[:300], replayed_at=None)
        )
    return added


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


async def take_replays(session: AsyncSession) -> list[tuple[int, dict[str, Any]]]:
    """The updates marked for a replay, unmarked."""
    rows = list(
        await session.execute(
            select(Quarantined.update_id, Quarantined.raw)
            .where(Quarantined.replay_requested.is_(True))
            .order_by(Quarantined.update_id)
        )
    )
    if rows:
        await session.execute(
            update(Quarantined)
            .where(Quarantined.update_id.in_([row[0] for row in rows]))
            .values(replay_requested=False, attempts=Quarantined.attempts + 1)
        )
    return [(int(update_id), dict(raw)) for update_id, raw in rows]


async def mark_replayed(session: AsyncSession, update_id: int, now: datetime) -> None:
    """A replay went through."""
    await session.execute(
        update(Quarantined).where(Quarantined.update_id == update_id).values(replayed_at=now)
    )
