"""The bot's HTTP side: /healthz, /metrics and, in webhook mode, Telegram's webhook.

/healthz answers 200 while the bot can work (database and Bot API reachable) and 503 when it
cannot; a Rasa server that is down makes it "degraded" but still 200, because the embedded
engine answers meanwhile and a load balancer should not take the replica out for that.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import ClientError, web
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.inbox import Inbox
from bot.metrics import CONTENT_TYPE, Metrics
from nlu.rasa_client import RasaClient, rasa_status
from storage.outage import Outage, is_outage

log = logging.getLogger(__name__)
CHECK_TIMEOUT = 5.0
BOT_API_CACHE = 10.0  # seconds a good getMe answer is trusted (health checks come often)


@dataclass
class Health:
    engine: AsyncEngine
    bot: Bot
    rasa: RasaClient | None
    outage: Outage = field(default_factory=Outage)
    _bot_api_ok_at: float = 0.0

    async def check(self) -> tuple[bool, dict[str, Any]]:
        database, bot_api, rasa = await asyncio.gather(
            self._database(), self._bot_api(), self._rasa()
        )
        checks = {"database": database, "bot_api": bot_api, "rasa": rasa}
        healthy = database == "ok" and bot_api == "ok"
        status = "ok" if healthy and rasa in ("ok", "not used") else "degraded"
        return healthy, {"status": status if healthy else "unhealthy", "checks": checks}

    async def _database(self) -> str:
        if self.outage.since is not None:
            # SELECT 1 may well pass (a full disk still reads): updates are failing to write.
            waited = asyncio.get_running_loop().time() - self.outage.since
            return f"unavailable: updates waiting for {waited:.0f}s"
        try:
            async with asyncio.timeout(CHECK_TIMEOUT), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            return type(exc).__name__
        return "ok"

    async def _bot_api(self) -> str:
        if time.monotonic() - self._bot_api_ok_at < BOT_API_CACHE:
            return "ok"
        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                await self.bot.get_me()
        except (TelegramAPIError, ClientError, OSError, TimeoutError) as exc:
            return type(exc).__name__
        self._bot_api_ok_at = time.monotonic()
        return "ok"

    async def _rasa(self) -> str:
        if self.rasa is None:
            return "not used"
        return await rasa_status(self.rasa)


class WebhookHandler(SimpleRequestHandler):
    """aiogram's handler, except that the update is only stored in the inbox (bot.inbox),
    which handles it, and answered 200 once it is stored; a body that is not a Telegram update
    (not JSON, nested too deep, no update id) gets 400 and one log line, and an update the
    database could not take gets 503 (Telegram sends it again). An update in a shape this
    aiogram cannot read is stored too: the inbox quarantines it."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, secret: str, inbox: Inbox) -> None:
        super().__init__(dispatcher, bot, handle_in_background=False, secret_token=secret)
        self.inbox = inbox

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read())
        except (ValueError, RecursionError) as exc:
            body, error = None, type(exc).__name__
        else:
            error = "no update_id"
        if not isinstance(body, dict) or not isinstance(body.get("update_id"), int):
            log.warning("webhook: refused a body that is not a Telegram update (%s)", error)
            return web.Response(status=400, text="not a Telegram update")
        try:
            await self.inbox.receive([body])
        except Exception as exc:
            log.warning(
                "webhook: update %s not stored (%s)",
                body["update_id"],
                type(exc).__name__,
                exc_info=not is_outage(exc),
            )
            return web.Response(status=503, text="database unavailable; send again")
        return web.json_response({})


def build_web_app(
    health: Health | None,
    metrics: Metrics | None,
    webhook: tuple[Dispatcher, Bot, str, str] | None = None,
    inbox: Inbox | None = None,
) -> web.Application:
    """`webhook` = (dispatcher, bot, path, secret token) in webhook mode; health and metrics
    are left out where they have a server of their own (server.metrics_port)."""
    app = web.Application(client_max_size=10 * 1024 * 1024)
    if health is not None and metrics is not None:
        _add_health_and_metrics(app, health, metrics)
    if webhook is not None:
        dispatcher, bot, path, secret = webhook
        if inbox is None:
            raise ValueError("the webhook needs the inbox")
        handler = WebhookHandler(dispatcher, bot, secret, inbox)
        handler.register(app, path=path)
    return app


def _add_health_and_metrics(app: web.Application, health: Health, metrics: Metrics) -> None:

    async def healthz(_request: web.Request) -> web.Response:
        healthy, body = await health.check()
        return web.json_response(body, status=200 if healthy else 503)

    async def prometheus(_request: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", prometheus)


async def start_site(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server
    bound = server.sockets[0].getsockname()[1] if server is not None else port  # type: ignore[attr-defined]
    log.info("http server on %s:%s", host, bound)
    return runner, int(bound)
