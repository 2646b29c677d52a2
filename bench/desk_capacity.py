"""Desk capacity: customers with open tickets writing, operators answering, under Telegram's limits.

    .venv/bin/python bench/desk_capacity.py [--customers 6] [--interval 20] [--duration 120]
                                            [--reply-after 3] [--groups 1,2,3] [--baseline DIR]

The real bot (`python -m bot`, environment variables only, SQLite) polls the project's Bot API
emulator with Telegram's flood limits enforced (bot/sandbox/limits.py: 20 calls a minute per
group, sends, edits and topic operations together; about one a second per private chat; 30 a
second in all), answering 429 with `retry_after` past them.

Each customer opens a ticket (a question, then /operator), an operator takes it by answering;
then for `--duration` seconds every customer writes every `--interval` seconds (staggered), and
the operator answers each message `--reply-after` seconds after it reaches the topic.

Printed: customer messages relayed into the topics per minute (in the measured phase), relay
delay from the customer's send to the copy in the topic (p50/p90/max), messages still missing
when the run ends, operator replies delivered, the 429s the bot received, the group's calls by
kind, and how long the cards and topic names took to show the final state after the last
message. `--baseline DIR` runs the same against the bot of another checkout (a `git worktree`
of an earlier commit), first, in the same run.

`--groups 1,2,3` runs the scenario with that many staff groups in turn, `--customers` per
group: the default group takes Russian customers, a second one English customers
(`languages: [en]`), a third urgent tickets (`priorities: [urgent]`, the customers write
«срочно»). Printed per group, and how the content carried scales against one group.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.sandbox.emulator import TelegramEmulator  # noqa: E402
from bot.sandbox.limits import Limits  # noqa: E402

JSON = dict[str, Any]
QUIET = 65.0


class Observed(TelegramEmulator):
    """Stamps when each customer message's copy lands in the staff group."""

    def __init__(self) -> None:
        super().__init__(limits=Limits())
        self.arrived: dict[str, float] = {}  # text -> when its copy reached the group
        self.answered: dict[str, float] = {}  # operator's text -> when it reached the customer
        self.last_group_call = 0.0
        self.last_edit = 0.0

    async def api_editmessagetext(self, params: JSON) -> JSON:
        self.last_edit = time.perf_counter()
        return await super().api_editmessagetext(params)

    async def api_editforumtopic(self, params: JSON) -> bool:
        self.last_edit = time.perf_counter()
        return await super().api_editforumtopic(params)

    def _store(self, chat_id: int, sender: JSON, content: JSON, **kwargs: Any) -> JSON:
        stored = super()._store(chat_id, sender, content, **kwargs)
        text = str(content.get("text") or "")
        if sender is not None and sender.get("id") == self.bot_user["id"]:
            if chat_id < 0:
                self.last_group_call = time.perf_counter()
            book = self.arrived if chat_id < 0 else self.answered
            book.setdefault(text, time.perf_counter())
        return stored


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


# Per staff group: its rule (as STAFF_GROUPS has it), its customers' language and first words.
KINDS = [
    (None, "ru", "нужна помощь с заказом"),
    ({"name": "English", "languages": ["en"]}, "en", "I need help with my order"),
    ({"name": "Срочные", "priorities": ["urgent"]}, "ru", "срочно нужна помощь с заказом"),
]


