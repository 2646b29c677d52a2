"""Start-up: from exec to the first getUpdates, and the memory the bot holds once serving.

    .venv/bin/python bench/startup.py [--runs 5] [--baseline DIR]

Starts `python -m bot` (configured by environment variables only, SQLite in a fresh temporary
directory, the embedded NLU) against the project's Bot API emulator, and beside it the floor:
bench/echo_bot.py, a bare aiogram bot. For each it prints, over the runs: the seconds from exec
to the first log line on stderr (the bot only), to the first getUpdates request, and the
process's resident memory (RSS) at that moment, as median and range. A run's database is new,
so the bot's figure includes applying the migrations, training the embedded NLU and loading
the knowledge base. `--baseline DIR` also starts the bot from another checkout (say, a
`git worktree` of an earlier commit) in the same alternating runs, for a before/after figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.sandbox.emulator import TelegramEmulator  # noqa: E402


class FirstPoll(TelegramEmulator):
    """Notes when the first getUpdates arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.first_poll = asyncio.get_running_loop().create_future()

    async def api_getupdates(self, params: dict) -> list:  # type: ignore[type-arg]
        if not self.first_poll.done():
            self.first_poll.set_result(time.perf_counter())
        return await super().api_getupdates(params)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def one_run(which: str, source: str | None) -> tuple[float | None, float, float]:
    emulator = FirstPoll()
    await emulator.start()
    group = emulator.add_group("Support desk", forum=True)
    with tempfile.TemporaryDirectory() as workdir:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": workdir,
            "BOT_TOKEN": emulator.token,
            "TELEGRAM_API_URL": emulator.base_url,
            "STAFF_CHAT_ID": str(group["id"]),
            "DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/frontline.db",
            "SERVER__PORT": "0",
            "POLLING_TIMEOUT": "1",
        }
        if source:
            env["PYTHONPATH"] = source  # that checkout's packages instead of this one's
        command = ["-m", "bot"] if which != "echo" else [str(ROOT / "bench" / "echo_bot.py")]
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable, *command, cwd=workdir, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stderr is not None
        first_line: float | None = None
        if which != "echo":
            await process.stderr.readline()
            first_line = time.perf_counter() - started
        polled = await asyncio.wait_for(emulator.first_poll, 120) - started
        memory = rss_mb(process.pid)
        process.terminate()
        await process.communicate()
    await emulator.stop()
    return first_line, polled, memory


def describe(values: list[float], unit: str) -> str:
    return f"{statistics.median(values):.2f} {unit} ({min(values):.2f}–{max(values):.2f})"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", help="a checkout of another build to measure beside")
    args = parser.parse_args()
    if args.baseline:
        args.baseline = str(Path(args.baseline).resolve())
    return args


async def main(args: argparse.Namespace) -> None:
    print(f"{args.runs} runs each, alternating; median (min–max)")
    sources = {"frontline": None, "echo": None}
    if args.baseline:
        sources["baseline"] = args.baseline
    results: dict[str, list[tuple[float | None, float, float]]] = {k: [] for k in sources}
    for _ in range(args.runs):
        for which, source in sources.items():
            results[which].append(await one_run(which, source))
    names = {
        "frontline": "python -m bot",
        "baseline": f"python -m bot from {args.baseline}",
        "echo": "bare aiogram bot (bench/echo_bot.py)",
    }
    for which, runs in results.items():
        name = names[which]
        lines = [r[0] for r in runs if r[0] is not None]
        first = f"first log line {describe(lines, 's')}, " if lines else ""
        print(
            f"{name}: {first}first getUpdates {describe([r[1] for r in runs], 's')}, "
            f"RSS then {describe([r[2] for r in runs], 'MB')}"
        )


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
