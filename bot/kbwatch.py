"""Reload the knowledge base when its files change, and tell the admins how it went."""

from __future__ import annotations

import asyncio
import logging

from bot.admins import AdminNotifier, describe_reload
from kb.service import KnowledgeBaseService, ReloadResult

log = logging.getLogger(__name__)


class KBWatcher:
    def __init__(self, kb: KnowledgeBaseService, notifier: AdminNotifier, interval: float) -> None:
        self.kb = kb
        self.notifier = notifier
        self.interval = interval

    async def check(self) -> ReloadResult | None:
        """One poll: reload if the files changed, report the outcome to the admins."""
        # Reading and parsing files is blocking I/O; keep it off the event loop.
        result = await asyncio.to_thread(self.kb.reload_if_changed)
        if result is None:
            return None
        if result.ok:
            log.info("knowledge base reloaded: %s", result.articles)
        else:
            log.warning(
                "knowledge base edit rejected: %d problems",
                len(result.error.problems) if result.error else 0,
            )
        directory = str(self.kb.directory)
        await self.notifier.notify(lambda t: describe_reload(t, result, directory))
        return result

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:  # a watcher must outlive any one failure
                log.exception("knowledge-base watcher failed; retrying")
