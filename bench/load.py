"""Load: concurrent customers through the real bot (`python -m bot`) and the Bot API emulator.

    .venv/bin/pip install -e ".[dev,bench,postgres]"
    .venv/bin/python bench/load.py [--customers 200] [--messages 20] [--rate 60]
                                   [--database sqlite|postgres] [--bot frontline|echo]

The bot runs as its own process, exactly as deployed, configured by environment variables; this
process plays Telegram (the project's emulator) and the customers, who ask typical questions
(Russian and English: delivery, returns, payment, an order's status), all at once.

Two ways to load it. Closed loop (default): each customer writes again as soon as answered, so
the bot runs flat out and the figure is its capacity; by Little's law the time to reply is then
customers / throughput, whatever the bot does. Open loop (`--rate`): customers write at random
(Poisson) moments, so many messages a second in all, as real customers do; the time to reply is
then the bot's own plus the queueing its load causes. `--bot echo` runs bench/echo_bot.py, a
bare aiogram bot that answers every text: the floor set by aiogram, HTTP and this machine.

Printed: customer messages per second, time to the bot's reply (p50/p95/p99, from the update
being available to the bot's sendMessage arriving), the bot process's CPU time per message and
its peak resident memory, and this process's CPU time per message (the emulator and the
customers, who share the machine with the bot). With --database postgres a fresh database is created on
FRONTLINE_TEST_POSTGRES (scripts/test-services start prints it).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.sandbox.emulator import ChatState, TelegramEmulator  # noqa: E402
from tests.postgres import create_database, drop_database  # noqa: E402

QUESTIONS = [
    "сколько стоит доставка?",
    "как вернуть товар",
    "какие способы оплаты есть",
    "где мой заказ 123456?",
    "how much is shipping",
    "can I return an item",
    "do you accept credit cards",
    "status of order 5512378",
]


class TimedEmulator(TelegramEmulator):
    """Resolves a customer's waiting future on the bot's first message to their chat."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting: dict[int, asyncio.Future[float]] = {}

    def _bot_sends(self, state: ChatState, params: Any, content: Any) -> Any:
        sent = super()._bot_sends(state, params, content)
        future = self.waiting.pop(state.chat["id"], None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())
        return sent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def run(
    customers: int, messages: int, database: str, echo: bool, rate: float | None
) -> dict[str, float]:
    emulator = TimedEmulator()
    await emulator.start()
    group = emulator.add_group("Support desk", forum=True)
    workdir = Path(tempfile.mkdtemp(prefix="frontline-load-"))
    if database == "postgres":
        server = os.environ.get("FRONTLINE_TEST_POSTGRES")
        if not server:
            raise SystemExit("set FRONTLINE_TEST_POSTGRES (scripts/test-services start prints it)")
        url = await create_database(server, "bench")
    else:
        url = f"sqlite+aiosqlite:///{workdir / 'load.db'}"
    # DELIVERY__* passes through: DELIVERY__OVERALL_PER_SECOND=0 DELIVERY__PRIVATE_PER_SECOND=0
    # measure the bot's capacity rather than Telegram's caps, which the bot keeps by default.
    env = {
        k: v
        for k, v in os.environ.items()
        if k in ("PATH", "HOME", "LANG") or k.startswith("DELIVERY__")
    }
    env.update(
        BOT_TOKEN=emulator.token,
        TELEGRAM_API_URL=emulator.base_url,
        STAFF_CHAT_ID=str(group["id"]),
        DATABASE_URL=url,
        POLLING_TIMEOUT="10",
        SERVER__PORT="0",
        LOG_LEVEL="WARNING",
    )
    log = (workdir / "bot.log").open("wb")
    command = [str(ROOT / "bench" / "echo_bot.py")] if echo else ["-m", "bot"]
    env["PYTHONPATH"] = str(ROOT)
    process = await asyncio.create_subprocess_exec(
        sys.executable, *command, cwd=workdir, env=env, stdout=log, stderr=log
    )
    bot = psutil.Process(process.pid)
    users = [emulator.add_user(f"Customer{i}", language_code="ru") for i in range(customers)]
    peak_rss = 0

    async def ask(user: dict[str, Any], text: str) -> float:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[float] = loop.create_future()
        emulator.waiting[user["id"]] = future
        started = time.perf_counter()
        emulator.user_message(user["id"], user["id"], {"text": text})
        return await asyncio.wait_for(future, 60) - started

    try:
        # Warm-up: every customer says hello once (customer rows, first contact).
        await asyncio.gather(*(ask(u, "/start") for u in users))
        cpu_before = sum(bot.cpu_times()[:2])
        own_before = time.process_time()
        if os.environ.get("LOAD_PROFILE"):  # py-spy (on PATH): the bot's CPU after warm-up, 20 s
            await asyncio.create_subprocess_exec(
                "py-spy",
                "record",
                "-p",
                str(process.pid),
                "-o",
                os.environ["LOAD_PROFILE"],
                "-f",
                "raw",
                "-d",
                "20",
                "--gil",
            )
        latencies: list[float] = []

        # Open loop: one Poisson stream of `rate` messages a second, dealt to the customers in
        # turn (a customer still waiting for an answer writes again once it has come).
        gaps = random.Random(0)
        arrivals = list(
            itertools.accumulate(gaps.expovariate(rate) for _ in range(customers * messages))
            if rate
            else []
        )

        async def customer(i: int, user: dict[str, Any]) -> None:
            nonlocal peak_rss
            for n in range(messages):
                if rate:
                    due = started + arrivals[n * customers + i]
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                latencies.append(await ask(user, QUESTIONS[(i + n) % len(QUESTIONS)]))
                if n % 5 == 0:
                    peak_rss = max(peak_rss, bot.memory_info().rss)

        started = time.perf_counter()
        await asyncio.gather(*(customer(i, u) for i, u in enumerate(users)))
        wall = time.perf_counter() - started
        cpu = sum(bot.cpu_times()[:2]) - cpu_before
        own = time.process_time() - own_before
        peak_rss = max(peak_rss, bot.memory_info().rss)
    finally:
        process.terminate()
        await process.wait()
        log.close()
        await emulator.stop()
        if database == "postgres":
            await drop_database(url)
    total = customers * messages
    return {
        "messages": total,
        "per_second": total / wall,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
        "cpu_ms_per_message": cpu / total * 1000,
        "harness_cpu_ms_per_message": own / total * 1000,
        "peak_rss_mb": peak_rss / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--messages", type=int, default=20, help="per customer")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--rate",
        type=float,
        help="open loop: messages a second offered by all customers together (Poisson); "
        "default: closed loop, each customer writes again as soon as answered",
    )
    parser.add_argument(
        "--bot",
        choices=["frontline", "echo"],
        default="frontline",
        help="echo: bench/echo_bot.py, the floor aiogram itself sets",
    )
    args = parser.parse_args()
    echo = args.bot == "echo"
    result = asyncio.run(run(args.customers, args.messages, args.database, echo, args.rate))
    offered = f", offered {args.rate:g}/s" if args.rate else ", closed loop"
    print(
        f"{'echo bot' if echo else args.database}{offered}: {args.customers} customers × {args.messages} messages = "
        f"{result['messages']} messages"
    )
    print(f"  throughput           {result['per_second']:8.1f} messages/s")
    print(
        f"  time to reply        p50 {result['p50_ms']:.1f} ms · p95 {result['p95_ms']:.1f} ms"
        f" · p99 {result['p99_ms']:.1f} ms (mean {result['mean_ms']:.1f} ms)"
    )
    print(f"  bot CPU per message  {result['cpu_ms_per_message']:.2f} ms")
    # The emulator and the customers share the machine's other core.
    print(f"  emulator + customers {result['harness_cpu_ms_per_message']:.2f} ms CPU per message")
    print(f"  bot peak memory      {result['peak_rss_mb']:.0f} MB RSS")


if __name__ == "__main__":
    main()
