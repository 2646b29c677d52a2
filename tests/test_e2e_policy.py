"""The dialogue policy as customers meet it, in Russian and English."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from bot.routers.operator.commands import find_article
from bot.sandbox.people import Customer, StaffGroup, buttons
from kb.service import KnowledgeBaseService
from storage.models import Contact, Direction, Event, Message, Ticket
from tests.conftest import RunningBot


async def test_confident_intent_gets_its_article_with_feedback_buttons(
    bot: RunningBot, make_customer: Callable[..., Customer]
) -> None:
    alice = make_customer("Алиса", language_code="ru")
    alice.send("скока стоит доставка до казани?")  # typo and slang
    answer = await alice.receives("Сроки и стоимость доставки")
    assert buttons(answer) == ["👍 Помогло", "👎 Не помогло"]
    alice.press("Помогло", answer)
    await bot.settled()
    assert buttons(alice.messages()[-1]) == []  # rated once, buttons gone

    john = make_customer("John", language_code="en")
    john.send("I forgot my password and can't log in")
    answer = await john.receives("Cannot log in to my account")
    assert buttons(answer) == ["👍 Helpful", "👎 Not helpful"]


async def test_thumbs_down_offers_a_person_and_hands_off_with_the_reason(
    bot: RunningBot, make_customer: Callable[..., Customer], staff: StaffGroup
) -> None:
    john = make_customer("John", language_code="en")
    john.send("how do I return an item")
    answer = await john.receives("Returns and refunds")
    john.press("Not helpful", answer)
    offer = await john.receives("Sorry it did not help")
    john.press("Talk to a person", offer)
    await john.receives("request #1")
    topic = await staff.new_topic()
    card = staff.topic_messages(topic.thread_id)[0]
    assert "не помог" in card["text"]  # staff language is Russian by default
    assert "how do I return an item" in card["text"]
    async with bot.sessionmaker() as session:
        ticket = await session.get(Ticket, 1)
        assert ticket is not None and ticket.reason == "negative_feedback"


async def test_two_unsure_turns_in_a_row_offer_a_person(
    bot: RunningBot, make_customer: Callable[..., Customer]
) -> None:
    alice = make_customer()
    alice.send("фиолетовые ежи танцуют на крыше")
    first = await alice.receives(where=lambda m: bool(buttons(m)))
    assert "Подключить оператора" not in first["text"]
    alice.send("ежи опять пришли, что делать")
    second = await alice.receives("Подключить оператора?")
    assert any("оператор" in b.lower() for b in buttons(second))


async def test_asking_the_same_question_again_offers_a_person(
    bot: RunningBot, make_customer: Callable[..., Customer]
) -> None:
    alice = make_customer()
    alice.send("сколько стоит доставка")
    await alice.receives("Сроки и стоимость доставки")
    alice.send("ну так сколько стоит доставка??")
    offer = await alice.receives("ответ не помог")
    assert any("оператор" in b.lower() for b in buttons(offer))


async def test_small_talk_and_an_explicit_request_for_a_person(
    bot: RunningBot, make_customer: Callable[..., Customer], staff: StaffGroup
) -> None:
    john = make_customer("John", language_code="en")
    john.send("hi there")
    await john.receives("How can I help")
    john.send("thanks a lot!")
    await john.receives("Glad to help")
    john.send("I want to speak with a representative")  # no keyword: the intent hands off
    await john.receives("request #1")
    await staff.new_topic()
    async with bot.sessionmaker() as session:
        kinds = [e.type for e in (await session.scalars(select(Event).order_by(Event.id))).all()]
    assert kinds.count("smalltalk") == 2 and "nlu_handoff" in kinds


async def test_out_of_scope_is_answered_honestly(
    bot: RunningBot, make_customer: Callable[..., Customer]
) -> None:
    john = make_customer("John", language_code="en")
    john.send("tell me a joke about cats")
    reply = await john.receives(where=lambda m: bool(buttons(m)))
    assert "cannot help with that" in reply["text"] or "not sure" in reply["text"].lower()


async def test_a_narrow_article_named_outright_beats_the_broad_intent(
    bot: RunningBot, make_customer: Callable[..., Customer]
) -> None:
    alice = make_customer()
    alice.send("промокод не применяется в корзине")
    await alice.receives("Промокод не работает")
    john = make_customer("John", language_code="en")
    john.send("do you ship to Kazakhstan?")
    await john.receives("Delivery to other countries")


async def test_link_buttons_stay_under_an_article_once_it_is_rated(
    bot: RunningBot, make_customer: Callable[..., Customer]
) -> None:
    alice = make_customer()
    alice.send("до скольки работает поддержка?")
    answer = await alice.receives("Часы работы")
    assert buttons(answer) == ["Все контакты", "👍 Помогло", "👎 Не помогло"]
    alice.press("Помогло", answer)
    await bot.settled()
    rated = alice.messages()[-1]
    assert buttons(rated) == ["Все контакты"]
    assert rated["reply_markup"]["inline_keyboard"][0][0]["url"] == "https://example.com/contacts"


async def test_an_answered_question_is_logged_whole(
    bot: RunningBot, make_customer: Callable[..., Customer]
) -> None:
    """The event, the bot's reply and the contact's topic are written with the update's
    final commit (storage.pending) and all arrive."""
    alice = make_customer("Алиса", language_code="ru")
    alice.send("сколько стоит доставка?")
    answer = await alice.receives("Сроки и стоимость доставки")
    await bot.settled()
    async with bot.sessionmaker() as session:
        [event] = (await session.scalars(select(Event).where(Event.type == "kb_answer"))).all()
        reply = await session.scalar(
            select(Message).where(
                Message.chat_id == alice.id,
                Message.telegram_message_id == answer["message_id"],
                Message.direction == Direction.OUT,
            )
        )
        contact = await session.scalar(select(Contact))
    assert event.data["article"] == "delivery-terms" and event.customer_id is not None
    assert reply is not None and reply.customer_id == event.customer_id
    assert reply.text is not None and "Сроки и стоимость доставки" in reply.text
    assert contact is not None and contact.messages == 1
    assert (contact.intent, contact.category1) == (event.intent, event.category1)
    assert contact.category1 is not None


async def test_a_follow_up_after_thumbs_up_is_answered(
    bot: RunningBot, make_customer: Callable[..., Customer]
) -> None:
    alice = make_customer()
    alice.send("сколько стоит доставка")
    answer = await alice.receives("Сроки и стоимость доставки")
    alice.press("Помогло", answer)
    await bot.settled()
    alice.send("а до Казани сколько идёт доставка?")
    await alice.receives("Сроки и стоимость доставки")
    assert not [t for t in alice.texts() if "ответ не помог" in t]


async def test_a_question_after_a_rating_is_answered_not_filed_as_its_comment(
    bot: RunningBot, make_customer: Callable[..., Customer], staff: StaffGroup
) -> None:
    alice = make_customer()
    olga = staff.operator("Ольга")
    alice.send("/operator")
    topic = await staff.new_topic(name=alice.name)
    olga.says_in(topic.thread_id, "Готово, заказ исправлен")
    await alice.receives("Готово")
    olga.says_in(topic.thread_id, "/close")
    rating = await alice.receives("Оцените")
    alice.press("5", rating)
    await alice.receives("напишите пару слов")
    alice.send("как вернуть товар?")
    await alice.receives("Возврат товара и денег")
    await bot.settled()
    async with bot.sessionmaker() as session:
        ticket = await session.get(Ticket, 1)
    assert ticket is not None and ticket.rating_comment is None  # the question was no comment


async def test_the_subject_of_a_request_for_a_person_categorises_the_ticket(
    bot: RunningBot, make_customer: Callable[..., Customer], staff: StaffGroup
) -> None:
    alice = make_customer()
    alice.send("позовите оператора, не проходит оплата картой")
    await alice.receives("обращение #1")
    await staff.new_topic(name=alice.name)
    async with bot.sessionmaker() as session:
        ticket = await session.get(Ticket, 1)
    assert ticket is not None
    assert (ticket.category1, ticket.priority) == ("Оплата", "high")


async def test_kb_in_the_staffs_language_sends_the_customers_version(
    bot: RunningBot, make_customer: Callable[..., Customer], staff: StaffGroup
) -> None:
    john = make_customer("John", language_code="en")
    olga = staff.operator("Ольга")
    john.send("/operator")
    topic = await staff.new_topic(name="John")
    olga.says_in(topic.thread_id, "/kb возврат денег")
    await john.receives("Returns and refunds")


def test_kb_prefers_an_article_the_customer_can_read(tmp_path: Path) -> None:
    """Two Russian articles answer the operator's words about as well; only the second has
    an English version: an English customer gets that one, not a Russian text."""
    articles = {
        ("ru", "refund-timing"): "Сроки возврата денег",
        ("ru", "refund-rules"): "Правила возврата денег",
        ("en", "refund-rules"): "Refund rules",
    }
    for (language, key), title in articles.items():
        (tmp_path / f"{key}.{language}.md").write_text(
            f"---\nid: {key}\ntitle: {title}\nlanguage: {language}\n---\n{title}.\n",
            encoding="utf-8",
        )
    kb = KnowledgeBaseService(tmp_path)
    kb.load()
    assert kb.index.search("возврат денег", "ru")[0].article.id == "refund-timing"
    found = find_article(kb, "возврат денег", "en", 20, "ru")
    assert found is not None and (found.id, found.language) == ("refund-rules", "en")
