"""The operator desk as operators and customers meet it: every content type both ways, albums,
edits, replies, Take, notes, /kb, bans, lost topics, a group without topics, Telegram's limits,
SLA and working hours on a controllable clock, CSAT."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.middlewares.locks import TicketLockMiddleware
from bot.sandbox.emulator import JSON, TelegramEmulator
from bot.sandbox.people import Customer, Operator, StaffGroup, buttons
from handoff.sla import SlaWatcher
from storage.models import Contact, Event, Ticket, TicketStatus
from storage.models import Customer as CustomerRow
from tests.conftest import FakeClock, Launch, RunningBot


async def open_ticket(customer: Customer, staff: StaffGroup, first: str = "/operator") -> Any:
    customer.send(first)
    await customer.receives(where=lambda m: "#" in (m.get("text") or ""))
    return await staff.new_topic(name=customer.name)


def media(emulator: TelegramEmulator, kind: str, file_id: str) -> JSON:
    return {kind: emulator._media_object(kind, file_id)}


def kinds(messages: list[JSON]) -> list[str]:
    found = []
    for m in messages:
        for key in (
            "text",
            "photo",
            "video",
            "document",
            "voice",
            "audio",
            "sticker",
            "location",
            "contact",
            "animation",
            "video_note",
        ):
            if key in m:
                found.append(key)
                break
    return found


async def events_of(bot: RunningBot, kind: str) -> list[Event]:
    await bot.settled()
    async with bot.sessionmaker() as session:
        return list((await session.scalars(select(Event).where(Event.type == kind))).all())


async def test_every_content_type_both_ways_and_albums_together(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
) -> None:
    alice = make_customer()
    olga = staff.operator("Ольга")
    topic = await open_ticket(alice, staff)
    thread = topic.thread_id

    contents: list[JSON] = [
        {"text": "текст"},
        {**media(emulator, "photo", "ph-1"), "caption": "фото с подписью"},
        media(emulator, "video", "vid-1"),
        media(emulator, "document", "doc-1"),
        media(emulator, "voice", "voice-1"),
        media(emulator, "audio", "audio-1"),
        media(emulator, "sticker", "st-1"),
        {"location": {"latitude": 55.75, "longitude": 37.62}},
        {"contact": {"phone_number": "+79161234567", "first_name": "Алиса"}},
    ]
    for content in contents:
        alice.send_content(content)
    await emulator.wait_until(
        lambda: len(staff.topic_messages(thread)) >= 1 + len(contents), what="relay to staff"
    )
    relayed = staff.topic_messages(thread)[1:]
    assert kinds(relayed) == [
        "text",
        "photo",
        "video",
        "document",
        "voice",
        "audio",
        "sticker",
        "location",
        "contact",
    ]
    assert relayed[1]["caption"] == "фото с подписью"

    # An album of three photos arrives as one album, in order.
    for index in range(3):
        alice.send_content({**media(emulator, "photo", f"alb-{index}"), "media_group_id": "A1"})
    await emulator.wait_until(
        lambda: len(staff.topic_messages(thread)) >= 4 + len(contents), what="album relay"
    )
    album = staff.topic_messages(thread)[-3:]
    assert len({m.get("media_group_id") for m in album}) == 1 and album[0].get("media_group_id")
    assert [m["photo"][0]["file_id"] for m in album] == ["alb-0", "alb-1", "alb-2"]
    assert len(emulator.calls_of("copyMessages")) == 1

    # And back: each kind from the operator reaches the customer, copied (anonymous).
    seen = len(alice.messages())
    for content in contents:
        olga.sends_in(thread, content)
    await emulator.wait_until(
        lambda: len(alice.messages()) >= seen + len(contents), what="relay to customer"
    )
    back = alice.messages()[seen:]
    assert kinds(back) == kinds(relayed)
    assert all("forward_origin" not in m and "Ольга" not in str(m) for m in back)

    for index in range(2):
        emulator.user_message(
            staff.id,
            olga.id,
            {**media(emulator, "photo", f"op-{index}"), "media_group_id": "B1"},
            thread_id=thread,
        )
    await emulator.wait_until(lambda: len(alice.messages()) >= seen + len(contents) + 2)
    pair = alice.messages()[-2:]
    assert pair[0].get("media_group_id") and pair[0]["media_group_id"] == pair[1]["media_group_id"]


async def test_edits_are_mirrored_and_replies_keep_their_target(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
) -> None:
    alice = make_customer()
    olga = staff.operator("Ольга")
    topic = await open_ticket(alice, staff)
    sent = alice.send("мой заказ 12346")
    copy = await staff.receives_in(topic.thread_id, "12346")
    emulator.user_edit(alice.id, sent["message_id"], "мой заказ 123456")
    await emulator.wait_until(
        lambda: emulator.messages[(staff.id, copy["message_id"])]["text"] == "мой заказ 123456",
        what="the customer's edit in the topic",
    )
    await bot.settled()  # the copy is logged, as it is long before any human replies to it
    answer = olga.says_in(topic.thread_id, "Заказ в пути", reply_to=copy["message_id"])
    delivered = await alice.receives("Заказ в пути")
    assert delivered["reply_to_message"]["message_id"] == sent["message_id"]
    await bot.settled()
    emulator.user_edit(staff.id, answer["message_id"], "Заказ в пути, будет завтра")
    await alice.sees("Заказ в пути, будет завтра")


async def test_take_notes_kb_and_a_second_operator(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
) -> None:
    alice = make_customer()
    olga, ivan = staff.operator("Ольга"), staff.operator("Иван")
    topic = await open_ticket(alice, staff)
    card = staff.topic_messages(topic.thread_id)[0]
    assert buttons(card) == ["✋ Взять", "✅ Закрыть", "🏷 Категория"]
    await emulator.wait_until(
        lambda: card["message_id"] in emulator.chats[staff.id].pinned, what="the card pinned"
    )

    olga.press(card, "Взять")
    await staff.receives_in(topic.thread_id, "Ольга взял(а) обращение #1")
    # The card and the name follow with the group's spare budget, after the notice.
    await emulator.wait_until(lambda: topic.name.startswith("🟡"), what="the topic renamed")
    card = emulator.messages[(staff.id, card["message_id"])]
    assert "Взял(а): Ольга" in card["text"] and "в работе" in card["text"]
    query = ivan.press(card, "Закрыть")  # closing stays open to anyone; taking does not
    del query
    await alice.receives("закрыто")


async def test_second_take_is_refused_notes_stay_internal_and_kb_sends_an_article(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
) -> None:
    alice = make_customer()
    olga, ivan = staff.operator("Ольга"), staff.operator("Иван")
    topic = await open_ticket(alice, staff)
    card = copy.deepcopy(staff.topic_messages(topic.thread_id)[0])
    olga.press(card, "Взять")
    await staff.receives_in(topic.thread_id, "взял(а)")
    # Ivan still has the old card with the button on screen.
    query = ivan.press(card, "Взять")
    await emulator.wait_until(lambda: query in emulator.callback_answers)
    assert "Уже взял(а): Ольга" in emulator.callback_answers[query]["text"]

    before = len(alice.messages())
    olga.says_in(topic.thread_id, "!клиент сердитый, аккуратно")
    ivan.says_in(topic.thread_id, "/note проверил платёж — всё ок")
    await staff.receives_in(topic.thread_id, "Заметка сохранена")
    olga.says_in(topic.thread_id, "/kb refund-timing")
    await alice.receives("Когда вернутся деньги")
    olga.says_in(topic.thread_id, "/kb промокод не применяется")
    await alice.receives("Промокод не работает")
    await bot.settled()
    texts = [m.get("text") or "" for m in alice.messages()[before:]]
    assert not any("сердитый" in t or "проверил" in t for t in texts)
    assert len(await events_of(bot, "note")) == 2


async def test_burst_of_first_messages_makes_one_topic(
    bot: RunningBot, make_customer: Callable[..., Customer], staff: StaffGroup
) -> None:
    alice = make_customer()
    alice.send("оператор!")
    alice.send("позовите человека")
    alice.send("/operator")
    await bot.settled()
    assert len(staff.topics()) == 1
    async with bot.sessionmaker() as session:
        assert len((await session.scalars(select(Ticket))).all()) == 1


async def test_a_deleted_topic_is_recreated_and_the_message_delivered(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
) -> None:
    alice = make_customer()
    topic = await open_ticket(alice, staff)
    emulator.delete_topic(staff.id, topic.thread_id)
    alice.send("вы тут?")
    new = await emulator.wait_until(
        lambda: next((t for t in staff.topics() if not t.deleted), None), what="a new topic"
    )
    assert new.thread_id != topic.thread_id
    await staff.receives_in(new.thread_id, "вы тут?")
    await staff.receives_in(new.thread_id, "создана заново")
    assert "#1" in staff.topic_messages(new.thread_id)[0]["text"]  # the card again


async def test_a_429_in_the_middle_of_a_relay_delivers_exactly_once(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
) -> None:
    alice = make_customer()
    olga = staff.operator("Ольга")
    topic = await open_ticket(alice, staff)
    emulator.fail("copyMessage", code=429, retry_after=1, times=1)
    olga.says_in(topic.thread_id, "ответ после лимита")
    await alice.receives("ответ после лимита")
    await bot.settled()
    assert [t for t in alice.texts() if t == "ответ после лимита"] == ["ответ после лимита"]
    failed = [c for c in emulator.calls_of("copyMessage") if not c.ok]
    assert len(failed) == 1 and "Too Many Requests" in (failed[0].error or "")


async def test_twenty_429s_in_a_row_still_deliver_both_ways_once_and_in_order(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
) -> None:
    alice = make_customer()
    olga = staff.operator("Ольга")
    topic = await open_ticket(alice, staff)
    # Twenty times Telegram's shortest wait, far past max_attempts; the delivery layer's sleep
    # is its injected clock, so the test does not sit through them.
    waited: list[float] = []

    async def no_wait(seconds: float) -> None:
        waited.append(seconds)

    bot.app.delivery.sleep = no_wait
    emulator.fail("copyMessage", code=429, retry_after=1, times=20)
    olga.says_in(topic.thread_id, "первый ответ")
    olga.says_in(topic.thread_id, "второй ответ")
    alice.send("вопрос клиента")
    await alice.receives("второй ответ")
    await staff.receives_in(topic.thread_id, "вопрос клиента")
    await bot.settled()
    answers = [t for t in alice.texts() if t.endswith("ответ")]
    assert answers == ["первый ответ", "второй ответ"]
    assert len([c for c in emulator.calls_of("copyMessage") if not c.ok]) == 20
    assert waited == [1] * 20


async def test_a_parse_error_falls_back_to_plain_text(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
) -> None:
    alice = make_customer()
    topic = await open_ticket(alice, staff)
    emulator.fail(
        "sendMessage",
        code=400,
        description="Bad Request: can't parse entities: Unsupported start tag",
        when=lambda params: params.get("parse_mode") == "HTML",
    )
    olga = staff.operator("Ольга")
    olga.says_in(topic.thread_id, "/close")
    note = await staff.receives_in(topic.thread_id, "закрыто: Ольга")
    assert "<" not in note["text"] and "entities" not in note
    await alice.receives("закрыто")


async def test_a_customer_who_blocked_the_bot_is_reported(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
) -> None:
    alice = make_customer()
    olga = staff.operator("Ольга")
    topic = await open_ticket(alice, staff)
    emulator.blocked_by.add(alice.id)
    olga.says_in(topic.thread_id, "вы здесь?")
    await staff.receives_in(topic.thread_id, "Не удалось доставить")


async def test_a_group_without_topics_works_by_replies(
    launch: Launch,
    make_customer: Callable[..., Customer],
    emulator: TelegramEmulator,
) -> None:
    group = StaffGroup(emulator, emulator.add_group("Plain desk", forum=False))
    olga = group.operator("Ольга")
    bot = await launch(staff_chat_id=group.id)
    alice = make_customer()
    alice.send("/operator")
    await alice.receives("обращение #1")
    card = await emulator.wait_until(
        lambda: next(
            (
                m
                for m in emulator.chat_messages(group.id, from_bot=True)
                if "#1" in m.get("text", "")
            ),
            None,
        )
    )
    assert "в этой теме" not in card["text"] and "ответом (reply)" in card["text"]
    alice.send("у меня вопрос")
    relayed = await emulator.wait_until(
        lambda: next(
            (
                m
                for m in emulator.chat_messages(group.id, from_bot=True)
                if m.get("text") == "у меня вопрос"
            ),
            None,
        )
    )
    assert relayed["reply_to_message"]["message_id"] == card["message_id"]
    await bot.settled()  # the relayed copy is logged: a reply to it finds its ticket
    olga.says_in_general("просто болтаем")  # not a reply: not relayed
    emulator.user_message(group.id, olga.id, {"text": "отвечаю"}, reply_to=relayed["message_id"])
    await alice.receives("отвечаю")
    await bot.settled()
    assert "болтаем" not in " ".join(alice.texts())


async def test_a_stranger_in_the_staff_group_cannot_act(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
) -> None:
    alice = make_customer()
    topic = await open_ticket(alice, staff)
    stranger = emulator.add_user("Mallory")  # never joined the group
    emulator.user_message(
        staff.id, stranger["id"], {"text": "hi from outside"}, thread_id=topic.thread_id
    )
    card = staff.topic_messages(topic.thread_id)[0]
    query = Operator(emulator, stranger, staff).press(card, "Закрыть")
    await emulator.wait_until(lambda: query in emulator.callback_answers)
    assert "только участникам" in emulator.callback_answers[query]["text"]
    await bot.settled()
    assert "hi from outside" not in " ".join(alice.texts())
    async with bot.sessionmaker() as session:
        ticket = await session.get(Ticket, 1)
        assert ticket is not None and ticket.status != TicketStatus.CLOSED


async def test_sla_warning_then_breach_alert_on_the_clock(
    launch: Launch,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    clock: FakeClock,
) -> None:
    admin = make_customer("Админ")
    bot = await launch(admin_ids=[admin.id])
    alice = make_customer()
    topic = await open_ticket(alice, staff, "Срочно позовите оператора, списали деньги дважды")
    card = staff.topic_messages(topic.thread_id)[0]
    assert "срочный" in card["text"]
    # A second replica's watcher checks the same tickets at the same moment: one alert each.
    other = SlaWatcher(
        bot.sessionmaker,
        bot.app.sla_watcher.desk,
        bot.app.sla_watcher.notifier,
        clock,
        warn_before=bot.app.sla_watcher.warn_before,
        interval=0,
    )
    clock.advance(minutes=1)
    results = await asyncio.gather(bot.app.sla_watcher.check(), other.check())
    assert sorted(results) == [(0, 0), (1, 0)]  # urgent: 5 min, warned 5 min before
    await staff.receives_in(topic.thread_id, "До конца срока первого ответа")
    clock.advance(minutes=4)
    results = await asyncio.gather(bot.app.sla_watcher.check(), other.check())
    assert sorted(results) == [(0, 0), (0, 1)]
    await staff.receives_in(topic.thread_id, "нарушен")
    await admin.receives("SLA: обращение #1")
    assert await bot.app.sla_watcher.check() == (0, 0)  # once
    assert len(await events_of(bot, "sla_breach")) == 1
    warnings = [m for m in staff.topic_messages(topic.thread_id) if "До конца срока" in m["text"]]
    assert len(warnings) == 1


async def test_after_hours_the_customer_is_told_when_to_expect_an_answer(
    launch: Launch,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    clock: FakeClock,
) -> None:
    clock.current = datetime(2026, 11, 20, 19, 30, tzinfo=UTC)  # Friday 22:30 in Moscow
    await launch(working_hours={"days": {"sat": "", "sun": ""}})
    alice = make_customer()
    alice.send("/operator")
    await alice.receives("обращение #1")
    await alice.receives("ответим в понедельник после 09:00")
    john = make_customer("John", language_code="en")
    clock.current = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # Monday 08:00 in Moscow
    john.send("/operator")
    await john.receives("request #2")
    await john.receives("we will reply today after 09:00")
    await staff.new_topic(name="John")


async def test_low_csat_raises_an_alert_and_a_comment_reaches_the_topic(
    launch: Launch,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
) -> None:
    admin = make_customer("Админ")
    await launch(admin_ids=[admin.id])
    alice = make_customer()
    olga = staff.operator("Ольга")
    topic = await open_ticket(alice, staff)
    olga.says_in(topic.thread_id, "/close вернули деньги")
    rating = await alice.receives("Оцените")
    alice.press("1", rating)
    await alice.receives("пару слов")
    await staff.receives_in(topic.thread_id, "Низкая оценка 1/5")
    await admin.receives("Низкая оценка 1/5 по обращению #1")
    alice.send("долго ждал ответа")
    await alice.receives("передали команде")
    await staff.receives_in(topic.thread_id, "Комментарий к оценке #1: долго ждал ответа")


async def test_ban_reopen_and_category_correction(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
) -> None:
    alice = make_customer()
    olga = staff.operator("Ольга")
    topic = await open_ticket(alice, staff, "оператор, вопрос по доставке")
    card = staff.topic_messages(topic.thread_id)[0]
    olga.press(card, "Категория")
    picker = await staff.receives_in(topic.thread_id, "Выберите категорию")
    olga.press(picker, "Гарантия → Гарантийный ремонт")
    await staff.receives_in(topic.thread_id, "Категория #1: Товары → Гарантия → Гарантийный ремонт")
    async with bot.sessionmaker() as session:
        ticket = await session.get(Ticket, 1)
        assert ticket is not None and ticket.category3 == "Гарантийный ремонт"

    olga.says_in(topic.thread_id, "/close")
    await alice.receives("закрыто")
    olga.says_in(topic.thread_id, "/reopen")
    await staff.receives_in(topic.thread_id, "снова открыто")
    assert not topic.closed

    olga.says_in(topic.thread_id, "/ban")
    await staff.receives_in(topic.thread_id, "заблокирован")
    before = len(staff.topic_messages(topic.thread_id, from_bot=True))
    alice.send("спам спам спам")
    await bot.settled()
    assert len(staff.topic_messages(topic.thread_id, from_bot=True)) == before
    async with bot.sessionmaker() as session:
        row = (await session.scalars(select(CustomerRow))).one()
        assert row.is_banned


async def test_signed_replies_when_configured_and_edits_still_mirrored(
    launch: Launch,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
) -> None:
    bot = await launch(handoff={"sign_replies": True})
    alice = make_customer()
    olga = staff.operator("Ольга", last_name="Петрова")
    topic = await open_ticket(alice, staff)
    sent = olga.says_in(topic.thread_id, "Добрый день!")
    await alice.receives("Добрый день!\n\n— Ольга")
    await bot.settled()
    assert "Петрова" not in " ".join(alice.texts())
    emulator.user_edit(staff.id, sent["message_id"], "Добрый вечер!")
    await alice.sees("Добрый вечер!")


async def test_the_message_asking_for_a_person_is_on_the_card_and_escalates_its_contact(
    bot: RunningBot, make_customer: Callable[..., Customer], staff: StaffGroup
) -> None:
    """The customer's first message is logged with the update's final commit, but a ticket it
    opens still shows it, ranks by it and marks its contact as escalated."""
    alice = make_customer("Алиса")
    topic = await open_ticket(alice, staff, "Срочно позовите оператора, деньги списали дважды")
    card = staff.topic_messages(topic.thread_id)[0]
    assert "деньги списали дважды" in card["text"]
    await bot.settled()
    async with bot.sessionmaker() as session:
        ticket = await session.get(Ticket, 1)
        contact = await session.scalar(select(Contact))
    assert ticket is not None and ticket.priority == "urgent"
    assert contact is not None and (contact.ticket_id, contact.messages) == (1, 1)


@pytest.mark.parametrize("status", ["left", "kicked", "restricted"])
async def test_an_operator_removed_from_the_group_cannot_reach_the_customer(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
    status: str,
) -> None:
    alice = make_customer()
    olga = staff.operator("Ольга")
    boss = staff.operator("Босс")
    alice.send("/operator")
    topic = await staff.new_topic(name="Алиса")
    olga.says_in(topic.thread_id, "Здравствуйте, чем помочь?")
    await alice.receives("Здравствуйте, чем помочь?")  # her membership is now cached

    emulator.change_member(staff.id, olga.id, status, by=boss.id)
    olga.says_in(topic.thread_id, "я ещё здесь")
    boss.says_in(topic.thread_id, "Передаю коллеге")
    await alice.receives("Передаю коллеге")
    await bot.settled()
    assert "я ещё здесь" not in alice.texts()

    emulator.change_member(staff.id, olga.id, "member", by=boss.id)  # taken back
    olga.says_in(topic.thread_id, "снова с вами")
    await alice.receives("снова с вами")


async def test_asking_for_a_person_again_during_a_ticket_reaches_the_topic(
    bot: RunningBot, make_customer: Callable[..., Customer], staff: StaffGroup
) -> None:
    alice = make_customer()
    john = make_customer("John", language_code="en")
    olga = staff.operator("Ольга")
    alice.send("/operator")
    ru_topic = await staff.new_topic(name="Алиса")
    olga.says_in(ru_topic.thread_id, "Здравствуйте, смотрю")
    await alice.receives("Здравствуйте, смотрю")
    john.send("/operator")
    en_topic = await staff.new_topic(name="John")
    said = {
        ru_topic.thread_id: ["оператор, где вы?", "…менеджер обещал вчера", "/operator"],
        en_topic.thread_id: ["is a human reading this?", "I want a real person"],
    }
    for line in said[ru_topic.thread_id]:
        alice.send(line)
    for line in said[en_topic.thread_id]:
        john.send(line)
    for thread, lines in said.items():
        for line in lines:
            await staff.receives_in(thread, line)
    await alice.receives("уже у оператора")  # a short notice besides, never instead
    await john.receives("already with an operator")


async def test_a_conversation_spends_the_groups_budget_on_messages_not_edits(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
) -> None:
    """Telegram allows a group about 20 sends and edits a minute in all: once a ticket is
    taken, a back-and-forth costs one copy per message and no card or topic edits."""
    alice = make_customer()
    olga = staff.operator("Ольга")
    topic = await open_ticket(alice, staff)
    olga.says_in(topic.thread_id, "ответ 0")  # the first reply takes the ticket: shown once
    await alice.receives("ответ 0")
    await bot.settled()
    edits_before = len(emulator.calls_of("editMessageText")) + len(
        emulator.calls_of("editForumTopic")
    )
    for n in range(1, 6):
        alice.send(f"вопрос {n}")
        await staff.receives_in(topic.thread_id, f"вопрос {n}")
        olga.says_in(topic.thread_id, f"ответ {n}")
        await alice.receives(f"ответ {n}")
    await bot.settled()
    edits = len(emulator.calls_of("editMessageText")) + len(emulator.calls_of("editForumTopic"))
    assert edits == edits_before
    card = emulator.messages[(staff.id, staff.topic_messages(topic.thread_id)[0]["message_id"])]
    assert "в работе" in card["text"] and staff.topics()[0].name.startswith("🟡")


async def test_a_card_shows_only_the_latest_state_and_catches_up_after_a_restart(
    launch: Launch,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
) -> None:
    """Changes waiting for the refresher cost one edit together; a change recorded while the
    bot was down is shown when it starts; nothing unchanged is sent again."""
    bot = await launch()
    alice = make_customer()
    topic = await open_ticket(alice, staff)
    await bot.settled()
    bot.app.stop()
    await bot.task
    await bot.app.close()
    edits = len(emulator.calls_of("editMessageText"))
    # Down: an operator's take is recorded (a crash came before the card was edited), twice.
    async with bot.sessionmaker() as session:
        ticket = (await session.scalars(select(Ticket))).one()
        ticket.assignee_id, ticket.assignee_name = 1, "Ольга"
        ticket.status = TicketStatus.IN_PROGRESS
        ticket.display_version += 2
        await session.commit()
    again = await launch()
    await emulator.wait_until(lambda: topic.name.startswith("🟡"), what="the topic renamed")
    await again.settled()
    card = emulator.messages[(staff.id, staff.topic_messages(topic.thread_id)[0]["message_id"])]
    assert "Взял(а): Ольга" in card["text"]
    assert len(emulator.calls_of("editMessageText")) == edits + 1
    # Asked again with nothing changed: no call.
    async with again.sessionmaker() as session:
        ticket = (await session.scalars(select(Ticket))).one()
        ticket.display_version += 1
        await session.commit()
    again.app.refresher.desk.displays_changed.set()
    await again.settled()
    assert len(emulator.calls_of("editMessageText")) == edits + 1
    assert len(emulator.calls_of("editForumTopic")) == 1


async def test_a_topic_no_ticket_owns_says_so_and_one_named_after_a_ticket_is_linked(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
) -> None:
    olga = staff.operator("Ольга")
    chat = await emulator.api_createforumtopic({"chat_id": staff.id, "name": "Болталка"})
    olga.says_in(chat["message_thread_id"], "всем привет")
    await staff.receives_in(chat["message_thread_id"], "не связана ни с одним обращением")
    olga.says_in(chat["message_thread_id"], "и ещё раз")  # told once, not on every message
    await bot.settled()
    told = [
        m
        for m in staff.topic_messages(chat["message_thread_id"])
        if "не связана" in m.get("text", "")
    ]
    assert len(told) == 1

    # A crash right after the topic was made: its thread id was never recorded.
    alice = make_customer()
    topic = await open_ticket(alice, staff)
    await bot.settled()
    async with bot.sessionmaker() as session:
        ticket = (await session.scalars(select(Ticket))).one()
        ticket.thread_id = None
        await session.commit()
    olga.says_in(topic.thread_id, "ваш заказ в пути")
    await alice.receives("ваш заказ в пути")
    await staff.receives_in(topic.thread_id, "теперь у обращения #1")
    alice.send("спасибо")
    await staff.receives_in(topic.thread_id, "спасибо")
    assert len(staff.topics()) == 2  # Болталка and the ticket's: no second topic for #1


async def test_updates_of_one_ticket_never_interleave_and_see_each_others_changes(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
) -> None:
    """A customer's message and an operator's /close on the same ticket come from two chats,
    so the chat locks let them run at once: the ticket's lock makes the second wait for the
    first and act on the state it left (a relay after a close must not reopen the status)."""
    alice = make_customer()
    await open_ticket(alice, staff)
    await bot.settled()
    locks = TicketLockMiddleware()
    first_in = asyncio.Event()
    release = asyncio.Event()
    seen: list[str] = []

    async def closing(_event: Any, data: dict[str, Any]) -> None:
        first_in.set()
        await release.wait()
        ticket = data["ticket"]
        ticket.status, ticket.closed_at = TicketStatus.CLOSED, datetime.now(UTC)
        await data["session"].commit()

    async def relaying(_event: Any, data: dict[str, Any]) -> None:
        seen.append(data["ticket"].status)

    async def run(handler: Any) -> None:
        async with bot.sessionmaker() as session:
            ticket = (await session.scalars(select(Ticket))).one()
            await locks(handler, object(), {"ticket": ticket, "session": session})  # type: ignore[arg-type]

    close = asyncio.create_task(run(closing))
    await first_in.wait()
    relay = asyncio.create_task(run(relaying))
    await asyncio.sleep(0)
    assert seen == []  # waiting for the ticket
    release.set()
    await asyncio.gather(close, relay)
    assert seen == [TicketStatus.CLOSED]
