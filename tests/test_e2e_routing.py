"""Several staff groups (issue "Routing"): a new ticket goes to the first group whose rules it
meets — the customer's language, the category of what they came with, the priority — else
to the default group; operators answer from whichever group holds the ticket, and act only
in the groups they are members of."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.sandbox.emulator import TelegramEmulator
from bot.sandbox.people import Customer, StaffGroup
from storage.models import Ticket
from tests.bot_process import BotProcess
from tests.conftest import FakeClock, Launch


async def test_tickets_go_by_language_and_category_and_are_answered_from_each_group(
    launch: Launch,
    emulator: TelegramEmulator,
    staff: StaffGroup,
    make_customer: Callable[..., Customer],
) -> None:
    english = StaffGroup(emulator, emulator.add_group("English desk", forum=True))
    payments = StaffGroup(emulator, emulator.add_group("Платежи", forum=True))
    await launch(
        staff_groups=[
            {"id": english.id, "name": "English", "languages": ["en"]},
            {"id": payments.id, "name": "Платежи", "categories": ["Оплата"]},
        ]
    )
    alice = make_customer("Алиса")
    john = make_customer("John", language_code="en")
    pavel = make_customer("Павел")
    olga, kate, ivan = staff.operator("Ольга"), english.operator("Kate"), payments.operator("Иван")

    alice.send("мне нужен живой человек")
    john.send("I want to talk to a human")
    pavel.send("у меня списали дважды за заказ, позовите оператора")
    main_topic = await staff.new_topic(name="Алиса")
    en_topic = await english.new_topic(name="John")
    pay_topic = await payments.new_topic(name="Павел")
    # Each ticket is in one group only.
    assert [len(g.topics()) for g in (staff, english, payments)] == [1, 1, 1]

    kate.says_in(en_topic.thread_id, "Hello John, how can I help?")
    await john.receives("Hello John, how can I help?")
    ivan.says_in(pay_topic.thread_id, "Вернём второе списание")
    await pavel.receives("Вернём второе списание")
    olga.says_in(main_topic.thread_id, "Слушаю вас")
    await alice.receives("Слушаю вас")
    john.send("my card was declined")
    await english.receives_in(en_topic.thread_id, "my card was declined")
    pavel.send("спасибо")
    await payments.receives_in(pay_topic.thread_id, "спасибо")

    # Olga is a member of the default group only: in the payments group (a crafted update,
    # say) she reaches nobody, however she got there.
    emulator.user_message(
        payments.id, olga.id, {"text": "я не отсюда"}, thread_id=pay_topic.thread_id
    )
    ivan.says_in(pay_topic.thread_id, "/close")
    await pavel.receives("закрыт")
    assert "я не отсюда" not in pavel.texts()


async def test_transfer_moves_the_ticket_and_its_dialog_to_another_group(
    launch: Launch,
    emulator: TelegramEmulator,
    staff: StaffGroup,
    make_customer: Callable[..., Customer],
) -> None:
    second = StaffGroup(emulator, emulator.add_group("Second line", forum=True))
    await launch(staff_groups=[{"id": second.id, "name": "Вторая линия", "priorities": ["urgent"]}])
    alice = make_customer("Алиса")
    olga, igor = staff.operator("Ольга"), second.operator("Игорь")
    alice.send("приложение вылетает при оплате")
    alice.send("/operator")
    topic = await staff.new_topic(name="Алиса")
    olga.says_in(topic.thread_id, "Сейчас уточню")
    await alice.receives("Сейчас уточню")
    alice.send("телефон samsung a52")
    await staff.receives_in(topic.thread_id, "телефон samsung a52")

    olga.says_in(topic.thread_id, "/transfer Линия")  # no such group: told the names
    await staff.receives_in(
        topic.thread_id, "Вторая линия", where=lambda m: "/transfer" in m["text"]
    )
    olga.says_in(topic.thread_id, "/transfer вторая линия нужен разработчик")
    moved = await second.new_topic(name="Алиса")
    card = second.topic_messages(moved.thread_id)[0]["text"]
    # The new group sees the whole dialog so far, and who moved it and why.
    assert "вылетает при оплате" in card and "samsung a52" in card and "Сейчас уточню" in card
    await second.receives_in(moved.thread_id, "нужен разработчик")
    # The old topic says where the ticket went, and is closed.
    await staff.receives_in(topic.thread_id, "Вторая линия")
    await emulator.wait_until(
        lambda: emulator.topics[(staff.id, topic.thread_id)].closed, 10, "the old topic closed"
    )

    alice.send("так что с оплатой?")
    await second.receives_in(moved.thread_id, "так что с оплатой?")
    igor.says_in(moved.thread_id, "Исправим сегодня")
    await alice.receives("Исправим сегодня")
    assert "так что с оплатой?" not in [
        m.get("text") for m in staff.topic_messages(topic.thread_id)
    ]
    # The customer noticed nothing of the move.
    assert not [t for t in alice.texts() if "передан" in t.lower() or "линия" in t.lower()]
    # The old card's buttons do nothing there now, and say so.
    old_card = staff.topic_messages(topic.thread_id)[0]
    query = olga.press(old_card, "Закрыть")
    await emulator.wait_until(lambda: query in emulator.callback_answers, what="an answer")
    assert "уже нет" in emulator.callback_answers[query]["text"]
    alice.send("вы ещё тут?")
    await second.receives_in(moved.thread_id, "вы ещё тут?")  # not closed
    # Written in the old topic, a reply reaches nobody, and says so.
    olga.says_in(topic.thread_id, "ещё тут?")
    await staff.receives_in(topic.thread_id, "не связана ни с одним обращением")
    assert "ещё тут?" not in alice.texts()


async def test_a_ticket_past_its_sla_moves_to_the_escalation_group_on_the_clock(
    launch: Launch,
    emulator: TelegramEmulator,
    staff: StaffGroup,
    make_customer: Callable[..., Customer],
    clock: FakeClock,
) -> None:
    second = StaffGroup(emulator, emulator.add_group("Second line", forum=True))
    bot = await launch(
        staff_groups=[{"id": second.id, "name": "Вторая линия"}], escalate_to="вторая линия"
    )
    alice = make_customer("Алиса")
    alice.send("Срочно позовите оператора, списали деньги дважды")
    topic = await staff.new_topic(name="Алиса")
    clock.advance(minutes=4)
    assert await bot.app.sla_watcher.check() == (1, 0)  # warned in its own group first
    assert second.topics() == []
    clock.advance(minutes=2)
    assert await bot.app.sla_watcher.check() == (0, 1)
    moved = await second.new_topic(name="Алиса")
    await second.receives_in(moved.thread_id, "нет первого ответа")
    await staff.receives_in(topic.thread_id, "Вторая линия")
    alice.send("алло?")
    await second.receives_in(moved.thread_id, "алло?")
    clock.advance(minutes=30)
    assert await bot.app.sla_watcher.check() == (0, 0)  # breached once, moved once
    assert len(second.topics()) == 1


async def test_the_cards_move_button_lists_the_other_groups(
    launch: Launch,
    emulator: TelegramEmulator,
    staff: StaffGroup,
    make_customer: Callable[..., Customer],
) -> None:
    english = StaffGroup(emulator, emulator.add_group("English desk", forum=True))
    await launch(staff_groups=[{"id": english.id, "name": "English", "languages": ["en"]}])
    alice = make_customer("Alice", language_code="ru")
    olga, kate = staff.operator("Ольга"), english.operator("Kate")
    alice.send("/operator")
    topic = await staff.new_topic(name="Alice")
    card = staff.topic_messages(topic.thread_id)[0]
    olga.press(card, "Передать")
    picker = await staff.receives_in(topic.thread_id, "Передать обращение #1")
    assert [b["text"] for row in picker["reply_markup"]["inline_keyboard"] for b in row] == [
        "English"
    ]
    olga.press(picker, "English")
    moved = await english.new_topic(name="Alice")
    # Pressed again (a second operator, a stale picker): nothing moves twice.
    olga.press(picker, "English")
    kate.says_in(moved.thread_id, "Hi Alice!")
    await alice.receives("Hi Alice!")
    assert len(english.topics()) == 1


async def test_python_m_bot_routes_by_env_staff_groups_alone(
    tmp_path: Path,
    emulator: TelegramEmulator,
    staff: StaffGroup,
    make_customer: Callable[..., Customer],
    database_url: str,
) -> None:
    """As a team installs it: STAFF_GROUPS and ESCALATE_TO in the environment, nothing else."""
    english = StaffGroup(emulator, emulator.add_group("English desk", forum=True))
    groups = [{"id": english.id, "name": "English", "languages": ["en"]}]
    bot = BotProcess.polling(
        tmp_path,
        emulator,
        staff.id,
        database_url,
        STAFF_GROUPS=json.dumps(groups),
        ESCALATE_TO="english",
    )
    john, alice = make_customer("John", language_code="en"), make_customer("Алиса")
    kate = english.operator("Kate")
    await bot.start()
    try:
        john.send("I need a human")
        alice.send("позовите оператора")
        topic = await english.new_topic(name="John", timeout=60)
        await staff.new_topic(name="Алиса", timeout=30)
        kate.says_in(topic.thread_id, "Hello John")
        await john.receives("Hello John", timeout=30)
        assert await bot.stop() == 0
    finally:
        await bot.close()
    assert [t.name for t in english.topics() if "Алиса" in t.name] == []


async def test_a_round_the_clock_line_keeps_its_own_hours_and_targets(
    launch: Launch,
    emulator: TelegramEmulator,
    staff: StaffGroup,
    make_customer: Callable[..., Customer],
    clock: FakeClock,
) -> None:
    """The desk works 09:00-21:00; the incidents line around the clock, urgent in 15 min."""
    incidents = StaffGroup(emulator, emulator.add_group("Incidents", forum=True))
    always = dict.fromkeys(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "00:00-24:00")
    await launch(
        staff_groups=[
            {
                "id": incidents.id,
                "name": "Инциденты",
                "priorities": ["urgent"],
                "working_hours": {"timezone": "Europe/Moscow", "days": always},
                "first_reply_minutes": {"urgent": 15},
            }
        ]
    )
    clock.current = datetime(2026, 12, 2, 23, 30, tzinfo=ZoneInfo("Europe/Moscow"))  # Wed night
    alice, bob = make_customer("Алиса"), make_customer("Борис")
    alice.send("срочно позовите оператора, сайт не работает")
    await alice.receives("обращение #1")
    bob.send("позовите оператора")
    await bob.receives("обращение #2")
    await bob.receives("завтра после 09:00")  # the desk answers in the morning
    topic = await incidents.new_topic(name="Алиса")
    card = incidents.topic_messages(topic.thread_id)[0]["text"]
    assert "02.12 23:45" in card  # 15 minutes, tonight (not the desk's 03.12 09:05)
    assert not [t for t in alice.texts() if "после 09:00" in t]  # the line is open


async def test_a_customer_writing_urgent_mid_ticket_raises_it_and_escalates(
    launch: Launch,
    emulator: TelegramEmulator,
    staff: StaffGroup,
    make_customer: Callable[..., Customer],
) -> None:
    second = StaffGroup(emulator, emulator.add_group("Second line", forum=True))
    bot = await launch(staff_groups=[{"id": second.id, "name": "Вторая"}], escalate_to="Вторая")
    alice = make_customer("Алиса")
    alice.send("позовите оператора")
    topic = await staff.new_topic(name="Алиса")
    alice.send("это срочно, у меня списали деньги!")
    await staff.receives_in(topic.thread_id, "это срочно")  # said where it was written
    moved = await second.new_topic(name="Алиса")
    await second.receives_in(moved.thread_id, "клиент пишет, что это срочно")
    card = second.topic_messages(moved.thread_id)[0]["text"]
    assert "срочный" in card and "это срочно" in card
    async with bot.sessionmaker() as session:
        ticket = await session.get(Ticket, 1)
        assert ticket is not None and ticket.priority == "urgent"
        due, opened = ticket.sla_due_at, ticket.opened_at
        assert due is not None and due - opened <= timedelta(minutes=5)
    alice.send("срочно же!")  # once urgent, nothing moves again
    await second.receives_in(moved.thread_id, "срочно же!")
    assert len(second.topics()) == 1
