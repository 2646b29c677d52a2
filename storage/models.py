"""ORM models: customers, tickets, every message in and out, and an event log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import UTCDateTime

# A naming convention makes constraint names stable across SQLite and Postgres, which
# Alembic's batch mode needs to alter SQLite tables.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class TicketStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"
    CLOSED = "closed"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    first_name: Mapped[str] = mapped_column(String(256), default="")
    last_name: Mapped[str | None] = mapped_column(String(256))
    username: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="ru")
    is_blocked: Mapped[bool] = mapped_column(default=False)  # the customer blocked the bot
    is_banned: Mapped[bool] = mapped_column(default=False)  # an operator banned the customer
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]

    tickets: Mapped[list[Ticket]] = relationship(back_populates="customer")

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        # At most one open ticket per customer, enforced by the database itself so that a
        # burst of first messages cannot open two.
        Index(
            "uq_tickets_open_customer",
            "customer_id",
            unique=True,
            sqlite_where=text("status != 'closed'"),
            postgresql_where=text("status != 'closed'"),
        ),
        Index("ix_tickets_sla_open", "status", "sla_due_at"),
        Index("ix_tickets_display", "display_shown", "display_version"),
        Index("ix_tickets_staff_thread", "staff_chat_id", "thread_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)  # the ticket number operators see
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=TicketStatus.NEW)
    reason: Mapped[str] = mapped_column(String(32), default="asked_for_operator")
    # The staff group the ticket is in (handoff.routing), and its topic there; when it was
    # last moved to another group (/transfer): its new card shows the dialog until then.
    staff_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    transferred_at: Mapped[datetime | None]
    thread_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # Set before createForumTopic is called, cleared when Telegram refuses it: still set with
    # no thread_id, an attempt's outcome is unknown (a lost answer, a crash) and its topic
    # may exist.
    topic_requested_at: Mapped[datetime | None]
    card_message_id: Mapped[int | None] = mapped_column(BigInteger)
    opened_at: Mapped[datetime]
    first_reply_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[int | None] = mapped_column(BigInteger)
    rating: Mapped[int | None]
    rated_at: Mapped[datetime | None]
    # What the customer came with: the intent and category path of the contact that opened it.
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    category1: Mapped[str | None] = mapped_column(String(100))  # area
    category2: Mapped[str | None] = mapped_column(String(100))  # type
    category3: Mapped[str | None] = mapped_column(String(100))  # topic
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    assignee_id: Mapped[int | None] = mapped_column(BigInteger)
    assignee_name: Mapped[str | None] = mapped_column(String(256))
    resolution: Mapped[str | None] = mapped_column(Text)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    reopened: Mapped[int] = mapped_column(default=0)
    # First-reply SLA: the deadline (counted in working hours) and what was already announced.
    sla_due_at: Mapped[datetime | None]
    sla_warned: Mapped[bool] = mapped_column(default=False)
    sla_breached: Mapped[bool] = mapped_column(default=False)
    # The card and topic name are refreshed in the background (handoff.refresher): a change
    # they must show bumps display_version; display_shown is the version last shown, and
    # card_shown (a digest) and topic_shown what was sent, so nothing unchanged is re-sent.
    display_version: Mapped[int] = mapped_column(default=0, server_default="0")
    display_shown: Mapped[int] = mapped_column(default=0, server_default="0")
    card_shown: Mapped[str | None] = mapped_column(String(64))
    topic_shown: Mapped[str | None] = mapped_column(String(128))

    customer: Mapped[Customer] = relationship(back_populates="tickets", lazy="joined")


class Message(Base):
    """Every message the bot received or sent, in any chat."""

    __tablename__ = "messages"
    __table_args__ = (
        # Telegram redelivers updates after a crash; this makes recording idempotent.
        UniqueConstraint(
            "chat_id", "telegram_message_id", "direction", name="uq_messages_chat_msg"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    telegram_message_id: Mapped[int] = mapped_column(BigInteger)
    direction: Mapped[str] = mapped_column(String(3))
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    sender_id: Mapped[int | None] = mapped_column(BigInteger)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)
    # For relayed copies: the original this message was copied from (the message-pair map).
    source_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    source_message_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime]  # Telegram's date for inbound, send time for outbound
    logged_at: Mapped[datetime]


class Event(Base):
    """The contact log: one row for everything that happens, for statistics."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(48), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(index=True)
    # Columns rather than JSON keys, so statistics group by them in plain SQL.
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    category1: Mapped[str | None] = mapped_column(String(100), index=True)
    category2: Mapped[str | None] = mapped_column(String(100))
    category3: Mapped[str | None] = mapped_column(String(100))


