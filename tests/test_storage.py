"""Storage: migrations, idempotent message logging, one open ticket per customer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import contacts, customers, events, inbox, messages, tickets
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import Base, Contact, Customer, Direction, TicketStatus
from storage.pending import pending

NOW = datetime(2026, 11, 16, 9, 30, tzinfo=UTC)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


async def test_migrations_create_exactly_the_models_tables(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    await upgrade(engine)  # applying again is a no-op


async def test_the_migrations_make_the_schema_the_models_describe(engine: AsyncEngine) -> None:
    """Every column and index of storage.models, and nothing else (alembic's autogenerate
    finds nothing left to migrate)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
        )
    assert diff == []


def profile(telegram_id: int = 42) -> customers.Profile:
    return customers.Profile(telegram_id, "Алиса", None, "alice", "ru")


async def test_a_message_logged_twice_is_one_row(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        customer = await customers.upsert(session, profile(), NOW)

        def row() -> messages.Row:
            return messages.new(
                chat_id=42,
                telegram_message_id=7,
                direction=Direction.IN,
                content_type="text",
                text="привет",
                sent_at=NOW,
                logged_at=NOW,
                customer_id=customer.id,
            )

        assert await messages.record(session, row())
        assert not await messages.record(session, row())
        await session.commit()
        assert [m.text for m in await messages.for_chat(session, 42)] == ["привет"]


async def test_only_one_open_ticket_per_customer(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        customer = await customers.upsert(session, profile(), NOW)
        first, created = await tickets.open_or_get(session, customer.id, "asked_for_operator", NOW)
        again, created_again = await tickets.open_or_get(session, customer.id, "kb_miss", NOW)
        assert created and not created_again and again.id == first.id
        tickets.close(first, 1, NOW)
        await session.commit()
        second, created = await tickets.open_or_get(session, customer.id, "kb_miss", NOW)
        assert created and second.id == first.id + 1
        await session.commit()


async def test_the_database_refuses_a_second_open_ticket(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Even a writer that skips the check (another replica) cannot open a second ticket."""
    from sqlalchemy.exc import IntegrityError

    from storage.models import Ticket

    async with sessions() as session:
        customer = await customers.upsert(session, profile(), NOW)
        session.add(Ticket(customer_id=customer.id, status=TicketStatus.NEW, opened_at=NOW))
        await session.commit()
        session.add(Ticket(customer_id=customer.id, status=TicketStatus.IN_PROGRESS, opened_at=NOW))
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_times_come_back_as_aware_utc(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await customers.upsert(session, profile(), NOW)
        await session.commit()
    async with sessions() as session:
        customer = await customers.get_by_telegram_id(session, 42)
        assert customer is not None
        assert customer.created_at == NOW and customer.created_at.tzinfo is not None


async def test_rating_is_stored_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        customer = await customers.upsert(session, profile(), NOW)
        ticket, _ = await tickets.open_or_get(session, customer.id, "asked_for_operator", NOW)
        assert tickets.rate(ticket, 4, NOW)
        assert not tickets.rate(ticket, 1, NOW)
        assert ticket.rating == 4


async def test_storage_cli_upgrades_a_fresh_database(tmp_path: Path) -> None:
    import asyncio
    import sys

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli' / 'f.db'}"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "storage",
        "upgrade",
        "--url",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert "head" in out.decode()
    assert (tmp_path / "cli" / "f.db").exists()


async def test_a_returning_customer_is_refreshed_and_unblocked_at_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """last_seen_at is kept to the minute, but a new name or a customer who had blocked the
    bot is written on their very next message."""
    async with sessions() as session:
        customer = await customers.upsert(session, profile(), NOW)
        await session.commit()
        soon = NOW + timedelta(seconds=20)
        assert (await customers.upsert(session, profile(), soon)).last_seen_at == NOW
        renamed = customers.Profile(42, "Алиса", "Иванова", "alice", "ru")
        customer = await customers.upsert(session, renamed, soon)
        assert customer.last_name == "Иванова" and customer.last_seen_at == soon
        customer.is_blocked = True
        await session.commit()
        later = soon + timedelta(seconds=10)
        customer = await customers.upsert(session, renamed, later)
        assert customer.is_blocked is False and customer.last_seen_at == later
        after_a_minute = later + timedelta(minutes=1)
        customer = await customers.upsert(session, renamed, after_a_minute)
        assert customer.last_seen_at == after_a_minute


async def test_deferred_writes_land_at_commit_and_outlive_a_rollback(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A handler logs its event and reply without a transaction of its own: nothing is
    written (and no write lock taken) until the session commits; a rollback in between
    keeps them, since what they record happened."""
    async with sessions() as session:
        customer_id = (await customers.upsert(session, profile(), NOW)).id
        await session.commit()
        events.log_later(session, "kb_answer", NOW, customer_id=customer_id, article="delivery")
        messages.record_later(
            session,
            messages.new(
                chat_id=42,
                telegram_message_id=9,
                direction=Direction.OUT,
                content_type="text",
                text="Доставка",
                sent_at=NOW,
                logged_at=NOW,
                customer_id=customer_id,
            ),
        )
        assert pending(session) == 2
        async with sessions() as other:
            assert await events.of_type(other, "kb_answer") == []
        # A savepoint that is released, or rolled back (a race lost), leaves them pending.
        async with session.begin_nested():
            await customers.get_by_telegram_id(session, 42)
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                session.add(
                    Customer(
                        telegram_id=42,
                        first_name="X",
                        language="ru",
                        created_at=NOW,
                        last_seen_at=NOW,
                    )
                )
        assert pending(session) == 2
        await session.rollback()
        await session.commit()
        assert pending(session) == 0
    async with sessions() as session:
        [answer] = await events.of_type(session, "kb_answer")
        assert answer.customer_id == customer_id and answer.data == {"article": "delivery"}
        [reply] = await messages.for_chat(session, 42)
        assert (reply.customer_id, reply.text) == (customer_id, "Доставка")


async def test_a_contact_continues_within_the_gap_and_is_classified_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    gap = timedelta(minutes=30)
    async with sessions() as session:
        customer = await customers.upsert(session, profile(), NOW)
        await contacts.touch(session, customer.id, NOW, gap, 42, 1)
        await contacts.touch(session, customer.id, NOW + timedelta(minutes=10), gap, 42, 2)
        contacts.classify_later(session, customer.id, "delivery", 0.9, ["Доставка", "Сроки", "-"])
        contacts.classify_later(session, customer.id, "payment", 0.8, ["Оплата", "Способы", "-"])
        await session.commit()
        # An hour of silence: the next message starts a new contact.
        await contacts.touch(session, customer.id, NOW + timedelta(minutes=70), gap, 42, 3)
        await session.commit()
        rows = (await session.scalars(select(Contact).order_by(Contact.id))).all()
    assert [(c.messages, c.last_at) for c in rows] == [
        (2, NOW + timedelta(minutes=10)),
        (1, NOW + timedelta(minutes=70)),
    ]
    assert (rows[0].intent, rows[0].category1) == ("delivery", "Доставка")
    assert rows[1].category1 is None


async def test_a_redelivered_message_is_not_counted_twice(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Deferred logging (the customer's update): a message whose log row an earlier run of
    the same update left behind is not counted in the contact again."""
    gap = timedelta(minutes=30)

    def log(session: AsyncSession, customer_id: int, message_id: int, at: datetime) -> None:
        row = messages.new(
            chat_id=42,
            telegram_message_id=message_id,
            direction=Direction.IN,
            content_type="text",
            text="где заказ?",
            sent_at=NOW,
            logged_at=at,
            customer_id=customer_id,
        )
        messages.record_later(session, row)
        contacts.touch_later(session, customer_id, at, gap, 42, message_id)

    async with sessions() as session:
        customer_id = (await customers.upsert(session, profile(), NOW)).id
        await session.commit()
        log(session, customer_id, 1, NOW)
        await session.commit()
        log(session, customer_id, 1, NOW + timedelta(seconds=5))  # the same update again
        await session.commit()
        log(session, customer_id, 2, NOW + timedelta(seconds=9))
        await session.commit()
        rows = (await session.scalars(select(Contact))).all()
    assert [(c.messages, c.last_at) for c in rows] == [(2, NOW + timedelta(seconds=9))]


async def test_deferred_writes_count_and_classify_contacts_of_many_customers(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """First messages of several customers at once: each gets one new contact, counted once
    and classified (the continuing UPDATE runs before the starting INSERT)."""
    gap = timedelta(minutes=30)
    async with sessions() as session:
        ids = [(await customers.upsert(session, profile(100 + n), NOW)).id for n in range(3)]
        await session.commit()

    async def first_message(customer_id: int, chat_id: int) -> None:
        async with sessions() as session:
            row = messages.new(
                chat_id=chat_id,
                telegram_message_id=1,
                direction=Direction.IN,
                content_type="text",
                text="сколько стоит доставка?",
                sent_at=NOW,
                logged_at=NOW,
                customer_id=customer_id,
            )
            messages.record_later(session, row)
            contacts.touch_later(session, customer_id, NOW, gap, chat_id, 1)
            contacts.classify_later(
                session, customer_id, "delivery", 0.9, ["Доставка", "Сроки", "-"]
            )
            await session.commit()

    await asyncio.gather(*(first_message(c, 100 + n) for n, c in enumerate(ids)))
    async with sessions() as session:
        rows = (await session.scalars(select(Contact).order_by(Contact.customer_id))).all()
    assert [(c.customer_id, c.messages, c.category1) for c in rows] == [
        (c, 1, "Доставка") for c in ids
    ]


def test_only_the_databases_own_failures_hold_updates_back() -> None:
    import sqlite3

    import aiohttp
    from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

    from storage.outage import is_outage

    full = OperationalError("INSERT …", {}, sqlite3.OperationalError("database or disk is full"))
    assert is_outage(full) and is_outage(ConnectionRefusedError(111, "refused"))

    class PostgresError(Exception):  # what SQLAlchemy's asyncpg adapter wraps, with its code
        def __init__(self, sqlstate: str) -> None:
            self.sqlstate = sqlstate

    # A server shutting down refuses new connections with 57P03, wrapped as a DBAPIError.
    for code, down in (("57P03", True), ("57P01", True), ("08006", True), ("23505", False)):
        assert is_outage(DBAPIError("connect", {}, PostgresError(code))) is down, code
    shop_down = aiohttp.ClientConnectorError(
        aiohttp.client_reqrep.ConnectionKey("shop", 443, True, None, None, None, None),
        OSError(111, "refused"),
    )
    constraint = IntegrityError("INSERT …", {}, sqlite3.IntegrityError("UNIQUE"))
    for other in (shop_down, FileNotFoundError("orders.csv"), constraint, KeyError("x")):
        assert not is_outage(other), other


async def test_the_inbox_stores_an_update_once_and_hands_it_to_one_worker(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    message = {"message_id": 1, "date": 0, "chat": {"id": 555, "type": "private"}, "text": "hi"}
    press = {"id": "q", "from": {"id": 777}, "chat_instance": "c", "data": "x"}
    lease = timedelta(seconds=10)
    async with sessions() as session:
        await inbox.store(session, [{"update_id": 7, "message": message}], NOW)
        await inbox.store(session, [{"update_id": 7, "message": message}], NOW)  # redelivered
        await inbox.store(session, [{"update_id": 8, "callback_query": press}], NOW)
        await session.commit()
        waiting = await inbox.waiting(session, 10)
        assert [(w.update_id, w.chat_key) for w in waiting] == [(7, 555), (8, 777)]
        assert await inbox.claim(session, 7, "a", NOW, lease)
        assert not await inbox.claim(session, 7, "b", NOW, lease)  # a's lease runs
        assert await inbox.claim(session, 7, "b", NOW + lease, lease)  # a died: it ended
        inbox.mark_handled_later(session, 7, NOW)
        await session.commit()
        assert await inbox.was_handled(session, 7)
        assert not await inbox.was_handled(session, 8)
        assert [w.update_id for w in await inbox.waiting(session, 10)] == [8]
        assert not await inbox.claim(session, 7, "c", NOW + 2 * lease, lease)  # handled
