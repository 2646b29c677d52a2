"""Cards and topic names, brought up to date in the background with the group's spare budget.

A change an operator must see (taken, closed, reopened, a new category) bumps the ticket's
display version in the same transaction as the change itself; this task then edits the card
and renames the topic, at the lowest priority (handoff.pacing), so customers' messages and
operators' replies never wait behind them. Only the latest state is ever sent: several changes
made while a ticket waits for its turn cost one edit, and nothing unchanged is sent again.
Because the version lives in the database, a change made just before a crash is shown after
the restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handoff.desk import Desk
from handoff.pacing import Priority, priority
from storage import tickets
from storage.outage import is_outage

log = logging.getLogger(__name__)
RETRY_MIN, RETRY_MAX = 1.0, 60.0  # seconds, after a failure that may pass (network, database)


class DisplayRefresher:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], desk: Desk) -> None:
        self.sessionmaker = sessionmaker
        self.desk = desk
        self._working = False
        self.listeners: list[Callable[[], None]] = []  # told when it goes idle (tests)

    @property
    def busy(self) -> bool:
        """Refreshing, or a change waits for it."""
        return self._working or self.desk.displays_changed.is_set()

    async def run(self) -> None:
        delay = RETRY_MIN
        self.desk.displays_changed.set()  # changes made before a restart
        while True:
            await self.desk.displays_changed.wait()
            self.desk.displays_changed.clear()
            self._working = True
            try:
                await self.catch_up()
                delay = RETRY_MIN
            except Exception as exc:
                log.warning(
                    "cards not refreshed (%s); again in %.0fs",
                    type(exc).__name__,
                    delay,
                    exc_info=not is_outage(exc),
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                self.desk.displays_changed.set()
            finally:
                self._working = False
                if not self.busy:
                    for listener in self.listeners:
                        listener()

    async def catch_up(self) -> int:
        """Refresh every card and topic name behind its ticket's state; how many were."""
        done = 0
        while True:
            async with self.sessionmaker() as session:
                stale = await tickets.stale_displays(session)
            if not stale:
                return done
            for ticket_id in stale:
                await self._refresh(ticket_id)
                done += 1

    async def _refresh(self, ticket_id: int) -> None:
        async with self.sessionmaker() as session:
            ticket = await tickets.get(session, ticket_id)
            if ticket is None:
                return
            version = ticket.display_version
            with priority(Priority.COSMETIC):
                card, topic = await self.desk.show(session, ticket)
            await tickets.display_shown(session, ticket_id, version, card, topic)
            await session.commit()