class Contact(Base):
    """One conversation: a customer's messages with no gap longer than the session gap.

    What it was about (the first confident classification) and whether it reached an operator
    are filled in as they happen, so weekly statistics read one row per contact.
    """

    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_customer_started", "customer_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    started_at: Mapped[datetime] = mapped_column(index=True)
    last_at: Mapped[datetime]
    messages: Mapped[int] = mapped_column(default=1)
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    category1: Mapped[str | None] = mapped_column(String(100))
    category2: Mapped[str | None] = mapped_column(String(100))
    category3: Mapped[str | None] = mapped_column(String(100))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    escalation_reason: Mapped[str | None] = mapped_column(String(32))


class InboxUpdate(Base):
    """An update as Telegram sent it, stored before Telegram is told it arrived, then handled
    from here (bot.inbox): a crash between the two loses nothing, and an update handled to
    the end (handled_at) is never handled again, however often Telegram delivers it."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_waiting", "handled_at", "update_id"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # The chat (or user) it comes from: one chat's updates are handled in order.
    chat_key: Mapped[int] = mapped_column(BigInteger, default=0)
    # About the whole chat (a member joined or left): the chat's later updates, whatever
    # their topic, wait for it.
    whole_chat: Mapped[bool] = mapped_column(default=False)
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(80))  # the worker handling it
    claimed_until: Mapped[datetime | None]
    handled_at: Mapped[datetime | None]


class OutboxState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class Outbox(Base):
    """A message the bot has to send: written with the change that causes it, in the same
    transaction, and sent by handoff.outbox, so a crash, a Bot API outage or a 429 delays it
    but never loses it. Rows of one lane (a chat, or a ticket's place in the staff group) go
    in order, one at a time."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_lane", "state", "lane", "priority", "id"),
        # A relayed message is queued once, however often its update is handled.
        UniqueConstraint("chat_id", "source_chat_id", "source_message_id", name="uq_outbox_source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lane: Mapped[str] = mapped_column(String(48))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # Into the ticket's place in the staff group: its topic (or a reply to its card), looked
    # up when sent, as a lost topic may have been made again meanwhile.
    in_ticket: Mapped[bool] = mapped_column(default=False)
    method: Mapped[str] = mapped_column(String(32))  # a Bot API method, as aiogram names it
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    priority: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(String(8), default=OutboxState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime | None]
    claimed_until: Mapped[datetime | None]  # a worker is sending it (until then)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(200))
    # The message it relays, if any; its sender is told when it cannot be delivered.
    source_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    source_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # Who to tell, and in which language, if it fails for good: "customer" or "staff".
    failure_notice: Mapped[str | None] = mapped_column(String(16))


class DialogState(Base):
    """Where a customer is in a dialog (aiogram FSM: the callback or order steps) and what
    they said so far: kept in the database, so a restart does not forget it."""

    __tablename__ = "dialog_state"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


class Quarantined(Base):
    """An update that could not be parsed or handled: kept with its error, out of the way of
    the others, until an admin replays it (`python -m storage quarantine --replay ID`)."""

    __tablename__ = "quarantine"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str] = mapped_column(String(300))
    quarantined_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=1)
    replay_requested: Mapped[bool] = mapped_column(default=False)
    replayed_at: Mapped[datetime | None]
