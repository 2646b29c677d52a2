"""Long polling that confirms an update to Telegram only after it has been handled.

getUpdates(offset=N) confirms every update below N and Telegram forgets them. aiogram's own
loop moves the offset as soon as an update is *received*, so a process killed while handling
loses it. Here the offset never passes the oldest update still being handled: after a crash
Telegram hands out again everything unfinished, and the update journal skips what was done.

Updates are handled concurrently (the per-chat lock keeps each chat in order). While some are
still running, getUpdates returns them again with any new ones; those already running are not
started twice, and when nothing new came back the loop waits for one of them to finish instead
of asking again at once.

An update that fails because the database cannot be used (storage.outage) is not confirmed:
it is handled again after a backoff, and nothing newer starts before it does, so the order
holds and nothing is lost while the database is away; /healthz says unhealthy meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.types import Update
from aiohttp import ClientError, ClientTimeout
from pydantic import ValidationError

from bot.quarantine import Quarantine
from storage.outage import Outage, is_outage

log = logging.getLogger(__name__)
BACKOFF_MIN, BACKOFF_MAX = 0.5, 30.0
RECHECK = 0.25  # seconds between polls while only long-running updates are outstanding
RETRY_MIN, RETRY_MAX = 1.0, 30.0  # seconds before an update that met an outage runs again


class ConfirmAfterHandling:
    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        *,
        timeout: int,
        allowed_updates: list[str],
        limit: int = 100,
        stop: asyncio.Event | None = None,
        outage: Outage | None = None,
        quarantine: Quarantine | None = None,
    ) -> None:
        self.bot = bot
        self.quarantine = quarantine
        self.dispatcher = dispatcher
        self.timeout = timeout
        self.allowed_updates = allowed_updates
        self.limit = limit
        self._running: dict[int, asyncio.Task[None]] = {}
        self._finished: set[int] = set()  # handled here, not yet confirmed
        self._abandoned: set[int] = set()  # cut short at shutdown: must stay unconfirmed
        self._next = 0  # one past the highest update id seen
        self._progress = asyncio.Event()
        self._stop = stop or asyncio.Event()
        self.outage = outage or Outage()
        self._retry: set[int] = set()  # failed for want of the database: to run again
        self._retry_at = 0.0  # loop time before which they wait
        self._retry_delay = RETRY_MIN
        self._retrying: int | None = None  # the held-back update running again now

    @property
    def offset(self) -> int | None:
        held = self._running.keys() | self._abandoned | self._retry
        if held:
            return min(held)
        return self._next or None

    def stop(self) -> None:
        self._stop.set()

    async def run(self, grace: float) -> None:
        log.info("polling (updates confirmed after handling)")
        delay = BACKOFF_MIN
        while not self._stop.is_set():
            try:
                updates = await self._poll(self.timeout)
            except PollError as exc:
                log.warning("getUpdates refused: %s", exc.description)
                await self._pause(exc.retry_after or delay)
                delay = min(delay * 2, BACKOFF_MAX)
                continue
            except (ClientError, TimeoutError, OSError, ValueError) as exc:
                log.warning("getUpdates failed (%s); retrying in %.1fs", type(exc).__name__, delay)
                await self._pause(delay)
                delay = min(delay * 2, BACKOFF_MAX)
                continue
            if updates is None:
                break  # stopped while waiting
            delay = BACKOFF_MIN
            if not self._start(updates):
                if self._running:
                    # Only updates still being handled came back: wait for one to finish.
                    self._progress.clear()
                    await self._pause(RECHECK, self._progress)
                elif self._retry:
                    # Telegram hands the held-back updates out at once: wait for their turn.
                    wait = self._retry_at - asyncio.get_running_loop().time()
                    await self._pause(max(wait, RECHECK))
        await self._finish(grace)

    def _start(self, updates: list[dict[str, Any]]) -> bool:
        fresh = False
        loop = asyncio.get_running_loop()
        for raw in updates:
            uid = int(raw["update_id"])
            self._next = max(self._next, uid + 1)
            if uid in self._running or uid in self._finished:
                continue
            if self._retry:
                # While updates wait out an outage they run again one at a time, oldest
                # first, and nothing newer starts: every chat keeps its order.
                if uid != min(self._retry) or loop.time() < self._retry_at or self._running:
                    continue
                self._retry.discard(uid)
                self._retrying = uid
            fresh = True
            # Parsed only now: the ones still running come back on every poll, and building
            # aiogram's models for them again and again would cost more than handling them.
            try:
                update = Update.model_validate(raw, context={"bot": self.bot})
            except ValidationError as exc:
                # An update this aiogram cannot read (another Bot API version's shape) must
                # not stop the loop, nor come back after every restart: it is quarantined,
                # then confirmed.
                log.error("update %s cannot be parsed (%s errors)", uid, exc.error_count())
                error = f"cannot be parsed: {exc.error_count()} errors, first at {_where(exc)}"
                self._running[uid] = asyncio.create_task(self._quarantine(uid, raw, error))
                continue
            self._running[uid] = asyncio.create_task(self._handle(update))
        floor = self.offset or 0
        self._finished = {uid for uid in self._finished if uid >= floor}
        return fresh

    async def _handle(self, update: Update) -> None:
        uid = update.update_id
        try:
            await self.dispatcher.feed_update(self.bot, update)
        except asyncio.CancelledError:
            self._abandoned.add(uid)
            raise
        except Exception as exc:  # one update never stops the loop
            if is_outage(exc):
                self._held_back(uid, exc)
            else:
                log.error("update %s failed: %s", uid, type(exc).__name__, exc_info=exc)
        else:
            if not self._retry:
                self.outage.recovered()
                self._retry_delay = RETRY_MIN
        finally:
            del self._running[uid]
            if uid not in self._abandoned and uid not in self._retry:
                self._finished.add(uid)
            self._progress.set()

    async def _quarantine(self, uid: int, raw: dict[str, Any], error: str) -> None:
        try:
            if self.quarantine is not None:
                await self.quarantine.keep(uid, raw, error)
        except Exception as exc:
            if is_outage(exc):
                self._held_back(uid, exc)  # kept once the database is back, not lost
            else:
                log.error("update %s not quarantined: %s", uid, type(exc).__name__)
        finally:
            del self._running[uid]
            if uid not in self._retry:
                self._finished.add(uid)
            self._progress.set()

    def _held_back(self, uid: int, exc: Exception) -> None:
        loop = asyncio.get_running_loop()
        self.outage.failed(loop.time())
        if not self._retry or uid == self._retrying:
            # The outage begins, or goes on (its retry failed): wait longer each time.
            self._retry_at = loop.time() + self._retry_delay
            self._retry_delay = min(self._retry_delay * 2, RETRY_MAX)
        self._retry.add(uid)
        log.warning(
            "update %s not handled, the database is unavailable (%s); again in %.0fs",
            uid,
            type(exc).__name__,
            self._retry_at - loop.time(),
        )

    async def _poll(self, wait: int) -> list[dict[str, Any]] | None:
        call = asyncio.ensure_future(self._get_updates(wait))
        stopped = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({call, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
        if not call.done():
            call.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await call
            return None
        return call.result()

    async def _get_updates(self, wait: int, limit: int | None = None) -> list[dict[str, Any]]:
        """getUpdates as plain JSON (see _start for why not through aiogram's models)."""
        session = self.bot.session
        if not isinstance(session, AiohttpSession):  # pragma: no cover - we always build one
            raise TypeError("polling needs aiogram's AiohttpSession")
        http = await session.create_session()
        body: dict[str, Any] = {
            "timeout": wait,
            "limit": limit or self.limit,
            "allowed_updates": self.allowed_updates,
        }
        if self.offset:
            body["offset"] = self.offset
        timeout = ClientTimeout(total=(session.timeout or 60) + wait)
        url = session.api.api_url(self.bot.token, "getUpdates")
        async with http.post(url, json=body, timeout=timeout) as response:
            data = json.loads(await response.read())
        if not isinstance(data, dict) or not data.get("ok"):
            data = data if isinstance(data, dict) else {}
            retry_after = (data.get("parameters") or {}).get("retry_after")
            raise PollError(
                f"{data.get('error_code', response.status)} {data.get('description', '')}",
                float(retry_after) if retry_after else None,
            )
        result = data.get("result")
        return result if isinstance(result, list) else []

    async def _pause(self, seconds: float, *events: asyncio.Event) -> None:
        waiters = [asyncio.ensure_future(e.wait()) for e in (self._stop, *events)]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _finish(self, grace: float) -> None:
        """Let running updates finish, then confirm what was handled."""
        running = list(self._running.values())
        if running:
            _, pending = await asyncio.wait(running, timeout=grace)
            for task in pending:
                task.cancel()  # Telegram delivers these again after the restart
            await asyncio.gather(*pending, return_exceptions=True)
        if self.offset:
            # timeout=0, limit=1: only moves the offset; what it returns stays unconfirmed.
            with contextlib.suppress(PollError, ClientError, TimeoutError, OSError, ValueError):
                await self._get_updates(0, limit=1)


def _where(exc: ValidationError) -> str:
    errors = exc.errors()
    return ".".join(str(p) for p in errors[0]["loc"]) if errors else "?"


class PollError(Exception):
    def __init__(self, description: str, retry_after: float | None) -> None:
        super().__init__(description)
        self.description = description
        self.retry_after = retry_after
