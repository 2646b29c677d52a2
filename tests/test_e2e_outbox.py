"""Nothing lost on the way out: relays are queued in the database with the change that causes
them and sent by the outbox, through 429s, Bot API outages and restarts, in order; what
cannot be delivered is told to the side that wrote it. Time moves on the injected clock."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.sandbox.emulator import TelegramEmulator
from bot.sandbox.people import Customer, StaffGroup
from storage.models import Outbox, OutboxState
from tests.conftest import FakeClock, Launch, RunningBot
from tests.test_e2e_desk import open_ticket


async def rows(bot: RunningBot) -> list[Outbox]:
    async with bot.sessionmaker() as session:
        return list(await session.scalars(select(Outbox).order_by(Outbox.id)))


def copies_to(emulator: TelegramEmulator, chat_id: int) -> list[str]:
    return [m.get("text", "") for m in emulator.chat_messages(chat_id, from_bot=True)]


@pytest.mark.parametrize("refusals", [3, pytest.param(20, marks=pytest.mark.slow)])
async def test_429s_on_an_operators_reply_delay_it_but_never_drop_it(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
    refusals: int,
) -> None:
    alice = make_customer()
    olga = staff.operator("Ольга")
    topic = await open_ticket(alice, staff)
    emulator.fail("copyMessage", code=429, retry_after=1, times=refusals)
    olga.says_in(topic.thread_id, "первый ответ")
    olga.says_in(topic.thread_id, "второй ответ")
    await alice.receives("второй ответ", timeout=refusals + 10)
    await bot.settled()
    texts = copies_to(emulator, alice.id)
    assert texts.count("первый ответ") == 1 and texts.count("второй ответ") == 1
    assert texts.index("первый ответ") < texts.index("второй ответ")


async def test_a_bot_api_outage_on_a_reply_delivers_it_after_in_order(
    launch: Launch,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
    clock: FakeClock,
) -> None:
    bot = await launch(delivery={"max_attempts": 1})
    alice = make_customer()
    olga = staff.operator("Ольга")
    topic = await open_ticket(alice, staff)
    emulator.fail("copyMessage", code=502, description="Bad Gateway", times=4)
    olga.says_in(topic.thread_id, "ответ во время сбоя")
    olga.says_in(topic.thread_id, "и ещё один")
    await bot.settled()
    assert "ответ во время сбоя" not in copies_to(emulator, alice.id)
    # The relayed replies (the bot's own "request #1" reply went out before the outage).
    waiting = [r for r in await rows(bot) if r.chat_id == alice.id and r.method == "CopyMessage"]
    assert [r.state for r in waiting] == [OutboxState.PENDING, OutboxState.PENDING]
    for _ in range(4):  # the outage lasts; each retry waits longer, on the clock
        clock.advance(minutes=15)
        bot.app.outbox.wake()
        await bot.settled()
    await alice.receives("и ещё один")
    texts = copies_to(emulator, alice.id)
    assert texts.count("ответ во время сбоя") == 1 and texts.count("и ещё один") == 1
    assert texts.index("ответ во время сбоя") < texts.index("и ещё один")
    assert not any("Не удалось" in t for t in copies_to(emulator, staff.id))


async def test_an_outage_longer_than_a_day_is_told_to_the_operator_in_the_topic(
    launch: Launch,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
    clock: FakeClock,
) -> None:
    bot = await launch(delivery={"max_attempts": 1, "give_up_after_hours": 24})
    alice = make_customer()
    olga = staff.operator("Ольга")
    topic = await open_ticket(alice, staff)
    emulator.fail("copyMessage", code=502, description="Bad Gateway", times=1000)
    olga.says_in(topic.thread_id, "ответ, который не дойдёт")
    await bot.settled()
    clock.advance(hours=25)
    bot.app.outbox.wake()
    notice = await staff.receives_in(topic.thread_id, "Не удалось доставить сообщение клиенту")
    assert "Bad Gateway" in notice["text"]
    relayed = [r for r in await rows(bot) if r.chat_id == alice.id and r.method == "CopyMessage"]
    assert [r.state for r in relayed] == [OutboxState.FAILED]


async def test_a_customers_message_that_cannot_reach_the_topic_is_told_to_the_customer(
    launch: Launch,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
    clock: FakeClock,
) -> None:
    bot = await launch(delivery={"max_attempts": 1, "give_up_after_hours": 1})
    alice = make_customer()
    await open_ticket(alice, staff)
    emulator.fail("copyMessage", code=503, description="Service Unavailable", times=1000)
    alice.send("где мой заказ?")
    await bot.settled()
    assert not any("Не удалось" in t for t in alice.texts())  # not yet: it is retried
    clock.advance(hours=2)
    bot.app.outbox.wake()
    await alice.receives("не удалось передать оператору")


async def test_a_reply_queued_before_a_restart_is_sent_after_it_once(
    launch: Launch,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
    clock: FakeClock,
) -> None:
    first = await launch(delivery={"max_attempts": 1})
    alice = make_customer()
    olga = staff.operator("Ольга")
    topic = await open_ticket(alice, staff)
    emulator.fail("copyMessage", code=502, description="Bad Gateway", times=1000)
    olga.says_in(topic.thread_id, "ответ до перезапуска")
    await first.settled()
    first.app.stop()
    await first.task
    await first.app.close()
    emulator.failures.clear()  # Telegram is back while the bot is down
    clock.advance(minutes=10)
    second = await launch()
    await alice.receives("ответ до перезапуска")
    await second.settled()
    assert copies_to(emulator, alice.id).count("ответ до перезапуска") == 1


async def test_the_customer_is_answered_while_the_topic_waits_for_telegram(
    launch: Launch,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
    clock: FakeClock,
) -> None:
    bot = await launch(delivery={"max_attempts": 1})
    alice = make_customer()
    emulator.fail("createForumTopic", code=502, description="Bad Gateway", times=2)
    alice.send("/operator")
    await alice.receives("обращение #1")
    alice.send("мой заказ 12345 так и не пришёл")
    await bot.settled()
    assert staff.topics() == []
    for _ in range(2):  # the outage lasts; the topic is tried again later, on the clock
        clock.advance(minutes=15)
        bot.app.outbox.wake()
        await bot.settled()
    topic = await staff.new_topic(name="Алиса")
    await staff.receives_in(topic.thread_id, "12345")
    # A 502 cannot say whether Telegram made the topic first: the operators are warned.
    card, copy, note = staff.topic_messages(topic.thread_id)
    assert "Обращение #1" in card["text"] and "12345" not in card["text"]
    assert "лишняя" in note["text"]
    assert copy["text"] == "мой заказ 12345 так и не пришёл"
    assert len(staff.topics()) == 1


async def test_a_topic_telegram_refuses_is_told_to_the_customer_and_tried_again(
    launch: Launch,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
) -> None:
    await launch(delivery={"max_attempts": 1})
    alice = make_customer()
    emulator.fail(
        "createForumTopic",
        code=400,
        description="Bad Request: not enough rights to create a topic",
        times=1,
    )
    alice.send("/operator")
    await alice.receives("обращение #1")
    await alice.receives("Не удалось сейчас связаться с операторами")
    alice.send("/operator")  # the admins gave the right meanwhile
    await staff.new_topic(name="Алиса")
    assert len(staff.topics()) == 1


async def test_a_topic_made_without_an_answer_is_pointed_out_to_the_operators(
    launch: Launch,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
    clock: FakeClock,
) -> None:
    """Telegram made the topic but its answer was lost on the way back. The Bot API cannot
    list a group's topics, so the bot cannot find it: the topic of the next attempt says
    that an empty one of the same name is a leftover, and the dialog goes on there."""
    bot = await launch()
    alice = make_customer()
    emulator.fail("createForumTopic", code=502, description="Bad Gateway", after=True)
    alice.send("/operator")
    await alice.receives("обращение #1")
    await bot.settled()
    [leftover] = staff.topics()  # made once: a call without an answer is not repeated at once
    assert staff.topic_messages(leftover.thread_id) == []
    clock.advance(minutes=1)  # the outbox tries again, on the clock
    bot.app.outbox.wake()
    await bot.settled()
    topic = await staff.new_topic(name="Алиса")
    assert topic.thread_id != leftover.thread_id and len(staff.topics()) == 2
    note = await staff.receives_in(topic.thread_id, "лишняя")
    assert leftover.name in note["text"]
    alice.send("вы тут?")
    await staff.receives_in(topic.thread_id, "вы тут?")
    assert staff.topic_messages(leftover.thread_id) == []


async def test_a_refused_topic_leaves_no_doubt(
    launch: Launch,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
) -> None:
    """A refusal (400) made no topic: the next one carries no leftover warning."""
    await launch(delivery={"max_attempts": 1})
    alice = make_customer()
    emulator.fail("createForumTopic", code=400, description="Bad Request: CHAT_ADMIN_REQUIRED")
    alice.send("/operator")
    await alice.receives("Не удалось сейчас связаться с операторами")
    alice.send("/operator")
    topic = await staff.new_topic(name="Алиса")
    alice.send("ещё тут")
    await staff.receives_in(topic.thread_id, "ещё тут")
    texts = [m.get("text", "") for m in staff.topic_messages(topic.thread_id)]
    assert not [t for t in texts if "лишняя" in t]
