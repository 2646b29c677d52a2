"""The inbox: updates stored as Telegram sent them, claimed by a worker, marked handled.

A worker claims an update for a lease (renewed while it runs); one that died frees its
updates when the lease ends. Claims are conditional, so two workers (replicas) never take
the same update.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxUpdate
from storage.pending import defer
from storage.upsert import insert_or_ignore_statement, table_of

# Telegram keeps an unconfirmed update for 24 hours; ids older than that cannot come back.
KEEP = timedelta(hours=48)
_TABLE = table_of(InboxUpdate)
WHOLE_CHAT = {"chat_member", "my_chat_member"}  # updates about the chat, not one topic


@dataclass(frozen=True)
class Waiting:
    update_id: int
    chat_key: int
    whole_chat: bool
    claimed_by: str | None
    claimed_until: datetime | None


def chat_key(raw: dict[str, Any]) -> int:
    """The chat an update belongs to, read from its JSON (it may not parse as an update):
    the chat of its message, else the user who acted; 0 when it has neither."""
    for key, value in raw.items():
        if key == "update_id" or not isinstance(value, dict):
            continue
        for holder in (value, value.get("message")):
            chat = holder.get("chat") if isinstance(holder, dict) else None
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                return int(chat["id"])
        user = value.get("from") or value.get("user")
        if isinstance(user, dict) and isinstance(user.get("id"), int):
            return int(user["id"])
    return 0


async def store(session: AsyncSession, raws: list[dict[str, Any]], now: datetime) -> None:
    """Add updates not stored yet (Telegram delivers an unconfirmed one again)."""
    rows = [
        {
            "update_id": raw["update_id"],
            "chat_key": chat_key(raw),
            "whole_chat": bool(WHOLE_CHAT & raw.keys()),
            "raw": raw,
            "received_at": now,
            "claimed_by": None,
            "claimed_until": None,
            "handled_at": None,
        }
        for raw in raws
    ]
    if rows:
        await session.execute(
            insert_or_ignore_statement(session.get_bind().dialect.name, _TABLE), rows
        )


async def waiting(session: AsyncSession, limit: int) -> list[Waiting]:
    rows = await session.execute(
        select(
            InboxUpdate.update_id,
            InboxUpdate.chat_key,
            InboxUpdate.whole_chat,
            InboxUpdate.claimed_by,
            InboxUpdate.claimed_until,
        )
        .where(InboxUpdate.handled_at.is_(None))
        .order_by(InboxUpdate.update_id)
        .limit(limit)
    )
    return [Waiting(*row) for row in rows]


async def claim(
    session: AsyncSession, update_id: int, worker: str, now: datetime, lease: timedelta
) -> bool:
    """Take an update unless it was handled or another worker's lease on it runs."""
    result = await session.execute(
        update(InboxUpdate)
        .where(
            InboxUpdate.update_id == update_id,
            InboxUpdate.handled_at.is_(None),
            or_(
                InboxUpdate.claimed_until.is_(None),
                InboxUpdate.claimed_until <= now,
                InboxUpdate.claimed_by == worker,
            ),
        )
        .values(claimed_by=worker, claimed_until=now + lease)
    )
    return bool(getattr(result, "rowcount", 0))


async def take_over(session: AsyncSession, update_id: int, dead: str, worker: str) -> None:
    """Claim an update held by a worker known to be dead (this process before a restart)."""
    await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id == update_id, InboxUpdate.claimed_by == dead)
        .values(claimed_by=worker)
    )


async def extend(session: AsyncSession, ids: list[int], worker: str, until: datetime) -> None:
    await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id.in_(ids), InboxUpdate.claimed_by == worker)
        .values(claimed_until=until)
    )


async def raws(session: AsyncSession, ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = await session.execute(
        select(InboxUpdate.update_id, InboxUpdate.raw).where(InboxUpdate.update_id.in_(ids))
    )
    return {int(update_id): dict(raw) for update_id, raw in rows}


_HANDLED = select(InboxUpdate.handled_at).where(InboxUpdate.update_id == bindparam("update_id"))
_MARK = (
    update(InboxUpdate)
    .where(InboxUpdate.update_id == bindparam("id"))
    .values(handled_at=bindparam("handled_at"), claimed_until=None)
)


async def was_handled(session: AsyncSession, update_id: int) -> bool:
    return await session.scalar(_HANDLED, {"update_id": update_id}) is not None


def mark_handled_later(session: AsyncSession, update_id: int, now: datetime) -> None:
    """Mark the update handled in the transaction that commits its handler's writes
    (storage.pending)."""
    defer(session, _MARK, {"id": update_id, "handled_at": now})


async def mark_handled(session: AsyncSession, update_id: int, now: datetime) -> None:
    await session.execute(_MARK, {"id": update_id, "handled_at": now})


async def requeue(
    session: AsyncSession,
    raw: dict[str, Any],
    worker: str,
    now: datetime,
    lease: timedelta,
) -> None:
    """Put an update back to be handled again (a quarantined one replayed), claimed by
    `worker`: stored anew if it was forgotten meanwhile."""
    update_id = raw["update_id"]
    await store(session, [raw], now)
    await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id == update_id)
        .values(handled_at=None, claimed_by=worker, claimed_until=now + lease)
    )


async def forget_old(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(InboxUpdate).where(InboxUpdate.handled_at < now - KEEP))
    return int(getattr(result, "rowcount", 0) or 0)
