"""Engine and session factory. Nothing here connects until first used."""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.pending import DeferringSession
from storage.sqlite_inline import InlineSQLite

_inline_drivers: WeakKeyDictionary[Engine, InlineSQLite] = WeakKeyDictionary()


def inline_driver(engine: AsyncEngine) -> InlineSQLite | None:
    """The inline SQLite driver behind `engine`, if it has one (for its counters)."""
    return _inline_drivers.get(engine.sync_engine)


def make_engine(url: str, *, inline: bool = False, **kwargs: Any) -> AsyncEngine:
    """`inline`: SQLite statements run on the event loop's thread (storage.sqlite_inline),
    for the bot's many short statements; reports keep aiosqlite's thread."""
    parsed = make_url(url)
    # A statement's parameters are customer text: never in an error message, hence a log.
    kwargs.setdefault("hide_parameters", True)
    driver = None
    if parsed.get_backend_name() == "sqlite":
        # Writers wait for each other instead of failing at once.
        kwargs.setdefault("connect_args", {"timeout": 30})
        if inline and parsed.get_driver_name() == "aiosqlite":
            driver = InlineSQLite(parsed, kwargs["connect_args"])
            kwargs["async_creator"] = driver.connect
    engine = create_async_engine(url, **kwargs)
    if driver is not None:
        _inline_drivers[engine.sync_engine] = driver
    if parsed.get_backend_name() == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            if parsed.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
                # In WAL mode NORMAL loses nothing when the process dies (only on power loss
                # may the last commits roll back) and spares an fsync per commit.
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=DeferringSession)
