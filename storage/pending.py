"""Log writes deferred to the session's next commit.

A handler that logs an event or the bot's reply and then talks to Telegram must not hold
SQLite's single write lock meanwhile, so it used to commit before every send: a transaction
each. Deferred writes cost nothing until the transaction that finishes the update, where they
land together with its journal mark, as plain statements (no ORM unit of work); so an update's
log rows are also all there or, when the process dies mid-way, all absent and written when
Telegram delivers the update again.

Only append-style writes whose results nothing in the same update reads back belong here.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

PENDING = "frontline.pending"


class DeferringSession(Session):
    """The sync session behind the app's AsyncSessions: runs deferred writes on commit."""


def defer(session: AsyncSession | Session, statement: Executable, params: dict[str, Any]) -> None:
    """Run `statement` with `params` first thing when `session` next commits.

    Kept across a rollback: what they record (a message Telegram already delivered, say)
    happened regardless."""
    session.info.setdefault(PENDING, []).append((statement, params))


def pending(session: AsyncSession | Session) -> int:
    return len(session.info.get(PENDING, ()))


@event.listens_for(DeferringSession, "before_commit")
def _write_pending(session: Session) -> None:
    ops: list[tuple[Executable, dict[str, Any]]] | None = session.info.pop(PENDING, None)
    if not ops:
        return
    connection = session.connection()
    # Runs of one statement go as one executemany.
    for statement, run in groupby(ops, key=lambda op: op[0]):
        rows = [params for _statement, params in run]
        connection.execute(statement, rows if len(rows) > 1 else rows[0])
