"""SQLite on the event loop's own thread, for the bot's hot path.

aiosqlite runs every statement in a helper thread: about 0.15 ms of hand-off per statement
against a few microseconds of SQLite work (WAL, `synchronous=NORMAL`), and it was the largest
single cost of a customer's message. Here statements run inline, through SQLAlchemy's aiosqlite
adapter (this module offers the same awaitable connection and cursor), and waiting is done the
asyncio way so the loop is never blocked on a lock:

- Writers of one engine take turns on an asyncio lock held from their first write until their
  transaction ends, so they never meet SQLite's busy handler (whose sleeps were the long tail).
- Another process writing (a migration, `python -m storage`, a restarted replica) is waited
  for by retrying with asyncio sleeps, up to the same timeout as SQLite's own busy wait.

Long reports should not use it: an inline statement holds the loop for as long as it runs.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL

# Statements that never take SQLite's write lock; anything else waits for the writer's turn.
_READS = ("select", "pragma", "explain", "values")
_BUSY = ("database is locked", "database table is locked", "database is busy")


class InlineSQLite:
    """Opens inline connections to one database (an engine's `async_creator`); they share
    the writer lock."""

    def __init__(self, url: URL, connect_args: dict[str, Any]) -> None:
        args, params = SQLiteDialect_pysqlite().create_connect_args(url)
        params.update(connect_args)
        # SQLite's own busy timeout becomes ours; SQLite itself never waits (it would block
        # the loop).
        self.timeout = float(params.pop("timeout", 30.0))
        params.update(timeout=0, check_same_thread=False)
        self._args: list[Any] = list(args)
        self._params: dict[str, Any] = dict(params)
        self._writer: asyncio.Lock | None = None
        self.busy_waits = 0  # statements that found another process writing and waited

    @property
    def writer(self) -> asyncio.Lock:
        if self._writer is None:
            self._writer = asyncio.Lock()
        return self._writer

    async def connect(self) -> InlineConnection:
        connect: Callable[..., sqlite3.Connection] = sqlite3.connect
        return InlineConnection(self, connect(*self._args, **self._params))


class _InlineQueue:
    """Stands in for aiosqlite's request queue, which SQLAlchemy's adapter uses directly to
    set the isolation level: the call runs at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:  # handed to the awaiting caller
            future.set_exception(error)


class InlineConnection:
    """The part of aiosqlite's Connection that SQLAlchemy's aiosqlite adapter uses."""

    def __init__(self, owner: InlineSQLite, db: sqlite3.Connection) -> None:
        self._owner = owner
        self._conn = db
        self._connection: sqlite3.Connection | None = db  # truthy while open, as in aiosqlite
        self._tx = _InlineQueue()
        self._writing = False

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self, self._conn.cursor())

    async def commit(self) -> None:
        await self._retry(self._conn.commit)
        self._release()

    async def rollback(self) -> None:
        try:
            self._conn.rollback()
        finally:
            self._release()

    async def close(self) -> None:
        if self._connection is None:
            return
        try:
            self._conn.close()
        finally:
            self._connection = None
            self._release()

    def stop(self) -> None:
        if self._connection is not None:
            self._conn.close()
            self._connection = None
            self._release()

    async def create_function(self, *args: Any, **kw: Any) -> None:
        self._conn.create_function(*args, **kw)

    async def _before(self, sql: str) -> None:
        if self._writing or sql.lstrip()[:7].lower().startswith(_READS):
            return
        writer = self._owner.writer
        if writer.locked():
            try:
                await asyncio.wait_for(writer.acquire(), self._owner.timeout)
            except TimeoutError:
                raise sqlite3.OperationalError("database is locked") from None
        else:
            await writer.acquire()
        self._writing = True

    def _after(self) -> None:
        if self._writing and not self._conn.in_transaction:
            self._release()

    def _release(self) -> None:
        if self._writing:
            self._writing = False
            self._owner.writer.release()

    async def _retry(self, call: Callable[[], Any]) -> Any:
        """Run `call`; while another process holds the database, wait without blocking."""
        deadline = time.monotonic() + self._owner.timeout
        delay = 0.001
        while True:
            try:
                return call()
            except sqlite3.OperationalError as error:
                if not str(error).startswith(_BUSY) or time.monotonic() >= deadline:
                    raise
            self._owner.busy_waits += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)


class InlineCursor:
    """The part of aiosqlite's Cursor that SQLAlchemy's adapter uses."""

    def __init__(self, connection: InlineConnection, cursor: sqlite3.Cursor) -> None:
        self._connection = connection
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        connection = self._connection
        await connection._before(sql)
        try:
            await connection._retry(lambda: self._cursor.execute(sql, parameters or ()))
        finally:
            connection._after()
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        connection = self._connection
        rows = list(parameters)  # a retry must see them all again
        await connection._before(sql)
        try:
            await connection._retry(lambda: self._cursor.executemany(sql, rows))
        finally:
            connection._after()
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def setinputsizes(self, *sizes: Any) -> None:
        return None

    async def nextset(self) -> None:
        return None
