"""Log writes deferred to the session's next commit.

A handler that logs an event or the bot's reply and then talks to Telegram must not hold
SQLite's single write lock meanwhile, so it used to commit before every send: a transaction
each. Deferred writes cost nothing until the transaction that finishes the update, where they
land together with its inbox mark, as plain statements (no ORM unit of work); so an update's
log rows are also all there or, when the process dies mid-way, all absent and written when
Telegram delivers the update again.

Only writes whose results nothing in the same update reads back belong here. They run with the
rows of each statement together, statements in the order they first appear:
an update's statements keep their order as long as every update defers them in the same order
(as `contacts.touch_later` does its UPDATE before its INSERT).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

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
    """The session's deferred writes, taken off it: its commit will not run them."""
    ops: list[Op] = session.info.pop(PENDING, None) or []
    return ops


def _batches(ops: list[Op]) -> list[tuple[Executable, list[dict[str, Any]] | dict[str, Any]]]:
    """One execution (an executemany for several rows) per statement and set of columns, in
    the order the statements first appear. Statements are compared by identity: each is
    built once."""
    runs: dict[tuple[int, tuple[str, ...]], tuple[Executable, list[dict[str, Any]]]] = {}
    for statement, params in ops:
        runs.setdefault((id(statement), tuple(params)), (statement, []))[1].append(params)
    return [(statement, rows if len(rows) > 1 else rows[0]) for statement, rows in runs.values()]


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
