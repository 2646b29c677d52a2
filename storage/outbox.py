"""The outbox: messages to send, queued in the transaction of the change that causes them.

handoff.outbox sends them. Rows of one lane go in order, one at a time: a lane's head (its
first pending row by priority, then id) is claimed before it is sent, so two workers (two
replicas) never send the same row, nor two rows of one lane at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.models import Outbox, OutboxState
from storage.upsert import insert_or_ignore, table_of

WAKERS = "frontline.outbox_wakers"


def lane_of_chat(chat_id: int) -> str:
    return str(chat_id)


def lane_of_ticket(ticket_id: int) -> str:
    """A ticket's place among the staff groups: one slow topic never holds up the others, and
    a ticket moved to another group keeps one order for what was queued before and after."""
    return f"ticket:{ticket_id}"


@dataclass(frozen=True)
class Head:
    row_id: int
    lane: str
    due: datetime | None  # not before then (a retry's backoff)
    claimed_until: datetime | None


def _row(
    *,
    chat_id: int,
    method: str,
    params: dict[str, Any],
    now: datetime,
    lane: str | None,
    ticket_id: int | None,
    in_ticket: bool,
    priority: int,
    failure_notice: str | None,
    source: tuple[int, int] | None = None,
) -> dict[str, Any]:
    return {
        "lane": lane or lane_of_chat(chat_id),
        "chat_id": chat_id,
        "ticket_id": ticket_id,
        "in_ticket": in_ticket,
        "method": method,
        "params": params,
        "priority": priority,
        "state": OutboxState.PENDING,
        "attempts": 0,
        "created_at": now,
        "source_chat_id": source[0] if source else None,
        "source_message_id": source[1] if source else None,
        "failure_notice": failure_notice,
    }


def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    method: str,
    params: dict[str, Any],
    now: datetime,
    lane: str | None = None,
    ticket_id: int | None = None,
    in_ticket: bool = False,
    priority: int = 0,
    failure_notice: str | None = None,
    wake: Callable[[], None] | None = None,
) -> None:
    """Queue a message; `wake` is called once the transaction holding it commits."""
    row = _row(
        chat_id=chat_id,
        method=method,
        params=params,
        now=now,
        lane=lane,
        ticket_id=ticket_id,
        in_ticket=in_ticket,
        priority=priority,
        failure_notice=failure_notice,
    )
    session.add(Outbox(**row))
    _wake_on_commit(session, wake)


async def enqueue_relay(
    session: AsyncSession,
    *,
    source: tuple[int, int],
    chat_id: int,
    method: str,
    params: dict[str, Any],
    now: datetime,
    lane: str,
    ticket_id: int,
    in_ticket: bool,
    failure_notice: str,
    wake: Callable[[], None] | None = None,
) -> bool:
    """Queue the copy of a message once: False if it was queued before (a redelivered
    update)."""
    row = _row(
        chat_id=chat_id,
        method=method,
        params=params,
        now=now,
        lane=lane,
        ticket_id=ticket_id,
        in_ticket=in_ticket,
        priority=0,
        failure_notice=failure_notice,
        source=source,
    )
    added = await insert_or_ignore(session, table_of(Outbox), row)
    _wake_on_commit(session, wake)
    return added


async def heads(session: AsyncSession, limit: int = 2000) -> list[Head]:
    """Each lane's next row to send."""
    rows = await session.execute(
        select(Outbox.id, Outbox.lane, Outbox.not_before, Outbox.claimed_until)
        .where(Outbox.state == OutboxState.PENDING)
        .order_by(Outbox.lane, Outbox.priority, Outbox.id)
        .limit(limit)
    )
    found: dict[str, Head] = {}
    for row_id, lane, due, claimed in rows:
        found.setdefault(lane, Head(row_id, lane, due, claimed))
    return list(found.values())


async def claim(
    session: AsyncSession, head: Head, now: datetime, lease: timedelta
) -> Outbox | None:
    """Take a lane's head for sending, unless another worker holds it or it is not due."""
    result = await session.execute(
        update(Outbox)
        .where(
            Outbox.id == head.row_id,
            Outbox.state == OutboxState.PENDING,
            or_(Outbox.claimed_until.is_(None), Outbox.claimed_until <= now),
            or_(Outbox.not_before.is_(None), Outbox.not_before <= now),
        )
        .values(claimed_until=now + lease, attempts=Outbox.attempts + 1)
    )
    await session.commit()
    if not getattr(result, "rowcount", 0):
        return None
    return await session.get(Outbox, head.row_id, populate_existing=True)


async def extend_claim(session: AsyncSession, row_id: int, until: datetime) -> None:
    await session.execute(
        update(Outbox)
        .where(Outbox.id == row_id, Outbox.state == OutboxState.PENDING)
        .values(claimed_until=until)
    )


async def head_of(session: AsyncSession, lane: str) -> Head | None:
    row = (
        await session.execute(
            select(Outbox.id, Outbox.lane, Outbox.not_before, Outbox.claimed_until)
            .where(Outbox.state == OutboxState.PENDING, Outbox.lane == lane)
            .order_by(Outbox.priority, Outbox.id)
            .limit(1)
        )
    ).first()
    return Head(row[0], row[1], row[2], row[3]) if row else None


async def waiting_in_ticket(session: AsyncSession, ticket_id: int, method: str) -> bool:
    """Whether a row calling `method` for the ticket is still to be sent."""
    found = await session.scalar(
        select(Outbox.id)
        .where(
            Outbox.ticket_id == ticket_id,
            Outbox.method == method,
            Outbox.state == OutboxState.PENDING,
        )
        .limit(1)
    )
    return found is not None


def sent(row: Outbox, now: datetime) -> None:
    row.state, row.sent_at, row.claimed_until = OutboxState.DONE, now, None


def retry_at(row: Outbox, when: datetime, error: str) -> None:
    row.not_before, row.claimed_until, row.error = when, None, error[:200]


def failed(row: Outbox, error: str) -> None:
    row.state, row.claimed_until, row.error = OutboxState.FAILED, None, error[:200]


def _wake_on_commit(session: AsyncSession, wake: Callable[[], None] | None) -> None:
    if wake is not None:
        session.sync_session.info.setdefault(WAKERS, set()).add(wake)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    for wake in session.info.pop(WAKERS, ()):
        wake()
