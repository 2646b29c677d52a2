"""`python -m bot` as a child process the tests can kill, restart and starve of resources."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import aiohttp

from bot.sandbox.emulator import TelegramEmulator


def bot_env(tmp_path: Path, **values: str) -> dict[str, str]:
    """The bot's whole environment: `values` and the few variables a process needs to run."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    env.update(values)
    return env


class BotProcess:
    """`python -m bot` configured by environment variables only. Its output is read through
    a pipe into memory: a file would be refused too when a test takes the process's right to
    write files away (tests/test_real_outages.py)."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0
        self._output: list[bytes] = []
        self._readers: list[asyncio.Task[None]] = []

    @classmethod
    def polling(
        cls,
        cwd: Path,
        emulator: TelegramEmulator,
        staff_chat_id: int,
        database_url: str,
        **env: str,
    ) -> BotProcess:
        """Polling the emulator, quickly (1 s long polls), no HTTP server unless `env` asks."""
        values = {
            "BOT_TOKEN": emulator.token,
            "TELEGRAM_API_URL": emulator.base_url,
            "STAFF_CHAT_ID": str(staff_chat_id),
            "DATABASE_URL": database_url,
            "POLLING_TIMEOUT": "1",
            "SERVER__PORT": "0",
            **env,
        }
        return cls(bot_env(cwd, **values), cwd)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self) -> None:
        self.starts += 1
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=self.cwd,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self._readers.append(asyncio.create_task(self._read(self.process)))

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while chunk := await process.stdout.read(65536):
            self._output.append(chunk)

    async def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no shutdown code runs
        await self.process.wait()

    async def stop(self) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.terminate()
        code = await asyncio.wait_for(self.process.wait(), 30)
        await asyncio.gather(*self._readers)
        return code

    async def close(self) -> None:
        """Teardown: nothing left running, whatever the test did."""
        if self.process is not None and self.process.returncode is None:
            await self.kill()
        await asyncio.gather(*self._readers, return_exceptions=True)

    def logs(self) -> str:
        return b"".join(self._output).decode(errors="replace")


async def healthz(port: int) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/healthz") as response,
    ):
        return response.status, await response.json()
