"""Shared fixtures: a Bot API emulator, people in it, and the real bot polling it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, build_app
from bot.config import Settings, load_settings
from bot.sandbox.emulator import TelegramEmulator
from bot.sandbox.limits import Limits
from bot.sandbox.people import Customer, StaffGroup

ROOT = Path(__file__).resolve().parents[1]
ENV_KEYS = (
    "BOT_TOKEN",
    "TELEGRAM_API_URL",
    "STAFF_CHAT_ID",
    "ADMIN_IDS",
    "DATABASE_URL",
    "KB_DIR",
    "CONFIG_FILE",
    "DEFAULT_LANGUAGE",
    "STAFF_LANGUAGE",
    "LOG_LEVEL",
)


pytest_plugins = ("tests.suites",)  # --suite NAME, --no-skip


class FakeClock:
    """A controllable clock: tests move time explicitly."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 16, 10, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The developer's shell and .env must not leak configuration into tests.
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("ENV_FILE", "")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    # Telegram's flood limits hold in every test, as they do in production.
    emu = TelegramEmulator(limits=Limits())
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()


@pytest.fixture
def staff(emulator: TelegramEmulator) -> StaffGroup:
    return StaffGroup(emulator, emulator.add_group("Support desk", forum=True))


@pytest.fixture
def make_customer(emulator: TelegramEmulator) -> Callable[..., Customer]:
    def make(first_name: str = "Алиса", **kwargs: Any) -> Customer:
        return Customer(emulator, emulator.add_user(first_name, **kwargs))

    return make


# With FRONTLINE_TEST_POSTGRES=postgresql+asyncpg://user@127.0.0.1:port (as .ci/run sets it),
# every test gets a fresh database on that real PostgreSQL server instead of an SQLite file.
POSTGRES = os.environ.get("FRONTLINE_TEST_POSTGRES", "")


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    if not POSTGRES:
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    from tests.postgres import create_database, drop_database

    url = await create_database(POSTGRES)
    yield url
    await drop_database(url)


@pytest.fixture
def settings_for(
    tmp_path: Path, emulator: TelegramEmulator, database_url: str
) -> Callable[..., Settings]:
    def make(staff_chat_id: int, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "bot_token": emulator.token,
            "telegram_api_url": emulator.base_url,
            "staff_chat_id": staff_chat_id,
            "database_url": database_url,
            "kb_dir": ROOT / "kb" / "articles",
            "polling_timeout": 5,
            # Tests drive the KB watcher by hand (KBWatcher.check), never by wall-clock time.
            "kb": {"reload_interval": 0},
            # Likewise the SLA checks (SlaWatcher.check).
            "sla": {"check_interval": 0},
            "quarantine_check_interval": 0,  # replays driven by hand (Inbox.replay)
            "stats": {"schedule_interval": 0, "export_dir": str(tmp_path / "exports")},
            # No HTTP server unless a test asks for one: tests run side by side.
            "server": {"port": 0},
        }
        values.update(overrides)
        return load_settings(ROOT / "config.yml", **values)

    return make


@pytest.fixture
def settings(settings_for: Callable[..., Settings], staff: StaffGroup) -> Settings:
    return settings_for(staff.id)


class RunningBot:
    def __init__(self, app: App, task: asyncio.Task[None], emulator: TelegramEmulator) -> None:
        self.app = app
        self.task = task
        self.emulator = emulator
        app.in_flight.listeners.append(emulator._notify)
        app.refresher.listeners.append(emulator._notify)
        app.outbox.listeners.append(emulator._notify)
        app.inbox.listeners.append(emulator._notify)

    async def settled(self, timeout: float = 10.0) -> None:
        """Wait until every queued update was fetched and fully handled (logs written too)."""
        emu = self.emulator
        await emu.wait_until(
            lambda: (
                not emu.updates
                and emu._polls_after_last
                and self.app.in_flight.count == 0
                and not self.app.inbox.busy
                and not self.app.refresher.busy
                and not self.app.outbox.busy
            ),
            timeout,
            "the bot to settle",
        )

    @property
    def sessionmaker(self) -> Any:
        from storage.db import make_sessionmaker

        return make_sessionmaker(self.app.engine)


Launch = Callable[..., Awaitable[RunningBot]]


@pytest.fixture
async def launch(
    settings_for: Callable[..., Settings],
    staff: StaffGroup,
    clock: FakeClock,
    emulator: TelegramEmulator,
) -> AsyncIterator[Launch]:
    """Start the real bot with setting overrides: `await launch(admin_ids=[...])`."""
    started: list[RunningBot] = []

    async def start(**overrides: Any) -> RunningBot:
        chat_id = overrides.pop("staff_chat_id", staff.id)
        app = await build_app(settings_for(chat_id, **overrides), clock)
        running = RunningBot(app, asyncio.create_task(app.run_polling()), emulator)
        started.append(running)
        return running

    try:
        yield start
    finally:
        for running in started:
            running.app.stop()
            await running.task
            await running.app.close()


@pytest.fixture
async def bot(launch: Launch) -> RunningBot:
    return await launch()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """FRONTLINE_TEST_REDIS, else a redis-server of our own for this run, stopped after it."""
    url = os.environ.get("FRONTLINE_TEST_REDIS", "")
    if url:
        yield url
        return
    binary = shutil.which("redis-server")
    assert binary is not None, "the redis suite is skipped where redis_unavailable() says why"
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="frontline-redis-") as workdir:
        options = ["--bind", "127.0.0.1", "--port", str(port), "--dir", workdir, "--save", ""]
        server = subprocess.Popen(
            [binary, *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            _until_ready(server, "Ready to accept connections")
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.terminate()
            server.wait(timeout=30)


def _until_ready(process: subprocess.Popen[str], marker: str) -> None:
    """Read a server's log until it says it is ready, then keep draining it in the background."""
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if marker in line:
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return
    pytest.fail("the server exited before it was ready:\n" + "".join(lines[-20:]))


class RefusedWrites:
    """The database driver refuses the next `count` statements that start with `prefix`,
    raising its own error class (sqlite3's, asyncpg's adapter's) as a real fault would."""

    def __init__(
        self, engine: Any, count: int, error: str, prefix: tuple[str, ...], message: str
    ) -> None:
        self.engine = engine.sync_engine
        self.left = count
        self.error = getattr(self.engine.dialect.loaded_dbapi, error)
        self.prefix = prefix
        self.message = message

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.left and statement.lstrip().upper().startswith(self.prefix):
            self.left -= 1
            raise self.error(self.message)


@contextlib.contextmanager
def refused_writes(
    engine: Any,
    count: int,
    error: str = "OperationalError",
    prefix: tuple[str, ...] = ("INSERT", "UPDATE"),
    message: str = "database or disk is full",
) -> Iterator[RefusedWrites]:
    """A full disk (the default) or, say, a constraint (IntegrityError) for a few writes."""
    from sqlalchemy import event

    fault = RefusedWrites(engine, count, error, prefix, message)
    event.listen(fault.engine, "before_cursor_execute", fault)
    try:
        yield fault
    finally:
        event.remove(fault.engine, "before_cursor_execute", fault)
