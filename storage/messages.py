"""The message log: every message in and out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Direction, Message
from storage.pending import defer
from storage.upsert import insert_or_ignore, insert_or_ignore_statement, table_of

_TABLE = table_of(Message)
Row = dict[str, Any]  # a message row's columns (see `new`): cheaper than an ORM object


async def record(session: AsyncSession, row: Row) -> bool:
    """Insert a message row; False when it is already logged (a redelivered update)."""
    return await insert_or_ignore(session, _TABLE, {k: v for k, v in row.items() if v is not None})


def record_later(session: AsyncSession, row: Row) -> None:
    """`record` at the session's next commit (storage.pending); a row already logged (an
    update redelivered) is left as it is."""
    defer(session, insert_or_ignore_statement(session.get_bind().dialect.name, _TABLE), row)


def new(
    *,
    chat_id: int,
    telegram_message_id: int,
    direction: Direction,
    content_type: str,
    text: str | None,
    sent_at: datetime,
    logged_at: datetime,
    thread_id: int | None = None,
    sender_id: int | None = None,
    customer_id: int | None = None,
    ticket_id: int | None = None,
    source_chat_id: int | None = None,
    source_message_id: int | None = None,
) -> Row:
    return dict(
        chat_id=chat_id,
        telegram_message_id=telegram_message_id,
        direction=direction,
        content_type=content_type,
        text=text,
        sent_at=sent_at,
        logged_at=logged_at,
        thread_id=thread_id,
        sender_id=sender_id,
        customer_id=customer_id,
        ticket_id=ticket_id,
        source_chat_id=source_chat_id,
        source_message_id=source_message_id,
    )


async def find(
    session: AsyncSession, chat_id: int, telegram_message_id: int, direction: Direction
) -> Message | None:
    return await session.scalar(
        select(Message).where(
            Message.chat_id == chat_id,
            Message.telegram_message_id == telegram_message_id,
            Message.direction == direction,
        )
    )


async def dialog(
    session: AsyncSession,
    chat_id: int,
    limit: int,
    *,
    until: datetime | None = None,
    before_ticket: int | None = None,
) -> Sequence[Message]:
    """The last `limit` messages of a private chat, oldest first; with `until` and
    `before_ticket`, only those logged by then and not as that ticket's."""
    query = select(Message).where(Message.chat_id == chat_id)
    if until is not None:
        query = query.where(Message.logged_at <= until)
    if before_ticket is not None:
        query = query.where(or_(Message.ticket_id.is_(None), Message.ticket_id != before_ticket))
    rows = await session.scalars(
        query.order_by(Message.sent_at.desc(), Message.id.desc()).limit(limit)
    )
    return list(reversed(rows.all()))


async def for_chat(session: AsyncSession, chat_id: int) -> Sequence[Message]:
    rows = await session.scalars(
        select(Message).where(Message.chat_id == chat_id).order_by(Message.id)
    )
    return rows.all()


async def counterpart(
    session: AsyncSession, chat_id: int, message_id: int, other_chat_id: int
) -> int | None:
    """The id of the message paired with (chat_id, message_id) in the other chat of a relay:
    its copy there, or the original it was itself copied from."""
    copy = await session.scalar(
        select(Message.telegram_message_id)
        .where(
            Message.chat_id == other_chat_id,
            Message.direction == Direction.OUT,
            Message.source_chat_id == chat_id,
            Message.source_message_id == message_id,
        )
        .order_by(Message.id.desc())
        .limit(1)
    )
    if copy is not None:
        return int(copy)
    original = await session.scalar(
        select(Message.source_message_id).where(
            Message.chat_id == chat_id,
            Message.telegram_message_id == message_id,
            Message.direction == Direction.OUT,
            Message.source_chat_id == other_chat_id,
        )
    )
    return int(original) if original is not None else None


async def link_copy(
    session: AsyncSession, chat_id: int, message_id: int, source_chat_id: int, source_id: int
) -> None:
    """Mark a logged outbound message as the relayed copy of another."""
    row = await find(session, chat_id, message_id, Direction.OUT)
    if row is not None:
        row.source_chat_id, row.source_message_id = source_chat_id, source_id
