"""`python -m bot sandbox`: the emulator, the real bot against it, and the page, in one process."""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from bot.config import Settings, load_settings
from bot.sandbox.emulator import TelegramEmulator
from bot.sandbox.limits import Limits
from bot.sandbox.web import build_web_app
from bot.sandbox.world import SANDBOX_TOKEN, World

if TYPE_CHECKING:
    from bot.app import App

DEFAULT_DATABASE = Path("data") / "sandbox.db"


def sandbox_settings(world: World, emulator: TelegramEmulator) -> Settings:
    """The bot's own settings (config.yml, .env, the environment), pointed at the emulator.

    The database is DATABASE_URL when set, else data/sandbox.db, which starts empty each time
    because the emulator's chats do; the KB is re-read every second so an edit shows at once.
    """
    url = os.environ.get("DATABASE_URL")
    if not url:
        DEFAULT_DATABASE.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DEFAULT_DATABASE}{suffix}").unlink(missing_ok=True)
        url = f"sqlite+aiosqlite:///{DEFAULT_DATABASE}"
    return load_settings(
        bot_token=emulator.token,
        telegram_api_url=emulator.base_url,
        staff_chat_id=world.group_id,
        admin_ids=[world.admin_id],
        database_url=url,
        mode="polling",
        polling_timeout=10,
        server={"port": 0},
        kb={"reload_interval": 1},
    )


@dataclass
class Sandbox:
    emulator: TelegramEmulator
    world: World
    app: App
    url: str
    _bot: asyncio.Task[None]
    _runner: web.AppRunner

    @classmethod
    async def start(cls, host: str = "127.0.0.1", port: int = 8090) -> Sandbox:
        from bot.app import announce, build_app  # seconds of imports: after the first line
        from bot.web import start_site
        from common.i18n import Translator

        # Telegram's flood limits hold here too: what a newcomer sees is what production does.
        emulator = TelegramEmulator(
            token=SANDBOX_TOKEN, username="frontline_sandbox_bot", limits=Limits()
        )
        await emulator.start()
        world = World.create(emulator)
        app = await build_app(sandbox_settings(world, emulator))
        await announce(app, Translator())

        async def serve() -> None:
            try:
                await app.run()
            finally:
                await app.close()

        bot = asyncio.create_task(serve())
        pacing = app.delivery.stats
        page = build_web_app(world, lambda: {"delivery": {"paced_waits": pacing.paced_waits}})
        runner, bound = await start_site(page, host, port)
        return cls(emulator, world, app, f"http://{host}:{bound}/", bot, runner)

    async def stop(self) -> None:
        self.app.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await self._bot
        await self._runner.cleanup()
        await self.emulator.stop()

    async def wait(self) -> None:
        await self._bot


async def serve(host: str, port: int) -> None:
    sandbox = await Sandbox.start(host, port)
    print(f"Frontline sandbox: open {sandbox.url} (Ctrl+C stops it)", flush=True)
    try:
        await sandbox.wait()
    finally:
        await sandbox.stop()
