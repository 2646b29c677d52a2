"""Nothing is lost when the bot process is killed: `python -m bot` under SIGKILL, restarted.

Customers write and operators answer in bursts; in every burst the bot is killed with SIGKILL
at a different point of its relaying, and started again. Afterwards every customer message is
in its ticket's topic and every operator reply reached its customer. A message relayed at the
instant of a kill (its copy made, the bot dead before it could log it) may arrive twice; those
are counted and reported, and nothing else may be duplicated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.emulator import TelegramEmulator
from bot.sandbox.people import Customer, StaffGroup
from tests.bot_process import BotProcess

pytestmark = pytest.mark.slow

CUSTOMERS = 8
BURSTS = 12  # one SIGKILL per burst
CONCURRENCY = 4  # updates the bot handles at once


async def test_sigkill_loses_no_customer_message_and_no_operator_reply(
    tmp_path: Path,
    emulator: TelegramEmulator,
    staff: StaffGroup,
    make_customer: Callable[..., Customer],
    database_url: str,
) -> None:
    # 96 copies into one group: at Telegram's 20 a minute this would take five minutes, and
    # crash safety, not pacing, is what this test is about (tests/test_e2e_desk.py paces).
    emulator.limits = None
    bot = BotProcess.polling(
        tmp_path,
        emulator,
        staff.id,
        database_url,
        LOG_LEVEL="INFO",
        # Telegram's ~20 messages a minute per group would stretch this test to minutes.
        DELIVERY__GROUP_RATE_PER_MINUTE="0",
        CONCURRENCY=str(CONCURRENCY),
    )
    customers = [make_customer(f"Клиент{i}") for i in range(CUSTOMERS)]
    olga = staff.operator("Ольга")
    await bot.start()
    try:
        for customer in customers:
            customer.send("позовите оператора")
        threads = {}
        for i, customer in enumerate(customers):
            topic = await staff.new_topic(name=f"Клиент{i}", timeout=60)
            threads[customer.id] = topic.thread_id

        def copies() -> int:
            return len(emulator.calls_of("copyMessage"))

        for burst in range(BURSTS):
            start = copies()
            for i, customer in enumerate(customers):
                customer.send(f"вопрос {i}.{burst}")
                olga.says_in(threads[customer.id], f"ответ {i}.{burst}")
            # Kill at a different depth of each burst: after 1..2N of its copies.
            depth = (burst * 5) % (2 * CUSTOMERS) + 1
            await emulator.wait_until(
                lambda s=start, d=depth: copies() >= s + d, 60, f"burst {burst} relaying"
            )
            await bot.kill()
            await bot.start()

        def in_topic(i: int, customer: Customer) -> Counter[str]:
            texts = (m.get("text", "") for m in staff.topic_messages(threads[customer.id]))
            return Counter(t for t in texts if t.startswith(f"вопрос {i}."))

        def at_customer(i: int, customer: Customer) -> Counter[str]:
            return Counter(t for t in customer.texts() if t.startswith(f"ответ {i}."))

        def everything_arrived() -> bool:
            return all(
                len(in_topic(i, c)) == BURSTS and len(at_customer(i, c)) == BURSTS
                for i, c in enumerate(customers)
            )

        try:
            await emulator.wait_until(everything_arrived, 60, "every message to arrive")
        except AssertionError:
            missing = [
                (kind, i, b)
                for i, c in enumerate(customers)
                for kind, got in (("вопрос", in_topic(i, c)), ("ответ", at_customer(i, c)))
                for b in range(BURSTS)
                if f"{kind} {i}.{b}" not in got
            ]
            raise AssertionError(f"lost: {missing}") from None
        assert await bot.stop() == 0
    finally:
        await bot.close()

    duplicates = 0
    repeated: list[str] = []
    for i, customer in enumerate(customers):
        for kind, counts in (
            ("вопрос", in_topic(i, customer)),
            ("ответ", at_customer(i, customer)),
        ):
            assert set(counts) == {f"{kind} {i}.{b}" for b in range(BURSTS)}
            duplicates += sum(n - 1 for n in counts.values())
            repeated.extend(f"{text}×{n}" for text, n in counts.items() if n > 1)
    # Only a relay caught between its copy and its log entry by a kill repeats (Telegram has
    # no idempotent send: at-least-once is the promise). The outbox sends one message at a
    # time per lane — each customer's chat, each ticket's topic — so no kill may leave more
    # duplicates than there are lanes.
    assert duplicates <= BURSTS * 2 * CUSTOMERS, repeated
    print(
        f"\n{BURSTS} SIGKILLs, {BURSTS * CUSTOMERS * 2} relayed messages, "
        f"{duplicates} duplicated (in flight at a kill)"
    )
    assert bot.starts == BURSTS + 1
    assert "Traceback" not in bot.logs()


TICKETS = 6
OPENING_KILLS = 3


async def test_sigkill_while_tickets_are_being_opened_doubles_no_topic_unseen(
    tmp_path: Path,
    emulator: TelegramEmulator,
    staff: StaffGroup,
    make_customer: Callable[..., Customer],
    database_url: str,
) -> None:
    """Killed the instant Telegram has made a topic whose answer the bot has not had: the
    Bot API cannot list topics, so the next attempt makes another. Every ticket ends with
    one topic that has its card, and each empty leftover is named in that topic's warning."""
    emulator.limits = None
    emulator.latency["createforumtopic"] = 0.3  # Telegram made it; the answer is on its way
    bot = BotProcess.polling(
        tmp_path, emulator, staff.id, database_url, DELIVERY__GROUP_RATE_PER_MINUTE="0"
    )
    customers = [make_customer(f"Клиент{i}") for i in range(TICKETS)]

    def carded(topic: Any) -> bool:
        return bool(staff.topic_messages(topic.thread_id))

    await bot.start()
    try:
        for customer in customers:
            customer.send("позовите оператора")
        seen: set[int] = set()  # topics already caught empty (leftovers stay empty)

        def in_the_making() -> list[int]:
            return [
                t.thread_id for t in staff.topics() if not carded(t) and t.thread_id not in seen
            ]

        for _ in range(OPENING_KILLS):
            made = await emulator.wait_until(in_the_making, 60, "a topic in the making")
            await bot.kill()
            seen.update(made)
            await bot.start()

        def opened(i: int) -> list[Any]:
            return [t for t in staff.topics() if f"Клиент{i}" in t.name and carded(t)]

        def warned(leftover: Any) -> bool:
            """The carded topic of the leftover's name says the empty one is left over."""
            return any(
                "лишняя" in m.get("text", "") and leftover.name in m.get("text", "")
                for t in staff.topics()
                if t.name == leftover.name and carded(t)
                for m in staff.topic_messages(t.thread_id)
            )

        def settled() -> bool:
            leftovers = [t for t in staff.topics() if not carded(t)]
            return all(opened(i) for i in range(TICKETS)) and all(map(warned, leftovers))

        await emulator.wait_until(settled, 90, "every ticket's topic, card and warnings")
        assert await bot.stop() == 0
    finally:
        await bot.close()
    leftovers = [t for t in staff.topics() if not carded(t)]
    for i in range(TICKETS):
        assert len(opened(i)) == 1, f"ticket of Клиент{i} has {len(opened(i))} carded topics"
    print(f"\n{OPENING_KILLS} SIGKILLs while opening {TICKETS} tickets: {len(leftovers)} leftovers")
    assert "Traceback" not in bot.logs()
