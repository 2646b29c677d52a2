"""Log writes deferred to the session's next commit.

A handler that logs an event or the bot's reply and then talks to Telegram must not hold
SQLite's single write lock meanwhile, so it used to commit before every send: a transaction
each. Deferred writes cost nothing until the transaction that finishes the update, where they
land together with its journal mark, as plain statements (no ORM unit of work); so an update's
log rows are also all there or, when the process dies mid-way, all absent and written when
Telegram delivers the update again.

Only writes whose results nothing in the same update reads back belong here. They run with the
rows of each statement together, statements in the order they first appear (in a session, or
across the updates of one group commit):
an update's statements keep their order as long as every update defers them in the same order
(as `contacts.touch_later` does its UPDATE before its INSERT).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

log = logging.getLogger(__name__)
PENDING = "frontline.pending"
Op = tuple[Executable, dict[str, Any]]


class DeferringSession(Session):
    """The sync session behind the app's AsyncSessions: runs deferred writes on commit."""


def defer(session: AsyncSession | Session, statement: Executable, params: dict[str, Any]) -> None:
    """Run `statement` with `params` first thing when `session` next commits.

    Kept across a rollback: what they record (a message Telegram already delivered, say)
    happened regardless."""
    session.info.setdefault(PENDING, []).append((statement, params))


def pending(session: AsyncSession | Session) -> int:
    return len(session.info.get(PENDING, ()))


async def flush(session: AsyncSession) -> None:
    """Run the session's deferred writes now, in its transaction: for code about to read
    them back (the dialog on a new ticket's card), which then commits before it sends."""
    if session.info.get(PENDING):
        await session.run_sync(_write_pending)


async def commit_holding(session: AsyncSession) -> None:
    """Commit the session's own writes (and end its transaction) but keep its deferred ones
    for a later commit."""
    ops = take_pending(session)
    try:
        await session.commit()
    finally:
        if ops:
            session.info[PENDING] = ops + session.info.get(PENDING, [])


def take_pending(session: AsyncSession | Session) -> list[Op]:
    """The session's deferred writes, for GroupCommit; its commit will not run them."""
    ops: list[Op] = session.info.pop(PENDING, None) or []
    return ops


class GroupCommit:
    """Writes the deferred rows of many updates in one transaction (group commit).

    Updates finishing while a transaction is being written wait for the next one, which takes
    all of them: under load a transaction carries many updates' rows, each statement run once
    for all its rows, instead of one transaction per update. Every caller returns only once its
    rows are committed, so an update is still confirmed to Telegram only after it is recorded.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._waiting: list[tuple[list[Op], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.transactions = 0

    async def write(self, ops: list[Op]) -> None:
        if not ops:
            return
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((ops, done))
        if self._writer is None:
            self._writer = asyncio.create_task(self._run())
        # Shielded: a caller cancelled meanwhile (shutdown) leaves its rows to be written.
        await asyncio.shield(done)

    async def _run(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    await self._commit([op for ops, _ in batch for op in ops])
                except Exception as exc:
                    if len(batch) == 1:
                        _settle(batch[0][1], exc)
                        continue
                    # One update's bad row must not fail the others: each on its own.
                    log.warning("group commit of %s updates failed; writing each alone", len(batch))
                    for ops, done in batch:
                        try:
                            await self._commit(ops)
                        except Exception as one:
                            _settle(done, one)
                        else:
                            _settle(done, None)
                    continue
                for _ops, done in batch:
                    _settle(done, None)
        finally:
            self._writer = None

    async def _commit(self, ops: list[Op]) -> None:
        async with self.engine.begin() as connection:
            for statement, rows in _batches(ops):
                await connection.execute(statement, rows)
        self.transactions += 1


def _batches(ops: list[Op]) -> list[tuple[Executable, list[dict[str, Any]] | dict[str, Any]]]:
    """One execution (an executemany for several rows) per statement and set of columns, in
    the order the statements first appear. Statements are compared by identity: each is
    built once."""
    runs: dict[tuple[int, tuple[str, ...]], tuple[Executable, list[dict[str, Any]]]] = {}
    for statement, params in ops:
        runs.setdefault((id(statement), tuple(params)), (statement, []))[1].append(params)
    return [(statement, rows if len(rows) > 1 else rows[0]) for statement, rows in runs.values()]


def _settle(done: asyncio.Future[None], error: BaseException | None) -> None:
    if done.done():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)


@event.listens_for(DeferringSession, "before_commit")
def _write_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT's release: its rollback (a lost race) must not take them along
    ops: list[Op] | None = session.info.pop(PENDING, None)
    if not ops:
        return
    connection = session.connection()
    for statement, rows in _batches(ops):
        connection.execute(statement, rows)
