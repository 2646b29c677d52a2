"""`python -m bot` as a user runs it: a subprocess configured by environment variables only."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.sandbox.emulator import TelegramEmulator
from bot.sandbox.people import Customer, StaffGroup
from tests.bot_process import bot_env


async def run_bot_until_exit(tmp_path: Path, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, err.decode()


async def test_python_m_bot_with_env_vars_only(
    tmp_path: Path,
    emulator: TelegramEmulator,
    staff: StaffGroup,
    make_customer: Callable[..., Customer],
    database_url: str,
) -> None:
    env = bot_env(
        tmp_path,
        BOT_TOKEN=emulator.token,
        TELEGRAM_API_URL=emulator.base_url,
        STAFF_CHAT_ID=str(staff.id),
        ADMIN_IDS="1, 2",
        # On SQLite, a file in a directory that does not exist yet: the bot creates it.
        DATABASE_URL=database_url.replace("test.db", "db/frontline.db"),
        POLLING_TIMEOUT="2",
    )
    log = (tmp_path / "bot.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        alice = make_customer("Алиса", language_code="ru")
        olga = staff.operator("Ольга")
        alice.send("/start")
        await alice.receives("Здравствуйте, Алиса", timeout=60)
        # The command menu is registered for both languages.
        assert emulator.commands

        alice.send("сколько стоит доставка")
        await alice.receives("Сроки и стоимость доставки")

        alice.send("мне нужен живой человек")
        await alice.receives("обращение #1")
        topic = await staff.new_topic(name="#1")
        alice.send("заказ 777 не пришёл")
        await staff.receives_in(topic.thread_id, "заказ 777")
        olga.says_in(topic.thread_id, "Уже разбираюсь")
        await alice.receives("Уже разбираюсь")
        olga.says_in(topic.thread_id, "/close")
        rating = await alice.receives("Оцените")
        alice.press("4", rating)
        await alice.sees("Спасибо за оценку 4 из 5")
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), 30)
        log.close()
    output = (tmp_path / "bot.log").read_text()
    assert code == 0, output
    if database_url.startswith("sqlite"):
        assert (tmp_path / "db" / "frontline.db").exists()
        assert f"created the directory {tmp_path / 'db'} for the SQLite database" in output
    # The first line comes before the seconds of imports, so nobody wonders if it hangs.
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    first = output.splitlines()[0]
    assert first.endswith(f"Frontline starting: polling mode, {backend} database, embedded NLU")
    # Logs carry ids, never what customers wrote.
    assert "доставка" not in output and "заказ 777" not in output


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"STAFF_CHAT_ID": "-100123"}, "bot_token is required: set env BOT_TOKEN"),
        (
            {"BOT_TOKEN": "123:abcdefghijklmnop", "STAFF_CHAT_ID": "support"},
            "staff_chat_id (env STAFF_CHAT_ID)",
        ),
        ({"BOT_TOKEN": "123:abcdefghijklmnop", "STAFF_CHAT_ID": "12345"}, "must be a group id"),
        ({"BOT_TOKEN": "not-a-token", "STAFF_CHAT_ID": "-100123"}, "bot_token (env BOT_TOKEN)"),
        (
            {
                "BOT_TOKEN": "123:abcdefghijklmnop",
                "STAFF_CHAT_ID": "-100123",
                "DATABASE_URL": "sqlite+aiosqlite:////proc/frontline/forbidden.db",
            },
            "database_url (env DATABASE_URL): cannot write /proc/frontline",
        ),
        (
            {
                "BOT_TOKEN": "123:abcdefghijklmnop",
                "STAFF_CHAT_ID": "-100123",
                "KB_DIR": "/nonexistent/kb",
            },
            "kb_dir (env KB_DIR): knowledge-base directory not found (got '/nonexistent/kb')",
        ),
        pytest.param(
            {
                "BOT_TOKEN": "123:abcdefghijklmnop",
                "STAFF_CHAT_ID": "-100123",
                "TELEGRAM_API_URL": "http://127.0.0.1:9",
                "DATABASE_URL": "sqlite+aiosqlite:///x.db",
                "DELIVERY__MAX_ATTEMPTS": "1",
            },
            "cannot reach the Bot API at http://127.0.0.1:9 (TelegramNetworkError); "
            "it is telegram_api_url (env TELEGRAM_API_URL)",
            marks=pytest.mark.slow,  # aiogram's import and a full start-up
        ),
        (
            {"BOT_TOKEN": "123:abcdefghijklmnop", "STAFF_CHAT_ID": "-100123", "DATABASE_URL": "x"},
            "database_url (env DATABASE_URL): not a database URL",
        ),
    ],
)
async def test_bad_startup_input_exits_with_one_clear_line(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    code, stderr = await run_bot_until_exit(tmp_path, bot_env(tmp_path, **env))
    assert code == 2
    assert expected in stderr
    assert "Traceback" not in stderr
    assert "123:abcdefghijklmnop" not in stderr  # the token never appears


@pytest.mark.slow
async def test_rejected_token_is_reported(tmp_path: Path, emulator: TelegramEmulator) -> None:
    env = bot_env(
        tmp_path,
        BOT_TOKEN="999:wrong-token-for-this-bot",
        TELEGRAM_API_URL=emulator.base_url,
        STAFF_CHAT_ID="-100123",
    )
    code, stderr = await run_bot_until_exit(tmp_path, env)
    assert code == 2
    assert "bot_token (env BOT_TOKEN) was rejected" in stderr


async def test_help_lists_the_commands_and_environment_variables(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--help", cwd=tmp_path, env=bot_env(tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    usage = out.decode()
    assert usage.startswith("usage: python -m bot")
    for name in ("BOT_TOKEN", "STAFF_CHAT_ID", "DATABASE_URL", "KB__MATCH_THRESHOLD", "ENV_FILE"):
        assert name in usage
    assert "python -m kb check" in usage and "bot_token is required" not in usage + err.decode()
