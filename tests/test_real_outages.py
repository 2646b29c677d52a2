"""The database really fails under `python -m bot`, mid-conversation, and comes back.

No fault is injected inside the bot: the kernel refuses the SQLite file's writes (the bot
process's file-size limit cut to one byte, as a full disk refuses them), or a PostgreSQL
server of the test's own is stopped as an administrator stops it, for 10 seconds. Meanwhile
a customer writes, a new customer asks for a person and the operator answers. While the
database is away, /healthz says so, Telegram is told nothing was received and nobody is told
"saved"; once it is back, every message arrives, in order, once.
"""

from __future__ import annotations

import asyncio
import resource
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.sandbox.emulator import TelegramEmulator
from bot.sandbox.people import Customer, StaffGroup
from tests.bot_process import BotProcess, healthz
from tests.conftest import free_port
from tests.postgres import OwnServer

pytestmark = pytest.mark.outage

OUTAGE = 10.0  # seconds the database stays away


def bot_for(
    tmp_path: Path, emulator: TelegramEmulator, staff: StaffGroup, url: str
) -> tuple[BotProcess, int]:
    """The bot, and the port of its /healthz."""
    port = free_port()
    return BotProcess.polling(tmp_path, emulator, staff.id, url, SERVER__PORT=str(port)), port


async def converse_through_an_outage(
    bot: BotProcess,
    port: int,
    emulator: TelegramEmulator,
    staff: StaffGroup,
    make_customer: Callable[..., Customer],
    fail: Callable[[], Awaitable[None]],
    recover: Callable[[], Awaitable[None]],
) -> None:
    alice, bob = make_customer("Алиса"), make_customer("Борис")
    olga = staff.operator("Ольга")
    await bot.start()
    try:
        alice.send("/operator")
        topic = await staff.new_topic(name="Алиса", timeout=60)
        olga.says_in(topic.thread_id, "Слушаю")
        await alice.receives("Слушаю", timeout=30)
        await emulator.wait_until(lambda: not emulator.updates, 30, "every update confirmed")

        await fail()
        began = time.monotonic()
        alice.send("первое во время сбоя")
        bob.send("/operator")
        olga.says_in(topic.thread_id, "ответ во время сбоя")
        alice.send("второе во время сбоя")
        sent = [u["update_id"] for u in emulator.updates]
        assert len(sent) == 4

        for _ in range(60):  # asked again after each of the bot's polls, which keep going
            status, body = await healthz(port)
            if status == 503:
                break
            polls = len(emulator.calls_of("getUpdates"))
            await emulator.wait_until(
                lambda n=polls: len(emulator.calls_of("getUpdates")) > n, 10, "the next poll"
            )
        assert status == 503 and body["status"] == "unhealthy", body
        # The outage lasts its time, whatever the bot does meanwhile.
        await asyncio.sleep(max(0.0, began + OUTAGE - time.monotonic()))
        assert [u["update_id"] for u in emulator.updates][: len(sent)] == sent, (
            "an update was confirmed to Telegram while the database could not store it"
        )
        await recover()

        relayed = ["первое во время сбоя", "второе во время сбоя"]

        def in_topic() -> list[str]:
            texts = [m.get("text", "") for m in staff.topic_messages(topic.thread_id)]
            return [t for t in texts if t in relayed]

        await emulator.wait_until(lambda: in_topic() == relayed, 60, "both messages relayed")
        await alice.receives("ответ во время сбоя", timeout=30)
        await bob.receives("обращение #2", timeout=30)
        await staff.new_topic(name="Борис", timeout=60)
        status, body = await healthz(port)
        assert status == 200, body
        # Nothing the bot said while the database was away claimed to have kept anything,
        # and nothing sent around the outage was sent twice to anyone (both customers may
        # get the same words: after hours, when to expect an answer).
        for said in (alice.texts(), bob.texts()):
            assert not [t for t in said if "сохран" in t.lower()], said
            assert len(said) == len(set(said)), said
        alice.send("после сбоя")
        await staff.receives_in(topic.thread_id, "после сбоя", timeout=30)
        assert await bot.stop() == 0
    finally:
        await bot.close()
    assert in_topic() == relayed, "each message relayed once"
    assert "Traceback" not in bot.logs(), bot.logs()[-3000:]


async def test_the_sqlite_file_refused_by_the_kernel(
    tmp_path: Path,
    emulator: TelegramEmulator,
    staff: StaffGroup,
    make_customer: Callable[..., Customer],
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'frontline.db'}"
    bot, port = bot_for(tmp_path, emulator, staff, url)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)

    async def fail() -> None:
        # Every write past the first byte of any file fails with EFBIG: SQLite's database,
        # its WAL and its journal alike (the bot's output is a pipe, not a file).
        resource.prlimit(bot.pid, resource.RLIMIT_FSIZE, (1, hard))

    async def recover() -> None:
        resource.prlimit(bot.pid, resource.RLIMIT_FSIZE, (soft, hard))

    await converse_through_an_outage(bot, port, emulator, staff, make_customer, fail, recover)


async def test_postgresql_stopped_for_ten_seconds(
    tmp_path: Path,
    emulator: TelegramEmulator,
    staff: StaffGroup,
    make_customer: Callable[..., Customer],
) -> None:
    server = OwnServer(free_port())
    try:
        await server.create()
        bot, port = bot_for(tmp_path, emulator, staff, server.url)
        await converse_through_an_outage(
            bot, port, emulator, staff, make_customer, server.stop, server.start
        )
    finally:
        await server.remove()
