"""A customer and an operator talk through the real bot and the Bot API emulator."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from bot.sandbox.emulator import TelegramEmulator
from bot.sandbox.people import Customer, StaffGroup, buttons
from storage.models import Direction, Event, Message, Ticket, TicketStatus
from tests.conftest import FakeClock, Launch, RunningBot


async def test_start_greets_in_russian_and_english(
    bot: RunningBot, make_customer: Callable[..., Customer]
) -> None:
    ru = make_customer("Алиса", language_code="ru")
    en = make_customer("John", language_code="en-GB")
    ru.send("/start")
    en.send("/start")
    assert "Здравствуйте, Алиса" in (await ru.receives("Здравствуйте"))["text"]
    assert "Hello, John" in (await en.receives("Hello"))["text"]


async def test_customer_gets_a_knowledge_base_answer(
    bot: RunningBot, make_customer: Callable[..., Customer]
) -> None:
    alice = make_customer()
    alice.send("сколько стоит доставка?")
    answer = await alice.receives("Сроки и стоимость доставки")
    assert "390 ₽" in answer["text"]
    assert any(e["type"] == "bold" for e in answer.get("entities", []))

    john = make_customer("John", language_code="en")
    john.send("how do I return an item")
    answer = await john.receives("Returns and refunds")
    assert "14 days" in answer["text"]


async def test_unknown_question_offers_a_person_and_the_button_hands_off(
    bot: RunningBot, make_customer: Callable[..., Customer], staff: StaffGroup
) -> None:
    alice = make_customer()
    alice.send("у меня на кухне завелись фиолетовые ежи")
    reply = await alice.receives(where=lambda m: bool(buttons(m)))
    assert any("оператор" in b.lower() for b in buttons(reply))
    alice.press("оператор")
    await alice.receives("обращение #1")
    topic = await staff.new_topic()
    card = staff.topic_messages(topic.thread_id)[0]
    assert "бот не нашёл ответа" in card["text"]
    assert "фиолетовые ежи" in card["text"]


async def test_full_handoff_round_trip_with_rating(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
) -> None:
    alice = make_customer("Алиса", last_name="<b>Смирнова</b>", username="alice_s")
    operator = staff.operator("Ольга")

    alice.send("Здравствуйте, у меня не проходит оплата")
    await alice.receives()
    alice.send("позовите оператора, пожалуйста")
    await alice.receives("Передал ваш вопрос оператору, обращение #1")

    topic = await staff.new_topic(name="#1")
    assert "Алиса" in topic.name
    card = staff.topic_messages(topic.thread_id)[0]
    # The card shows who the customer is and what they said; their name is escaped, not markup.
    assert "<b>Смирнова</b>" in card["text"]
    assert "@alice_s" in card["text"]
    assert str(alice.id) in card["text"]
    assert "не проходит оплата" in card["text"]

    alice.send("номер заказа 12345")
    relayed = await staff.receives_in(topic.thread_id, "номер заказа 12345")
    assert relayed["is_topic_message"] is True

    operator.says_in(topic.thread_id, "Сейчас проверю, минуту")
    reply = await alice.receives("Сейчас проверю")
    assert "Ольга" not in str(reply)  # operators stay anonymous: the bot copies, not forwards
    assert "forward_origin" not in reply

    operator.says_in(topic.thread_id, "/close")
    await alice.receives("Обращение #1 закрыто")
    rating = await alice.receives("Оцените")
    assert buttons(rating) == ["1 ⭐", "2 ⭐", "3 ⭐", "4 ⭐", "5 ⭐"]
    await emulator.wait_until(lambda: topic.closed, what="the topic to close")

    alice.press("5", rating)
    thanks = await alice.sees("Спасибо за оценку 5 из 5")
    assert thanks["message_id"] == rating["message_id"] and not buttons(thanks)
    await staff.receives_in(topic.thread_id, "Оценка клиента за #1: 5/5")

    async with bot.sessionmaker() as session:
        ticket = await session.get(Ticket, 1)
        assert ticket is not None
        assert ticket.status == TicketStatus.CLOSED
        assert ticket.rating == 5
        assert ticket.first_reply_at is not None
        kinds = set((await session.scalars(select(Event.type))).all())
        assert {"ticket_opened", "operator_reply", "ticket_closed", "csat"} <= kinds


async def test_every_message_in_and_out_is_logged(
    bot: RunningBot, make_customer: Callable[..., Customer], staff: StaffGroup
) -> None:
    alice = make_customer()
    operator = staff.operator("Ольга")
    alice.send("/operator")
    await alice.receives("обращение #1")
    topic = await staff.new_topic()
    alice.send_photo(caption="вот скриншот")
    await staff.receives_in(topic.thread_id, "вот скриншот")
    operator.says_in(topic.thread_id, "Спасибо, вижу")
    await alice.receives("Спасибо, вижу")
    await bot.settled()

    async with bot.sessionmaker() as session:
        rows = (await session.scalars(select(Message).order_by(Message.id))).all()
    inbound = [(r.chat_id, r.content_type, r.text) for r in rows if r.direction == Direction.IN]
    outbound = [(r.chat_id, r.content_type, r.text) for r in rows if r.direction == Direction.OUT]
    assert (alice.id, "text", "/operator") in inbound
    assert (alice.id, "photo", "вот скриншот") in inbound
    assert (staff.id, "text", "Спасибо, вижу") in inbound
    # The photo's copy in the topic and the operator's copy to the customer are logged too,
    # with the pair mapping back to the original.
    assert (staff.id, "photo", "вот скриншот") in outbound
    assert (alice.id, "text", "Спасибо, вижу") in outbound
    copy = next(
        r
        for r in rows
        if r.direction == Direction.OUT and r.chat_id == alice.id and r.text == "Спасибо, вижу"
    )
    assert copy.source_chat_id == staff.id and copy.ticket_id == 1
    # The bot's own replies in the customer's chat carry the customer and the ticket too.
    ack = next(
        r
        for r in rows
        if r.direction == Direction.OUT and r.chat_id == alice.id and "#1" in (r.text or "")
    )
    assert ack.customer_id == copy.customer_id is not None and ack.ticket_id == 1
    assert any(
        r.chat_id == staff.id and r.direction == Direction.OUT and "Обращение #1" in (r.text or "")
        for r in rows
    )


async def test_redelivered_update_is_handled_once(
    bot: RunningBot, make_customer: Callable[..., Customer], emulator: TelegramEmulator
) -> None:
    alice = make_customer()
    message = alice.send("сколько стоит доставка?")
    await alice.receives("Сроки и стоимость")
    # Telegram hands out again an update it holds for confirmation (after a crash, say).
    await bot.settled()
    seen = len(alice.messages())
    update = next(u for u in emulator.pushed if u.get("message") is message)
    # After a crash a new process has no offset: Telegram hands it the update again, and only
    # the update journal knows it was finished.
    await bot.app.dispatcher.feed_raw_update(bot.app.bot, update)
    await bot.settled()
    assert len(alice.messages()) == seen  # nothing at all in answer to the redelivery
    alice.send("/start")
    await alice.receives("Здравствуйте")
    assert sum("Сроки и стоимость" in t for t in alice.texts()) == 1
    async with bot.sessionmaker() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Message)
            .where(
                Message.chat_id == alice.id,
                Message.telegram_message_id == message["message_id"],
                Message.direction == Direction.IN,
            )
        )
    assert count == 1


async def test_two_customers_at_once_do_not_cross(
    bot: RunningBot, make_customer: Callable[..., Customer], staff: StaffGroup
) -> None:
    alice = make_customer("Алиса")
    bob = make_customer("Борис", language_code="en")
    olga = staff.operator("Ольга")
    ivan = staff.operator("Иван")
    alice.send("/operator")
    bob.send("/operator")
    await alice.receives("обращение #")
    await bob.receives("request #")
    alice_topic = await staff.new_topic(name="Алиса")
    bob_topic = await staff.new_topic(name="Борис")
    assert alice_topic.thread_id != bob_topic.thread_id

    alice.send("вопрос от Алисы")
    bob.send("question from Bob")
    await staff.receives_in(alice_topic.thread_id, "вопрос от Алисы")
    await staff.receives_in(bob_topic.thread_id, "question from Bob")
    olga.says_in(alice_topic.thread_id, "ответ для Алисы")
    ivan.says_in(bob_topic.thread_id, "answer for Bob")
    await alice.receives("ответ для Алисы")
    await bob.receives("answer for Bob")

    assert not any("Bob" in t for t in alice.texts())
    assert not any("Алисы" in t for t in bob.texts())
    assert not staff.topic_messages(alice_topic.thread_id, from_bot=True)[1:] or all(
        "Bob" not in (m.get("text") or "") for m in staff.topic_messages(alice_topic.thread_id)
    )


async def test_stickers_voice_and_huge_messages_get_a_sensible_reply(
    bot: RunningBot, make_customer: Callable[..., Customer]
) -> None:
    alice = make_customer()
    alice.send_sticker()
    reply = await alice.receives("понимаю только текст")
    assert buttons(reply)
    alice.send_voice()
    await alice.receives("понимаю только текст")
    alice.send("доставка " * 1200)  # ~10,000 characters
    await alice.receives("очень длинное")
    await alice.receives("Сроки и стоимость доставки")


async def test_operator_messages_outside_topics_and_in_other_groups_are_ignored(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
) -> None:
    alice = make_customer()
    olga = staff.operator("Ольга")
    alice.send("/operator")
    await alice.receives("обращение #1")
    await staff.new_topic()
    olga.says_in_general("всем привет, кто на смене?")
    other = emulator.add_group("Chatter", forum=False)
    stranger = emulator.add_user("Stranger")
    emulator.join(other["id"], stranger["id"])
    emulator.user_message(other["id"], stranger["id"], {"text": "/close"})
    await bot.settled()
    assert len(alice.messages()) == 1
    assert emulator.chat_messages(other["id"], from_bot=True) == []


async def test_a_reply_telegram_keeps_refusing_waits_and_arrives_once(
    launch: Launch,
    make_customer: Callable[..., Customer],
    emulator: TelegramEmulator,
    clock: FakeClock,
) -> None:
    bot = await launch(delivery={"max_attempts": 2, "group_rate_per_minute": 0})
    alice = make_customer()
    # One server error is retried at once: the customer never notices.
    emulator.fail("sendMessage", code=500, description="Internal Server Error", times=1)
    alice.send("сколько стоит доставка?")
    await alice.receives("Сроки и стоимость доставки")
    # Errors beyond the quick retries: the reply waits in the outbox and goes out later,
    # once; the update itself was handled, and nobody is told something went wrong.
    emulator.fail("sendMessage", code=500, description="Internal Server Error", times=2)
    alice.send("как вернуть товар")
    await bot.settled()
    assert not [t for t in alice.texts() if "Возврат товара" in t]
    clock.advance(seconds=10)
    bot.app.outbox.wake()
    await alice.receives("Возврат товара")
    alice.send("как оплатить картой")
    await alice.receives("Способы оплаты")
    assert len([t for t in alice.texts() if "Возврат товара" in t]) == 1
    assert not [t for t in alice.texts() if "Что-то пошло не так" in t]
