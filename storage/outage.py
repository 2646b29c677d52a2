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
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout | ConnectionError):
        return True
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated)
    return isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError)


@dataclass
class Outage:
    """Since when updates have been failing for want of the database (None: they are not)."""

    since: float | None = None

    def failed(self, now: float) -> None:
        if self.since is None:
            self.since = now

    def recovered(self) -> None:
        self.since = None