async def run(source: Path, args: argparse.Namespace, n_groups: int = 1) -> JSON:
    emulator = Observed()
    await emulator.start()
    groups = [emulator.add_group(f"Desk {k}", forum=True) for k in range(n_groups)]
    operators = [emulator.add_user(f"Оператор{k}", language_code="ru") for k in range(n_groups)]
    for group, operator in zip(groups, operators, strict=True):
        emulator.join(group["id"], operator["id"])
    rules = [{"id": group["id"], **KINDS[k][0]} for k, group in enumerate(groups) if KINDS[k][0]]
    workdir = Path(tempfile.mkdtemp(prefix="frontline-desk-"))
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(
        BOT_TOKEN=emulator.token,
        TELEGRAM_API_URL=emulator.base_url,
        STAFF_CHAT_ID=str(groups[0]["id"]),
        STAFF_GROUPS=json.dumps(rules),
        DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'desk.db'}",
        POLLING_TIMEOUT="10",
        SERVER__PORT="0",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(source),
    )
    log = (workdir / "bot.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=source, env=env, stdout=log, stderr=log
    )
    kind: dict[int, int] = {}  # customer id -> their group's index

    def new_customer(number: int, k: int) -> JSON:
        user = emulator.add_user(f"Клиент{number}", language_code=KINDS[k][1])
        kind[user["id"]] = k
        return user

    def ask_for_operator(user: JSON, first: str | None = None) -> None:
        emulator.user_message(user["id"], user["id"], {"text": first or KINDS[kind[user["id"]]][2]})
        emulator.user_message(user["id"], user["id"], {"text": "/operator"})

    users = [new_customer(i, i % n_groups) for i in range(args.customers * n_groups)]
    sent: dict[str, float] = {}
    threads: dict[int, int] = {}  # customer id -> topic
    replies: list[asyncio.Task[None]] = []

    def topic_of(user: JSON) -> int | None:
        for topic in emulator.topics.values():
            if re.search(rf"{user['first_name']}\b", topic.name) and not topic.deleted:
                return topic.thread_id
        return None

    async def reply_later(user: JSON, text: str) -> None:
        await emulator.wait_until(lambda: text in emulator.arrived, 600, f"copy of {text}")
        await asyncio.sleep(args.reply_after)
        answer = f"ответ на {text}"
        sent[answer] = time.perf_counter()
        k = kind[user["id"]]
        emulator.user_message(
            groups[k]["id"], operators[k]["id"], {"text": answer}, thread_id=threads[user["id"]]
        )

    try:
        # Opening: every ticket and its first reply (taken), before the measured phase.
        for user in users:
            ask_for_operator(user)
        for user in users:
            threads[user["id"]] = await emulator.wait_until(
                lambda u=user: topic_of(u), 300, "a topic"
            )
        for user in users:
            text = f"{user['first_name']}: привет"
            emulator.user_message(user["id"], user["id"], {"text": text})
            replies.append(asyncio.create_task(reply_later(user, text)))
        await asyncio.gather(*replies)
        replies.clear()
        await emulator.wait_until(
            lambda: all(f"ответ на {u['first_name']}: привет" in emulator.answered for u in users),
            300,
            "the first answers",
        )
        # Measured from a clear budget: the group's window forgets the opening's calls.
        await asyncio.sleep(max(0.0, 61.0 - (time.perf_counter() - emulator.last_group_call)))
        calls_before = len(emulator.calls)
        assert emulator.limits is not None
        refused_before = emulator.limits.refused_in.copy()

        started = time.perf_counter()
        texts: list[str] = []
        group_of_text: dict[str, int] = {}
        openings: list[float] = []  # from /operator to the topic, for tickets opened meanwhile
        names = itertools.count(len(users))

        async def customer(i: int, user: JSON) -> None:
            await asyncio.sleep(args.interval * i / len(users))
            n = 0
            while time.perf_counter() - started < args.duration:
                n += 1
                text = f"{user['first_name']}: вопрос {n}"
                texts.append(text)
                group_of_text[text] = kind[user["id"]]
                sent[text] = time.perf_counter()
                emulator.user_message(user["id"], user["id"], {"text": text})
                reply = asyncio.create_task(reply_later(user, text))
                replies.append(reply)
                await asyncio.sleep(args.interval)
                if args.churn and n == args.churn:
                    await reply
                    # The operator closes the ticket, a new customer takes the place.
                    k = kind[user["id"]]
                    emulator.user_message(
                        groups[k]["id"],
                        operators[k]["id"],
                        {"text": "/close"},
                        thread_id=threads[user["id"]],
                    )
                    user = new_customer(next(names), k)
                    opened = time.perf_counter()
                    ask_for_operator(user)
                    threads[user["id"]] = await emulator.wait_until(
                        lambda u=user: topic_of(u), 300, "a topic"
                    )
                    openings.append(time.perf_counter() - opened)
                    n = 0

        await asyncio.gather(*(customer(i, u) for i, u in enumerate(users)))
        last_sent = max(sent[t] for t in texts)
        # Let the backlog drain (within a limit), then the cosmetic updates settle.
        await asyncio.wait(replies, timeout=args.drain)
        relayed = [t for t in texts if t in emulator.arrived]
        answers = [f"ответ на {t}" for t in relayed]
        await emulator.wait_until(
            lambda: all(a in emulator.answered for a in answers if a in sent), args.drain, "answers"
        )
        quiet_from = time.perf_counter()
        # Cosmetic updates converge: no card or topic edit for QUIET seconds (past a full
        # window of the group's budget, so a paced edit would have come).
        while (left := QUIET - (time.perf_counter() - max(emulator.last_edit, quiet_from))) > 0:
            await emulator.changed(left)
        converged = max(0.0, emulator.last_edit - last_sent)
    finally:
        for task in replies:
            task.cancel()
        process.terminate()
        await process.wait()
        log.close()
        await emulator.stop()

    ids = [str(g["id"]) for g in groups]
    group_calls = collections.Counter(
        c.method for c in emulator.calls[calls_before:] if str(c.params.get("chat_id")) in ids
    )
    calls_by_group = collections.Counter(
        str(c.params.get("chat_id"))
        for c in emulator.calls[calls_before:]
        if str(c.params.get("chat_id")) in ids
    )
    delays = [emulator.arrived[t] - sent[t] for t in relayed]
    # Sustained: what reached the groups within the phase customers were writing.
    in_phase = [t for t in relayed if emulator.arrived[t] - started <= args.duration]
    per_group = [
        {
            "relayed_per_minute": sum(1 for t in in_phase if group_of_text[t] == k)
            / args.duration
            * 60,
            "calls": calls_by_group[ids[k]],
            "refused": emulator.limits.refused_in[groups[k]["id"]]
            - refused_before[groups[k]["id"]],
        }
        for k in range(n_groups)
    ]
    return {
        "groups": per_group,
        "offered_per_minute": len(texts) / args.duration * 60,
        "relayed_per_minute": len(in_phase) / args.duration * 60,
        "openings": openings,
        "messages": len(texts),
        "relayed": len(relayed),
        "missing": len(texts) - len(relayed),
        "answers": sum(1 for a in answers if a in emulator.answered),
        "p50": percentile(delays, 0.5),
        "p90": percentile(delays, 0.9),
        "max": max(delays, default=float("nan")),
        "refused_group": sum(g["refused"] for g in per_group),
        "refused": emulator.limits.refused - sum(refused_before.values()),
        "group_calls": dict(group_calls.most_common()),
        "converged": converged,
    }


