"""The contact log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Event, Ticket
from storage.pending import defer
from storage.upsert import table_of

_TABLE = table_of(Event)
_INSERT = insert(_TABLE)  # built once: one cached statement for every deferred event


def log(
    session: AsyncSession,
    type_: str,
    now: datetime,
    *,
    customer_id: int | None = None,
    ticket_id: int | None = None,
    intent: str | None = None,
    confidence: float | None = None,
    category: Sequence[str] | None = None,
    **data: Any,
) -> Event:
    columns = _columns(type_, now, customer_id, ticket_id, intent, confidence, category, data)
    event = Event(**columns)
    session.add(event)
    return event


def log_later(
    session: AsyncSession,
    type_: str,
    now: datetime,
    *,
    customer_id: int | None = None,
    ticket_id: int | None = None,
    intent: str | None = None,
    confidence: float | None = None,
    category: Sequence[str] | None = None,
    **data: Any,
) -> None:
    """`log`, written at the session's next commit (storage.pending) instead of its next
    flush: for handlers that send right after logging and read nothing back."""
    defer(
        session,
        _INSERT,
        _columns(type_, now, customer_id, ticket_id, intent, confidence, category, data),
    )


def _columns(
    type_: str,
    now: datetime,
    customer_id: int | None,
    ticket_id: int | None,
    intent: str | None,
    confidence: float | None,
    category: Sequence[str] | None,
    data: dict[str, Any],
) -> dict[str, Any]:
    levels = list(category or ())[:3] + [None] * (3 - len(category or ()))
    return {
        "type": type_,
        "customer_id": customer_id,
        "ticket_id": ticket_id,
        "data": data,
        "created_at": now,
        "intent": intent,
        "confidence": None if confidence is None else round(confidence, 4),
        "category1": levels[0],
        "category2": levels[1],
        "category3": levels[2],
    }


async def of_type(session: AsyncSession, type_: str) -> Sequence[Event]:
    rows = await session.scalars(select(Event).where(Event.type == type_).order_by(Event.id))
    return rows.all()


async def latest(
    session: AsyncSession, customer_id: int, type_: str, since: datetime
) -> Event | None:
    return await session.scalar(
        select(Event)
        .where(Event.customer_id == customer_id, Event.type == type_, Event.created_at >= since)
        .order_by(Event.id.desc())
        .limit(1)
    )


async def articles_shown(session: AsyncSession, customer_id: int, since: datetime) -> list[str]:
    """Ids of the KB articles the bot sent the customer, oldest first, without repeats."""
    rows = await session.scalars(
        select(Event.data)
        .where(
            Event.customer_id == customer_id,
            Event.type == "kb_answer",
            Event.created_at >= since,
        )
        .order_by(Event.id)
    )
    return list(dict.fromkeys(str(d.get("article")) for d in rows if d.get("article")))


def ticket_event(
    session: AsyncSession, type_: str, now: datetime, ticket: Ticket, **data: Any
) -> Event:
    """An event about a ticket, stamped with the ticket's intent and category path."""
    return log(
        session,
        type_,
        now,
        customer_id=ticket.customer_id,
        ticket_id=ticket.id,
        intent=ticket.intent,
        confidence=ticket.confidence,
        category=[c for c in (ticket.category1, ticket.category2, ticket.category3) if c] or None,
        **data,
    )
