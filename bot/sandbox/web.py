"""The sandbox page and its small JSON API, on aiohttp (already the bot's HTTP library).

GET /              the page (one static file, no build step, no third-party script)
GET /api/state     everything the page shows, as JSON
GET /api/events    server-sent events: one `change` whenever any chat changes
POST /api/...      what a person does: write, press a button, share a contact, send a file
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.sandbox.world import World

PAGE = Path(__file__).with_name("page.html")
HEARTBEAT = 15.0  # seconds between keep-alive events on a quiet stream
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_web_app(
    world: World, extra: Callable[[], dict[str, Any]] | None = None
) -> web.Application:
    """`extra`: more for the state (the bot's pacing counters)."""
    app = web.Application(client_max_size=1024 * 1024)

    async def page(_request: web.Request) -> web.Response:
        return web.Response(text=PAGE.read_text(encoding="utf-8"), content_type="text/html")

    async def state(_request: web.Request) -> web.Response:
        return web.json_response({**world.state(), **(extra() if extra else {})})

    async def events(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        with contextlib.suppress(ConnectionResetError):
            while True:
                await response.write(b"data: change\n\n")
                await world.emulator.changed(HEARTBEAT)
        return response

    async def add_customer(body: dict[str, Any]) -> None:
        language = "en" if body.get("language") == "en" else "ru"
        world.add_customer(str(body.get("name") or "Гость"), language)

    async def add_operator(body: dict[str, Any]) -> None:
        world.add_operator(str(body.get("name") or "Operator"))

    async def customer(body: dict[str, Any]) -> None:
        uid = int(body["user"])
        kind = body.get("kind", "text")
        if kind == "text":
            text = str(body.get("text") or "")
            if text:
                world.customer_sends(uid, {"text": text[:4096]})
        elif kind == "contact":
            world.customer_sends(uid, world.contact(uid))
        else:
            world.customer_sends(uid, world.media(str(kind), str(body.get("text") or "")))

    async def operator(body: dict[str, Any]) -> None:
        thread = body.get("thread_id")
        text = str(body.get("text") or "")
        if text:
            world.operator_sends(
                int(body["user"]),
                int(thread) if thread is not None else None,
                {"text": text[:4096]},
                reply_to=int(body["reply_to"]) if body.get("reply_to") else None,
            )

    async def press(body: dict[str, Any]) -> None:
        world.press(int(body["user"]), int(body["chat_id"]), int(body["message_id"]), body["data"])

    def action(do: Callable[[dict[str, Any]], Awaitable[None]]) -> Handler:
        async def handle(request: web.Request) -> web.Response:
            try:
                body = await request.json()
                if not isinstance(body, dict):
                    raise ValueError("expected an object")
                await do(body)
            except (ValueError, KeyError, TypeError) as exc:
                return web.json_response({"ok": False, "error": str(exc)}, status=400)
            return web.json_response({"ok": True})

        return handle

    app.router.add_get("/", page)
    app.router.add_get("/api/state", state)
    app.router.add_get("/api/events", events)
    app.router.add_post("/api/customers", action(add_customer))
    app.router.add_post("/api/operators", action(add_operator))
    app.router.add_post("/api/customer/send", action(customer))
    app.router.add_post("/api/operator/send", action(operator))
    app.router.add_post("/api/press", action(press))
    return app