def report(name: str, r: JSON) -> None:
    print(f"{name}:")
    print(
        f"  customer messages    offered {r['offered_per_minute']:.1f}/min, relayed "
        f"{r['relayed_per_minute']:.1f}/min reached the group while they wrote ({r['relayed']} "
        f"of {r['messages']} in the end, {r['missing']} missing)"
    )
    print(
        f"  relay delay          p50 {r['p50']:.2f} s · p90 {r['p90']:.2f} s · max {r['max']:.2f} s"
    )
    print(f"  operator replies     {r['answers']} delivered")
    if r["openings"]:
        o = r["openings"]
        print(
            f"  tickets opened       {len(o)} meanwhile, topic after p50 {percentile(o, 0.5):.1f} s"
            f" · max {max(o):.1f} s"
        )
    print(f"  429s received        {r['refused']} ({r['refused_group']} in the group)")
    calls = ", ".join(f"{k} {v}" for k, v in r["group_calls"].items())
    print(f"  group calls          {sum(r['group_calls'].values())}: {calls}")
    print(f"  cards, topic names   last edit {r['converged']:.1f} s after the last message")
    if len(r["groups"]) > 1:
        for k, g in enumerate(r["groups"]):
            print(
                f"  group {k}              relayed {g['relayed_per_minute']:.1f}/min, "
                f"{g['calls']} calls, {g['refused']} 429s"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=6)
    parser.add_argument("--interval", type=float, default=20.0, help="seconds between messages")
    parser.add_argument("--duration", type=float, default=120.0, help="measured phase, seconds")
    parser.add_argument("--reply-after", type=float, default=3.0, help="operator's delay")
    parser.add_argument(
        "--churn",
        type=int,
        default=0,
        help="close each ticket after this many messages, a new customer opening the next",
    )
    parser.add_argument("--drain", type=float, default=180.0, help="max wait for the backlog")
    parser.add_argument("--baseline", help="a checkout of another build to measure first")
    parser.add_argument(
        "--groups", default="1", help="staff groups, or several counts to run in turn: 1,2,3"
    )
    args = parser.parse_args()
    counts = [int(n) for n in args.groups.split(",")]
    if not all(1 <= n <= len(KINDS) for n in counts):
        parser.error(f"--groups: each count from 1 to {len(KINDS)}")
    print(
        f"{args.customers} customers per group, one message each every {args.interval:g} s for "
        f"{args.duration:g} s; the operator answers each after {args.reply_after:g} s"
    )
    if args.baseline:
        report(f"baseline ({args.baseline})", asyncio.run(run(Path(args.baseline).resolve(), args)))
    one: float | None = None
    for n in counts:
        result = asyncio.run(run(ROOT, args, n))
        report(f"now, {n} staff group{'s' if n > 1 else ''}", result)
        carried = result["relayed_per_minute"]
        if n == 1:
            one = carried
        elif one:
            print(
                f"  scaling              {carried / one:.2f}× one group ({carried / one / n:.2f} of {n}×)"
            )


if __name__ == "__main__":
    main()
