"""The contact log: conversations, their topic, and whether they reached an operator."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact

_LATEST = (
    select(Contact)
    .where(Contact.customer_id == bindparam("customer_id"))
    .order_by(Contact.started_at.desc(), Contact.id.desc())
    .limit(1)
)  # built once (see storage.customers)


async def latest(session: AsyncSession, customer_id: int) -> Contact | None:
    return await session.scalar(_LATEST, {"customer_id": customer_id})


async def touch(session: AsyncSession, customer_id: int, now: datetime, gap: timedelta) -> Contact:
    """The customer's current contact: continued if they wrote within `gap`, else a new one."""
    current = await latest(session, customer_id)
    if current is not None and now - current.last_at <= gap:
        current.last_at = max(current.last_at, now)
        current.messages += 1
        return current
    contact = Contact(customer_id=customer_id, started_at=now, last_at=now, messages=1)
    session.add(contact)
    await session.flush()
    return contact


async def classify(
    session: AsyncSession,
    customer_id: int,
    intent: str | None,
    confidence: float | None,
    category: Sequence[str] | None,
) -> None:
    """Stamp what the contact is about, once: its first classified question decides."""
    contact = await latest(session, customer_id)
    if contact is None or contact.category1 is not None or not category or len(category) != 3:
        return
    contact.intent, contact.confidence = intent, confidence
    contact.category1, contact.category2, contact.category3 = category


async def escalate(
    session: AsyncSession,
    customer_id: int,
    ticket_id: int,
    reason: str,
    category: Sequence[str] | None,
) -> None:
    contact = await latest(session, customer_id)
    if contact is None or contact.ticket_id is not None:
        return
    contact.ticket_id, contact.escalation_reason = ticket_id, reason
    if contact.category1 is None and category and len(category) == 3:
        contact.category1, contact.category2, contact.category3 = category
