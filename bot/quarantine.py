"""Updates that cannot be parsed or handled are kept aside (storage.quarantine), the admins are
told once, and the rest go on; `python -m storage quarantine --replay ID` (after a fix) has
the running bot handle one again."""

from __future__ import annotations

import asyncio
import html
import logging
from functools import partial
from typing import Any

from aiogram import Bot, Dispatcher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admins import AdminNotifier
from bot.clock import Clock
from bot.i18n import Texts
from storage import quarantine

log = logging.getLogger(__name__)


class Quarantine:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        notifier: AdminNotifier,
        interval: float,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.notifier = notifier
        self.interval = interval
        self._failed: set[int] = set()  # updates quarantined (again) since a replay began

    async def keep(self, update_id: int, raw: dict[str, Any], error: str) -> None:
        """In a session of its own (an update that cannot be parsed has none)."""
        self._failed.add(update_id)
        async with self.sessionmaker() as session:
            new = await quarantine.keep(session, update_id, raw, error, self.clock.now())
            await session.commit()
        if new:
            log.warning("update %s quarantined: %s", update_id, error)
            await self.notifier.notify(partial(_notice, update=update_id, error=error))

    async def replay(self, dispatcher: Dispatcher, bot: Bot) -> int:
        """Handle again every update an admin asked to replay; how many went through."""
        async with self.sessionmaker() as session:
            rows = await quarantine.to_replay(session)
            for row in rows:
                await quarantine.forget_handled(session, row.update_id)
            await session.commit()
        done = 0
        for row in rows:
            error: str | None = None
            self._failed.discard(row.update_id)
            try:
                await dispatcher.feed_raw_update(bot, row.raw)
            except Exception as exc:  # still failing: it stays, with the new error
                error = type(exc).__name__  # its message may quote the customer
            if error is None and row.update_id in self._failed:
                error = "failed again"  # the errors router took it, and kept it here again
            async with self.sessionmaker() as session:
                fresh = await session.get(type(row), row.update_id)
                if fresh is not None:
                    quarantine.replayed(fresh, self.clock.now(), error)
                    await session.commit()
            if error is None:
                done += 1
            log.info("quarantined update %s replayed: %s", row.update_id, error or "ok")
        return done

    async def run(self, dispatcher: Dispatcher, bot: Bot) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.replay(dispatcher, bot)
            except Exception as exc:  # the next check tries again
                log.warning("quarantine replay check failed: %s", type(exc).__name__)


def _notice(t: Texts, *, update: int, error: str) -> str:
    # A string: Fluent would group the digits of a number ("123 456").
    return t("admin-update-quarantined", update=str(update), error=html.escape(error))
