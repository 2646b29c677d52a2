"""Telling a database that cannot be used apart from an update that is wrong.

An update that fails because the database is down, its disk is full, its file is gone or it
stayed locked past the timeout must be handled again later, not confirmed to Telegram as if it
had been dealt with; one that fails on its own (a bug, bad data) must not block the others.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout


def is_outage(exc: BaseException) -> bool:
    """Only the database's own failures count: any other error (a shop's API refusing a
    connection, a bug) must fail its one update, not hold every update back."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
        return True
    if isinstance(exc, DBAPIError):
        # PostgreSQL's own word: a connection problem (08…) or the server shutting down,
        # starting up or restarted by an administrator (57P…), which asyncpg reports as a
        # plain DBAPIError while the server stops.
        code = str(getattr(exc.orig, "sqlstate", None) or "")
        return bool(exc.connection_invalidated) or code.startswith(("08", "57P"))
    # A driver's connect() refused before SQLAlchemy could wrap it (asyncpg to a server that
    # is down); aiohttp's connection errors are not builtin ConnectionErrors.
    return isinstance(exc, ConnectionError)


@dataclass
class Outage:
    """Since when updates have been failing for want of the database (None: they are not)."""

    since: float | None = None

    def failed(self, now: float) -> None:
        if self.since is None:
            self.since = now

    def recovered(self) -> None:
        self.since = None
