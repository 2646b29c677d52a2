"""Ticket queries and state changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import Message, Ticket, TicketStatus


async def get(session: AsyncSession, ticket_id: int) -> Ticket | None:
    return await session.get(Ticket, ticket_id)


# Built once (see storage.customers): looked up for nearly every customer message.
_OPEN_FOR_CUSTOMER = select(Ticket).where(
    Ticket.customer_id == bindparam("customer_id"), Ticket.status != TicketStatus.CLOSED
)


async def open_for_customer(session: AsyncSession, customer_id: int) -> Ticket | None:
    return await session.scalar(_OPEN_FOR_CUSTOMER, {"customer_id": customer_id})


async def by_thread(session: AsyncSession, chat_id: int, thread_id: int) -> Ticket | None:
    """The newest ticket that owns a forum topic of a staff group (a reopened topic keeps its
    id; each group numbers its topics on its own)."""
    return await session.scalar(
        select(Ticket)
        .where(Ticket.staff_chat_id == chat_id, Ticket.thread_id == thread_id)
        .order_by(Ticket.id.desc())
        .limit(1)
    )


async def lock_place(session: AsyncSession, ticket: Ticket) -> None:
    """Re-read where the ticket is (group, topic, card) as committed, and hold its row until
    the transaction ends (FOR UPDATE on PostgreSQL; SQLite has one writer at a time): a
    move (/transfer) and a topic being opened for it never interleave."""
    await session.refresh(
        ticket, ["staff_chat_id", "thread_id", "card_message_id"], with_for_update=True
    )


async def set_if_in(session: AsyncSession, ticket: Ticket, group: int, **values: object) -> bool:
    """Write `values` only if the ticket is still in `group` (a topic opened for it there);
    False, and the ticket re-read, when it moved meanwhile. A ticket not placed yet (from
    before there were several groups) is placed there."""
    values = {"staff_chat_id": group, **values}
    result = await session.execute(
        update(Ticket)
        .where(
            Ticket.id == ticket.id,
            or_(Ticket.staff_chat_id == group, Ticket.staff_chat_id.is_(None)),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0):
        for key, value in values.items():
            set_committed_value(ticket, key, value)
        return True
    await session.refresh(ticket)
    return False


async def place_unplaced(session: AsyncSession, chat_id: int) -> int:
    """Tickets from before there were several staff groups are in the default one."""
    result = await session.execute(
        update(Ticket)
        .where(Ticket.staff_chat_id.is_(None))
        .values(staff_chat_id=chat_id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def open_or_get(
    session: AsyncSession,
    customer_id: int,
    reason: str,
    now: datetime,
    *,
    intent: str | None = None,
    confidence: float | None = None,
    category: Sequence[str] = (),
    staff_chat_id: int | None = None,
) -> tuple[Ticket, bool]:
    """Return the customer's open ticket, creating one if none is open.

    The partial unique index guarantees a single open ticket even across processes.
    """
    existing = await open_for_customer(session, customer_id)
    if existing is not None:
        return existing, False
    ticket = Ticket(customer_id=customer_id, status=TicketStatus.NEW, reason=reason, opened_at=now)
    ticket.intent, ticket.confidence = intent, confidence
    ticket.staff_chat_id = staff_chat_id
    if len(category) == 3:
        ticket.category1, ticket.category2, ticket.category3 = category
    try:
        async with session.begin_nested():
            session.add(ticket)
    except IntegrityError:
        existing = await open_for_customer(session, customer_id)
        assert existing is not None
        return existing, False
    return ticket, True


def close(ticket: Ticket, operator_id: int | None, now: datetime) -> None:
    ticket.status = TicketStatus.CLOSED
    ticket.closed_at = now
    ticket.closed_by = operator_id


def mark_operator_reply(ticket: Ticket, now: datetime) -> bool:
    """Record an operator's reply; True when it is the ticket's first."""
    ticket.status = TicketStatus.WAITING  # the ball is in the customer's court
    if ticket.first_reply_at is None:
        ticket.first_reply_at = now
        return True
    return False


def rate(ticket: Ticket, score: int, now: datetime) -> bool:
    """Store a 1-5 rating once; False when the ticket was already rated."""
    if ticket.rating is not None:
        return False
    ticket.rating = score
    ticket.rated_at = now
    return True


async def history(session: AsyncSession, customer_id: int, before_id: int) -> Sequence[Ticket]:
    """The customer's earlier tickets, newest first."""
    rows = await session.scalars(
        select(Ticket)
        .where(Ticket.customer_id == customer_id, Ticket.id < before_id)
        .order_by(Ticket.id.desc())
    )
    return rows.all()


async def awaiting_first_reply(session: AsyncSession) -> Sequence[Ticket]:
    """Open tickets with an SLA deadline and no operator reply yet."""
    rows = await session.scalars(
        select(Ticket)
        .where(
            Ticket.status != TicketStatus.CLOSED,
            Ticket.first_reply_at.is_(None),
            Ticket.sla_due_at.is_not(None),
            Ticket.sla_breached.is_(False),
        )
        .order_by(Ticket.sla_due_at)
    )
    return rows.all()


def reopen(ticket: Ticket) -> None:
    ticket.status = TicketStatus.IN_PROGRESS
    ticket.closed_at = None
    ticket.closed_by = None
    ticket.reopened += 1


async def of_staff_message(session: AsyncSession, chat_id: int, message_id: int) -> Ticket | None:
    """The ticket whose card, or one of whose logged messages, is this staff-chat message."""
    by_card = await session.scalar(
        select(Ticket)
        .where(Ticket.staff_chat_id == chat_id, Ticket.card_message_id == message_id)
        .order_by(Ticket.id.desc())
    )
    if by_card is not None:
        return by_card
    ticket_id = await session.scalar(
        select(Message.ticket_id).where(
            Message.chat_id == chat_id,
            Message.telegram_message_id == message_id,
            Message.ticket_id.is_not(None),
        )
    )
    return await session.get(Ticket, ticket_id) if ticket_id is not None else None


async def claim_sla_flag(session: AsyncSession, ticket: Ticket, breach: bool) -> bool:
    """Set the ticket's SLA warning (or breach) flag unless it is set already; True for the
    one caller that set it, so replicas checking at once alert only once."""
    column = Ticket.sla_breached if breach else Ticket.sla_warned
    values = {"sla_breached": True, "sla_warned": True} if breach else {"sla_warned": True}
    result = await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, column.is_(False))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    claimed = bool(getattr(result, "rowcount", 0))
    if claimed:
        for key, value in values.items():
            set_committed_value(ticket, key, value)
    return claimed


def display_changed(ticket: Ticket) -> None:
    """The card and topic name must show the ticket's new state (handoff.refresher)."""
    ticket.display_version = (ticket.display_version or 0) + 1


async def stale_displays(session: AsyncSession, limit: int = 50) -> list[int]:
    """Tickets whose card or topic name lag behind their state, oldest change first."""
    rows = await session.scalars(
        select(Ticket.id)
        .where(Ticket.display_shown < Ticket.display_version, Ticket.card_message_id.is_not(None))
        .order_by(Ticket.id)
        .limit(limit)
    )
    return list(rows)


async def display_shown(
    session: AsyncSession, ticket_id: int, version: int, card: str | None, topic: str | None
) -> None:
    """Record what the card and topic show as of `version`; a newer change stays pending."""
    await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.display_shown < version)
        .values(display_shown=version, card_shown=card, topic_shown=topic)
    )
