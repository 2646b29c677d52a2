"""Updates that cannot be parsed or handled are kept aside (storage.quarantine), the admins are
told once, and the rest go on; `python -m storage quarantine --replay ID` (after a fix) has
the running bot handle one again (bot.inbox)."""

from __future__ import annotations

import html
import logging
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admins import AdminNotifier
from common.clock import Clock
from common.i18n import Texts
from storage import inbox, quarantine

log = logging.getLogger(__name__)


class Quarantine:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        notifier: AdminNotifier,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.notifier = notifier
        self._failed: set[int] = set()  # updates quarantined (again) since a replay began

    async def keep(self, update_id: int, raw: dict[str, Any], error: str) -> None:
        """Keep the update aside and mark it handled in the inbox, in a session of its own
        (an update that cannot be parsed has none)."""
        self._failed.add(update_id)
        now = self.clock.now()
        async with self.sessionmaker() as session:
            new = await quarantine.keep(session, update_id, raw, error, now)
            await inbox.mark_handled(session, update_id, now)
            await session.commit()
        if new:
            log.warning("update %s quarantined: %s", update_id, error)
            await self.notifier.notify(partial(_notice, update=update_id, error=error))

    async def to_replay(self) -> list[tuple[int, dict[str, Any]]]:
        """The updates an admin asked to replay, taken off that list."""
        async with self.sessionmaker() as session:
            rows = await quarantine.take_replays(session)
            await session.commit()
        for update_id, _ in rows:
            self._failed.discard(update_id)
        return rows

    async def replayed(self, update_id: int) -> bool:
        """Record a replay's outcome: True if it went through this time."""
        ok = update_id not in self._failed
        if ok:  # one that failed again was kept again, with its new error (keep)
            async with self.sessionmaker() as session:
                await quarantine.mark_replayed(session, update_id, self.clock.now())
                await session.commit()
        log.info("quarantined update %s replayed: %s", update_id, "ok" if ok else "failed again")
        return ok


def _notice(t: Texts, *, update: int, error: str) -> str:
    # A string: Fluent would group the digits of a number ("123 456").
    return t("admin-update-quarantined", update=str(update), error=html.escape(error))
