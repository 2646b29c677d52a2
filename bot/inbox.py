"""Handles the updates stored in the inbox (storage.inbox).

Polling and the webhook only store what Telegram sends (`receive`) and confirm it once it is
stored; everything else happens here, so a crash between receiving and handling loses
nothing: after a restart the updates left unhandled are handled then.

- Updates start in the order they arrived; the per-chat lock (bot.middlewares.locks) keeps
  each chat in that order while many chats are handled at once. An update about a whole
  chat (a member joined or left the staff group) runs alone in it: the chat's later updates,
  in any of its topics, wait for it.
- Each worker claims the updates it starts for a lease, renewed while they run. An update
  another worker (a replica) holds is left to it, and so is every later update of its chat.
  A worker that died frees its updates when its lease ends, at once if it was this process
  before a restart.
- An update that cannot be parsed, or whose handling fails `attempts` times
  (bot.middlewares.attempts), is quarantined (bot.quarantine); the others go on.
- While the database cannot be used nothing new starts: the updates wait, unconfirmed if
  they could not even be stored, and /healthz says unhealthy (storage.outage).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.quarantine import Quarantine
from common.clock import Clock
from storage import inbox
from storage.outage import Outage, is_outage

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=10)
HEARTBEAT = 3.0  # seconds between lease renewals
IDLE_RESCAN = 5.0  # seconds between looks for updates another replica stored or left
OUTAGE_MIN, OUTAGE_MAX = 1.0, 30.0  # seconds before trying again while the database is away
PRUNE_EVERY = 5000  # handled updates between clean-ups of old rows


def worker_id() -> str:
    """host:pid:start, so that this process, restarted, knows its predecessor's claims."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{time.time_ns()}"


def _dead(worker: str, me: str) -> bool:
    """A worker on this host whose process is gone (or was this process's predecessor)."""
    host, _, rest = worker.partition(":")
    my_host = me.partition(":")[0]
    pid = rest.partition(":")[0]
    if host != my_host or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return worker != me  # the same pid started earlier: a restart in a container
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


