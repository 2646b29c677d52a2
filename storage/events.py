"""The contact log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Event


def log(
    session: AsyncSession,
    type_: str,
    now: datetime,
    *,
    customer_id: int | None = None,
    ticket_id: int | None = None,
    **data: Any,
) -> Event:
    event = Event(
        type=type_, customer_id=customer_id, ticket_id=ticket_id, data=data, created_at=now
    )
    session.add(event)
    return event


async def of_type(session: AsyncSession, type_: str) -> Sequence[Event]:
    rows = await session.scalars(select(Event).where(Event.type == type_).order_by(Event.id))
    return rows.all()
