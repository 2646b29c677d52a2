"""SQLite on the event loop's thread: writers take turns, another process is waited for, and
nothing is lost or blocked on the way."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage import customers
from storage.db import inline_driver, make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import Customer

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def profile(telegram_id: int) -> customers.Profile:
    return customers.Profile(telegram_id, f"Customer {telegram_id}", None, None, "ru")


async def stays_pending(task: asyncio.Task[object]) -> bool:
    """True when `task` is still waiting after the loop has had time to run it."""
    for _ in range(50):
        await asyncio.sleep(0)
    done, _ = await asyncio.wait({task}, timeout=0.05)
    return not done


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Path]:
    path = tmp_path / "inline.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    async with make_sessionmaker(engine)() as session:
        for telegram_id in (1, 2, 3):
            await customers.upsert(session, profile(telegram_id), NOW)
        await session.commit()
    await engine.dispose()
    yield path


async def rename(session: AsyncSession, telegram_id: int, name: str) -> None:
    """An UPDATE in the session's transaction (flushed: it holds the write lock from now)."""
    customer = await customers.get_by_telegram_id(session, telegram_id)
    assert customer is not None
    customer.first_name = name
    await session.flush()


async def names(engine: AsyncEngine) -> dict[int, str]:
    async with make_sessionmaker(engine)() as session:
        rows = await session.execute(select(Customer.telegram_id, Customer.first_name))
        return {telegram_id: name for telegram_id, name in rows}


async def inline_engine(path: Path, timeout: float = 30) -> AsyncEngine:
    return make_engine(
        f"sqlite+aiosqlite:///{path}", inline=True, connect_args={"timeout": timeout}
    )


async def test_concurrent_writers_take_turns_and_all_commit(database: Path) -> None:
    engine = await inline_engine(database)
    sessions = make_sessionmaker(engine)
    first = sessions()
    await rename(first, 1, "Анна")  # holds the write lock until it commits

    async def second_writer() -> None:
        async with sessions() as session:
            await rename(session, 2, "Борис")
            await session.commit()

    waiting = asyncio.create_task(second_writer())
    assert await stays_pending(waiting)  # waits for its turn instead of failing
    assert await names(engine) == {1: "Customer 1", 2: "Customer 2", 3: "Customer 3"}
    await first.commit()  # readers were never held up (WAL); now the second writer goes on
    await first.close()
    await waiting
    assert await names(engine) == {1: "Анна", 2: "Борис", 3: "Customer 3"}
    driver = inline_driver(engine)
    assert driver is not None and driver.busy_waits == 0  # woken by the lock, never polled
    await engine.dispose()


async def test_a_write_waits_for_another_process_without_blocking_the_loop(
    database: Path,
) -> None:
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    engine = await inline_engine(database)
    sessions = make_sessionmaker(engine)

    async def write() -> None:
        async with sessions() as session:
            await rename(session, 3, "Вера")
            await session.commit()

    task = asyncio.create_task(write())
    assert await stays_pending(task)  # the loop ran on while the write waited
    other.execute("COMMIT")
    other.close()
    await task
    assert (await names(engine))[3] == "Вера"
    driver = inline_driver(engine)
    assert driver is not None and driver.busy_waits > 0
    await engine.dispose()


async def test_a_write_gives_up_after_the_configured_timeout(database: Path) -> None:
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    engine = await inline_engine(database, timeout=0.05)
    try:
        async with make_sessionmaker(engine)() as session:
            with pytest.raises(OperationalError, match="database is locked"):
                await rename(session, 1, "Галина")
    finally:
        other.execute("ROLLBACK")
        other.close()
        await engine.dispose()


async def test_a_rolled_back_writer_lets_the_next_one_in(database: Path) -> None:
    engine = await inline_engine(database)
    sessions = make_sessionmaker(engine)
    async with sessions() as session:
        await rename(session, 1, "Дарья")
        await session.rollback()
    async with sessions() as session:  # would wait forever if the lock had leaked
        await asyncio.wait_for(rename(session, 2, "Евгений"), 5)
        await session.commit()
    assert await names(engine) == {1: "Customer 1", 2: "Евгений", 3: "Customer 3"}
    await engine.dispose()
