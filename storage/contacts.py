"""The contact log: conversations, their topic, and whether they reached an operator."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, case, exists, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, Direction, Message
from storage.pending import defer
from storage.upsert import table_of

_LATEST = (
    select(Contact)
    .where(Contact.customer_id == bindparam("customer_id"))
    .order_by(Contact.started_at.desc(), Contact.id.desc())
    .limit(1)
)  # built once (see storage.customers)


_TABLE = table_of(Contact)
_LATEST_ID = (
    select(Contact.id)
    .where(Contact.customer_id == bindparam("of_customer"))
    .order_by(Contact.started_at.desc(), Contact.id.desc())
    .limit(1)
    .scalar_subquery()
)
_NOW = bindparam("now", type_=Contact.last_at.type)
# Counting a message: plain statements (the hot path neither loads the row nor runs the ORM's
# unit of work), both run for every message. The first continues a recent contact, the second
# starts one when there is none; neither counts a message whose log row is older than this
# run (an update redelivered after a crash had logged it before).
_FIRST_RUN = ~exists().where(
    Message.chat_id == bindparam("chat_id"),
    Message.telegram_message_id == bindparam("message_id"),
    Message.direction == Direction.IN,
    Message.logged_at < _NOW,
)
_CONTINUE = (
    update(Contact)
    .where(Contact.id == _LATEST_ID, Contact.last_at >= bindparam("since"), _FIRST_RUN)
    .values(
        last_at=case((Contact.last_at < _NOW, _NOW), else_=Contact.last_at),
        messages=Contact.messages + 1,
    )
    .execution_options(synchronize_session=False)
)
_RECENT = exists().where(
    Contact.customer_id == bindparam("of_customer"), Contact.last_at >= bindparam("since")
)
_START = insert(_TABLE).from_select(
    ["customer_id", "started_at", "last_at", "messages"],
    select(
        bindparam("of_customer", type_=Contact.customer_id.type),
        _NOW,
        _NOW,
        literal(1),
    ).where(and_(~_RECENT, _FIRST_RUN)),
)
_CLASSIFY = (
    update(Contact)
    .where(Contact.id == _LATEST_ID, Contact.category1.is_(None))
    .values(
        intent=bindparam("p_intent"),
        confidence=bindparam("p_confidence"),
        category1=bindparam("c1"),
        category2=bindparam("c2"),
        category3=bindparam("c3"),
    )
    .execution_options(synchronize_session=False)
)


async def latest(session: AsyncSession, customer_id: int) -> Contact | None:
    return await session.scalar(_LATEST, {"customer_id": customer_id})


def _counting(
    customer_id: int, now: datetime, gap: timedelta, chat_id: int, message_id: int
) -> dict[str, object]:
    return {
        "of_customer": customer_id,
        "since": now - gap,
        "now": now,
        "chat_id": chat_id,
        "message_id": message_id,
    }


async def touch(
    session: AsyncSession,
    customer_id: int,
    now: datetime,
    gap: timedelta,
    chat_id: int,
    message_id: int,
) -> None:
    """Count the message (logged before, at `now`) in the customer's current contact:
    continued if they wrote within `gap`, else a new one."""
    params = _counting(customer_id, now, gap, chat_id, message_id)
    await session.execute(_CONTINUE, params)
    await session.execute(_START, params)


def touch_later(
    session: AsyncSession,
    customer_id: int,
    now: datetime,
    gap: timedelta,
    chat_id: int,
    message_id: int,
) -> None:
    """`touch` at the session's next commit (storage.pending), after the message's log row
    (`messages.record_later`) in the same commit."""
    params = _counting(customer_id, now, gap, chat_id, message_id)
    defer(session, _CONTINUE, params)
    defer(session, _START, params)


def classify_later(
    session: AsyncSession,
    customer_id: int,
    intent: str | None,
    confidence: float | None,
    category: Sequence[str] | None,
) -> None:
    """Stamp what the contact is about, once: its first classified question decides.

    Written at the session's next commit (storage.pending): the caller answers next."""
    if not category or len(category) != 3:
        return
    c1, c2, c3 = category
    values = {"p_intent": intent, "p_confidence": confidence, "c1": c1, "c2": c2, "c3": c3}
    defer(session, _CLASSIFY, {"of_customer": customer_id, **values})


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