class Inbox:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        dispatcher: Dispatcher,
        bot: Bot,
        clock: Clock,
        quarantine: Quarantine,
        outage: Outage,
        *,
        capacity: int,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.dispatcher = dispatcher
        self.bot = bot
        self.clock = clock
        self.quarantine = quarantine
        self.outage = outage
        self.capacity = capacity
        self.me = worker_id()
        self.wakeup = asyncio.Event()
        self._running: dict[int, asyncio.Task[None]] = {}
        # Handled here but maybe not marked yet: an album's later parts end at once, and are
        # marked with its first part (bot.middlewares.albums).
        self._done: set[int] = set()
        self._keys: dict[int, int] = {}  # running update -> its chat
        self._whole: set[int] = set()  # running updates about their whole chat
        self._scanning = False
        self._stopping = False
        self._paused_until = 0.0  # loop time: the database failed, nothing starts before
        self._outage_delay = OUTAGE_MIN
        self._handled = 0
        self.listeners: list[Callable[[], None]] = []  # told when it goes idle (tests)

    @property
    def busy(self) -> bool:
        return bool(self._running) or self._scanning or self.wakeup.is_set()

    def wake(self) -> None:
        self.wakeup.set()

    async def receive(self, raws: list[dict[str, Any]]) -> None:
        """Store updates as Telegram sent them. Raises when the database cannot take them:
        they must then not be confirmed to Telegram."""
        try:
            async with self.sessionmaker() as session:
                await inbox.store(session, raws, self.clock.now())
                await session.commit()
        except Exception as exc:
            if is_outage(exc):
                self.outage.failed(asyncio.get_running_loop().time())
            raise
        self.wake()

    async def stop(self, grace: float) -> None:
        """Let running updates finish; those cut short stay claimed until their lease ends
        (at once for this process restarted)."""
        self._stopping = True
        self.wake()
        running = list(self._running.values())
        if running:
            _, pending = await asyncio.wait(running, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def run(self) -> None:
        self.wakeup.set()  # updates stored before a restart
        while not self._stopping:
            await self.wakeup.wait()
            self._scanning = True
            self.wakeup.clear()
            try:
                pause = await self._start_waiting()
            except Exception as exc:
                pause = self._failed(exc, None)
            finally:
                self._scanning = False
            if not self.busy:
                for listener in self.listeners:
                    listener()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), pause)
            self.wakeup.set()

    async def _start_waiting(self) -> float:
        """Claim and start what is due; seconds before looking again unprompted."""
        loop = asyncio.get_running_loop()
        if self._stopping:
            return IDLE_RESCAN
        if loop.time() < self._paused_until:
            return self._paused_until - loop.time()
        now = self.clock.now()
        limit = self.capacity * 4
        pause = IDLE_RESCAN
        started: list[int] = []
        async with self.sessionmaker() as session:
            rows = await inbox.waiting(session, limit)
            if len(rows) < limit:
                self._done &= {row.update_id for row in rows}
            blocked: set[int] = set()  # chats whose earlier update is not ours to run now
            # Chats with an update running, and those whose running update is about the whole
            # chat: its later updates, in any topic, wait for that one.
            busy = {self._keys[u] for u in self._running}
            blocked |= {self._keys[u] for u in self._running if u in self._whole}
            for row in rows:
                if len(self._running) + len(started) >= self.capacity:
                    break
                if row.update_id in self._running or row.update_id in self._done:
                    continue
                if row.chat_key in blocked or (row.whole_chat and row.chat_key in busy):
                    blocked.add(row.chat_key)
                    continue
                theirs = row.claimed_by not in (None, self.me)
                if theirs and row.claimed_until is not None and row.claimed_until > now:
                    assert row.claimed_by is not None
                    if not _dead(row.claimed_by, self.me):
                        blocked.add(row.chat_key)
                        wait = (row.claimed_until - now).total_seconds()
                        pause = min(pause, max(0.05, wait))
                        continue
                    await inbox.take_over(session, row.update_id, row.claimed_by, self.me)
                if await inbox.claim(session, row.update_id, self.me, now, LEASE):
                    started.append(row.update_id)
                    self._keys[row.update_id] = row.chat_key
                    busy.add(row.chat_key)
                    if row.whole_chat:
                        self._whole.add(row.update_id)
                        blocked.add(row.chat_key)
                else:
                    blocked.add(row.chat_key)  # another worker took it just now
            await session.commit()
            found = await inbox.raws(session, started) if started else {}
        # Read here, not in each task: a query per task would let them reach the chat lock in
        # whatever order the database answers (PostgreSQL answers concurrent queries so).
        for update_id in started:
            raw = found.get(update_id)
            if raw is not None:
                self._running[update_id] = asyncio.create_task(self._handle(update_id, raw))
            else:  # pragma: no cover - claimed rows are not deleted
                self._keys.pop(update_id, None)
                self._whole.discard(update_id)
        return pause

    async def _handle(self, update_id: int, raw: dict[str, Any], replay: bool = False) -> None:
        finished = asyncio.Event()
        beat = asyncio.create_task(self._keep_claim(update_id, finished))
        try:
            if replay:
                async with self.sessionmaker() as session:
                    await inbox.requeue(session, raw, self.me, self.clock.now(), LEASE)
                    await session.commit()
            await self.handle(update_id, raw)
            self._done.add(update_id)
            self._recovered()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._failed(exc, update_id)
        finally:
            # Ended, not cancelled: a renewal cut off mid-query would leave its connection
            # half-closed.
            finished.set()
            await beat
            del self._running[update_id]
            self._keys.pop(update_id, None)
            self._whole.discard(update_id)
            if not self._stopping:
                self.wake()

    async def handle(self, update_id: int, raw: dict[str, Any]) -> None:
        """Parse and handle one update (raises only for an outage)."""
        try:
            update = Update.model_validate(raw, context={"bot": self.bot})
        except ValidationError as exc:
            # Another Bot API version's shape, say: it must not stop the others, nor come
            # back after every restart.
            log.warning("update %s cannot be parsed (%s errors)", update_id, exc.error_count())
            error = f"cannot be parsed: {exc.error_count()} errors, first at {_where(exc)}"
            await self.quarantine.keep(update_id, raw, error)
            return
        try:
            await self.dispatcher.feed_update(self.bot, update)
        except Exception as exc:
            if is_outage(exc):
                raise
            # The errors router failed too: quarantined here, so that it does not run again
            # and again.
            log.error("update %s failed: %s", update_id, type(exc).__name__, exc_info=exc)
            await self.quarantine.keep(update_id, raw, type(exc).__name__)
        self._handled += 1
        if self._handled % PRUNE_EVERY == 0:
            async with self.sessionmaker() as session:
                await inbox.forget_old(session, self.clock.now())
                await session.commit()

    def _failed(self, exc: Exception, update_id: int | None) -> float:
        if not is_outage(exc):
            log.error("inbox: %s", type(exc).__name__, exc_info=exc)
            return OUTAGE_MIN
        loop = asyncio.get_running_loop()
        self.outage.failed(loop.time())
        # Everything unhandled runs again, an album's later parts included.
        self._done.clear()
        if loop.time() >= self._paused_until:
            self._paused_until = loop.time() + self._outage_delay
            self._outage_delay = min(self._outage_delay * 2, OUTAGE_MAX)
        log.warning(
            "update %s not handled, the database is unavailable (%s); again in %.0fs",
            update_id if update_id is not None else "-",
            type(exc).__name__,
            self._paused_until - loop.time(),
        )
        return self._paused_until - loop.time()

    def _recovered(self) -> None:
        self.outage.recovered()
        self._outage_delay = OUTAGE_MIN

    async def _keep_claim(self, update_id: int, finished: asyncio.Event) -> None:
        """A long handler (a 429's wait, a slow shop API) keeps its update."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(finished.wait(), HEARTBEAT)
            if finished.is_set():
                return
            try:
                async with self.sessionmaker() as session:
                    await inbox.extend(session, [update_id], self.me, self.clock.now() + LEASE)
                    await session.commit()
            except Exception as exc:  # the next beat tries again; the lease is 3 beats long
                log.warning("update %s: claim not renewed (%s)", update_id, type(exc).__name__)

    async def replay(self) -> int:
        """Handle again the quarantined updates an admin asked to replay (`python -m storage
        quarantine --replay`); how many went through."""
        done = 0
        for update_id, raw in await self.quarantine.to_replay():
            self._done.discard(update_id)
            # Registered as running before it is put back, so the scan leaves it alone.
            task = asyncio.create_task(self._handle(update_id, raw, replay=True))
            self._running[update_id] = task
            self._keys[update_id] = inbox.chat_key(raw)
            await task
            if await self.quarantine.replayed(update_id):
                done += 1
        return done

    async def run_replays(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.replay()
            except Exception as exc:  # the next check tries again
                log.warning("quarantine replay check failed: %s", type(exc).__name__)


def _where(exc: ValidationError) -> str:
    errors = exc.errors()
    return ".".join(str(p) for p in errors[0]["loc"]) if errors else "?"
