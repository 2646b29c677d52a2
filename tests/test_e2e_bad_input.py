"""Bad input from outside, tried as an attacker or a stale client would: every callback is
answered (no spinning button) and nothing raises or reaches the errors router."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.sandbox.emulator import TelegramEmulator
from bot.sandbox.people import Customer, StaffGroup
from storage import quarantine
from storage.__main__ import main as storage_cli
from storage.models import Quarantined
from tests.conftest import Launch, RunningBot, refused_writes

HUGE = "9" * 58  # fills Telegram's 64 bytes of callback data with one number


@pytest.mark.parametrize(
    "data",
    [
        f"rate:{HUGE}:5",
        "rate:1:99",
        f"cbd:{HUGE}",
        "lang:de",
        "kb:../../etc",
        "handoff:<b>",
        "fb:delivery-terms:1",  # real data, on a message that has no such button
        "zzz",
        "",
    ],
)
async def test_a_forged_customer_callback_is_answered_and_harmless(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    emulator: TelegramEmulator,
    caplog: pytest.LogCaptureFixture,
    data: str,
) -> None:
    alice = make_customer()
    alice.send("/start")
    greeting = await alice.receives("Здравствуйте")
    with caplog.at_level(logging.ERROR):
        query = emulator.user_presses(alice.id, greeting, data)
        await emulator.wait_until(lambda: query in emulator.callback_answers, what="an answer")
        await bot.settled()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert alice.texts() == [greeting["text"]]  # nothing else said to her


@pytest.mark.parametrize("data", [f"tk:take:{HUGE}", "tk:delete:1", f"tc:1:{HUGE}", "tk:take:0"])
async def test_a_forged_operator_callback_is_answered_and_harmless(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
    caplog: pytest.LogCaptureFixture,
    data: str,
) -> None:
    alice = make_customer()
    alice.send("/operator")
    topic = await staff.new_topic(name="Алиса")
    card = await staff.receives_in(topic.thread_id, "Алиса")
    olga = staff.operator("Ольга")
    with caplog.at_level(logging.ERROR):
        query = emulator.user_presses(olga.id, card, data)
        await emulator.wait_until(lambda: query in emulator.callback_answers, what="an answer")
        await bot.settled()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_an_update_aiogram_cannot_parse_is_quarantined_and_the_next_customer_answered(
    launch: Launch,
    make_customer: Callable[..., Customer],
    emulator: TelegramEmulator,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    admin = make_customer("Админ")
    bot = await launch(admin_ids=[admin.id])
    # A message in a shape this aiogram does not know: no chat, a date that is not a time.
    bad = emulator._push_update("message", {"message_id": 1, "date": "yesterday", "text": "hi"})
    alice = make_customer()
    alice.send("/start")
    await alice.receives("Здравствуйте")
    notice = await admin.receives(f"Обновление {bad['update_id']} не удалось обработать")
    assert "python -m storage quarantine --replay" in notice["text"]
    await bot.settled()
    assert await asyncio.to_thread(storage_cli, ["quarantine", "--url", database_url]) == 0
    listing = capsys.readouterr().out
    assert str(bad["update_id"]) in listing and "cannot be parsed" in listing
    # Replayed, it still cannot be parsed: it stays, and the admin is not told again.
    replay = ["quarantine", "--url", database_url, "--replay", "all"]
    assert await asyncio.to_thread(storage_cli, replay) == 0
    assert await bot.app.inbox.replay() == 0
    await bot.settled()
    assert len([t for t in admin.texts() if "не удалось обработать" in t]) == 1
    async with bot.sessionmaker() as session:
        row = (await session.scalars(select(Quarantined))).one()
    assert row.attempts == 2 and not row.replay_requested and row.replayed_at is None


async def test_an_update_whose_handling_fails_is_quarantined_and_replayed_after_a_fix(
    launch: Launch,
    make_customer: Callable[..., Customer],
    emulator: TelegramEmulator,
) -> None:
    admin = make_customer("Админ")
    bot = await launch(admin_ids=[admin.id])
    alice = make_customer()
    alice.send("/start")
    await alice.receives("Здравствуйте")
    await bot.settled()  # /start committed: the fault below is the question's
    # A bug, say: the message's log row breaks a constraint, at every attempt.
    with refused_writes(
        bot.app.engine, 3, "IntegrityError", ("INSERT INTO MESSAGES",), "CHECK constraint"
    ) as fault:
        alice.send("сколько стоит доставка?")
        await alice.receives("Что-то пошло не так")
        await bot.settled()
    assert fault.left == 0
    await admin.receives("не удалось обработать (IntegrityError)")
    async with bot.sessionmaker() as session:
        assert await quarantine.request_replay(session, None) == 1
        await session.commit()
    assert await bot.app.inbox.replay() == 1
    answer = await alice.receives("доставк")
    assert "Что-то пошло не так" not in answer["text"]


async def test_an_update_that_fails_once_is_tried_again_and_answered(
    bot: RunningBot, make_customer: Callable[..., Customer]
) -> None:
    alice = make_customer()
    alice.send("/start")
    await alice.receives("Здравствуйте")
    await bot.settled()  # /start committed: the fault below is the question's
    with refused_writes(
        bot.app.engine, 1, "IntegrityError", ("INSERT INTO MESSAGES",), "CHECK constraint"
    ) as fault:
        alice.send("сколько стоит доставка?")
        await alice.receives("доставк")
        await bot.settled()
    assert fault.left == 0
    assert not [t for t in alice.texts() if "Что-то пошло не так" in t]
    async with bot.sessionmaker() as session:
        assert await quarantine.listing(session) == []


async def test_a_retried_update_answers_once(
    bot: RunningBot, make_customer: Callable[..., Customer]
) -> None:
    """The first attempt had its answer ready when its commit failed: the answer went with
    it, and the customer gets the second attempt's only."""
    alice = make_customer()
    alice.send("/start")
    await alice.receives("Здравствуйте")
    await bot.settled()
    with refused_writes(
        bot.app.engine, 1, "IntegrityError", ("INSERT INTO EVENTS",), "CHECK constraint"
    ) as fault:
        alice.send("сколько стоит доставка?")
        await alice.receives("доставк")
        await bot.settled()
    assert fault.left == 0
    assert len([t for t in alice.texts() if "Сроки и стоимость доставки" in t]) == 1


