"""Long polling that confirms an update to Telegram only once it is stored in the inbox.

getUpdates(offset=N) confirms every update below N and Telegram forgets them. aiogram's own
loop moves the offset as soon as an update is received; here it moves past a batch only once
the batch is in the database (bot.inbox), which handles it from there. While the database
cannot take them, updates are not confirmed: Telegram keeps them, and they are asked for
again after a pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiohttp import ClientError, ClientTimeout

from bot.inbox import Inbox
from storage.outage import is_outage

log = logging.getLogger(__name__)
BACKOFF_MIN, BACKOFF_MAX = 0.5, 30.0


class StoreThenConfirm:
    def __init__(
        self,
        bot: Bot,
        inbox: Inbox,
        *,
        timeout: int,
        allowed_updates: list[str],
        limit: int = 100,
        stop: asyncio.Event | None = None,
    ) -> None:
        self.bot = bot
        self.inbox = inbox
        self.timeout = timeout
        self.allowed_updates = allowed_updates
        self.limit = limit
        self._stop = stop or asyncio.Event()
        self.offset: int | None = None  # one past the highest update stored

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        log.info("polling (updates confirmed once stored)")
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
            fresh = [raw for raw in updates if isinstance(raw.get("update_id"), int)]
            if fresh:
                try:
                    await self.inbox.receive(fresh)
                except Exception as exc:
                    # Not confirmed: Telegram hands them out again on the next poll.
                    log.warning(
                        "%s updates not stored (%s); asking again in %.1fs",
                        len(fresh),
                        type(exc).__name__,
                        delay,
                        exc_info=not is_outage(exc),
                    )
                    await self._pause(delay)
                    delay = min(delay * 2, BACKOFF_MAX)
                    continue
                self.offset = max(raw["update_id"] for raw in fresh) + 1
            delay = BACKOFF_MIN
        await self._confirm()

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

    async def _confirm(self) -> None:
        """Confirm what was stored before stopping (the next start would receive it again,
        and the inbox would skip it, but a clean stop leaves nothing behind)."""
        if self.offset:
            # timeout=0, limit=1: only moves the offset; what it returns stays unconfirmed.
            with contextlib.suppress(PollError, ClientError, TimeoutError, OSError, ValueError):
                await self._get_updates(0, limit=1)


class PollError(Exception):
    def __init__(self, description: str, retry_after: float | None) -> None:
        super().__init__(description)
        self.description = description
        self.retry_after = retry_after