async def test_no_customer_text_in_any_log_line_even_through_faults(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    words = "фиолетовый-кенгуру-4711"
    alice = make_customer()
    olga = staff.operator("Ольга")
    with caplog.at_level(logging.DEBUG):
        alice.send(f"как оплатить {words}")
        await alice.receives("")
        emulator.fail("sendmessage", code=502, times=2)  # retried
        alice.send(f"/operator {words}")
        topic = await staff.new_topic(name="Алиса")
        olga.says_in(topic.thread_id, f"ответ {words}")
        await alice.receives(f"ответ {words}")
        # The database refuses the next message's row (a constraint, say): the error, its
        # statement and its parameters (the customer's words) must not reach the log.
        with refused_writes(
            bot.app.engine, 1, "IntegrityError", ("INSERT INTO MESSAGES",), "CHECK constraint"
        ) as fault:
            alice.send(f"ещё вопрос {words}")
            olga.says_in(topic.thread_id, f"/close {words}")
            await bot.settled()
    assert fault.left == 0 and any(r.exc_info for r in caplog.records), "the fault happened"
    assert words not in caplog.text


async def test_a_database_outage_loses_nothing_and_confirms_nothing(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The database refuses writes for a while (a full disk, a restarting server): the
    updates that met it are handled again once it is back, in order, each once."""
    alice = make_customer()
    olga = staff.operator("Ольга")
    alice.send("/operator")
    topic = await staff.new_topic(name="Алиса")
    olga.says_in(topic.thread_id, "Слушаю")
    await alice.receives("Слушаю")
    await bot.settled()

    with refused_writes(bot.app.engine, 3) as fault:
        alice.send("сообщение во время сбоя")
        alice.send("и ещё одно")
        await staff.receives_in(topic.thread_id, "и ещё одно", timeout=30)
        olga.says_in(topic.thread_id, "ответ после сбоя")
        await alice.receives("ответ после сбоя")
        await bot.settled()
    assert fault.left == 0, "the outage did happen"
    relayed = [m.get("text") for m in staff.topic_messages(topic.thread_id)]
    assert [t for t in relayed if t in ("сообщение во время сбоя", "и ещё одно")] == [
        "сообщение во время сбоя",
        "и ещё одно",
    ]
    assert any("not stored (OperationalError)" in r.getMessage() for r in caplog.records)
    # Stored, then the database fails while it is being handled: it waits, and is relayed
    # once the database is back, once.
    with refused_writes(bot.app.engine, 3, prefix=("INSERT INTO OUTBOX",)) as fault:
        alice.send("третье, пока база болеет")
        await staff.receives_in(topic.thread_id, "третье, пока база болеет", timeout=30)
        await bot.settled()
    assert fault.left == 0, "the outage did happen"
    assert any("the database is unavailable" in r.getMessage() for r in caplog.records)
    relayed = [m.get("text") for m in staff.topic_messages(topic.thread_id)]
    assert relayed.count("третье, пока база болеет") == 1
    assert not [t for t in alice.texts() if "сохран" in t.lower() or "saved" in t.lower()]
    healthy, body = await bot.app.health.check()
    assert healthy and body["checks"]["database"] == "ok"  # recovered
