"""Order status and callback dialogs, in Russian and English, with the mistakes people make."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.app import build_app
from bot.config import Settings
from bot.sandbox.emulator import TelegramEmulator
from bot.sandbox.people import Customer, StaffGroup, buttons
from storage.models import Event
from tests.conftest import FakeClock, Launch, RunningBot


async def events_of(bot: RunningBot, kind: str) -> list[dict[str, Any]]:
    await bot.settled()
    async with bot.sessionmaker() as session:
        rows = (
            await session.scalars(select(Event).where(Event.type == kind).order_by(Event.id))
        ).all()
    return [row.data for row in rows]


async def test_order_status_with_the_number_in_the_question(
    bot: RunningBot, make_customer: Callable[..., Customer]
) -> None:
    alice = make_customer()
    alice.send("где мой заказ 123456?")
    reply = await alice.receives("Заказ №123456")
    assert "передан в доставку" in reply["text"]
    assert "1234567890 (CDEK)" in reply["text"]
    assert (await events_of(bot, "order_lookup"))[0]["result"] == "found"


async def test_order_status_asks_for_the_number_and_reprompts_on_a_bad_one(
    bot: RunningBot, make_customer: Callable[..., Customer]
) -> None:
    john = make_customer("John", language_code="en")
    john.send("wheres my order??")
    await john.receives("send your order number")
    john.send("AB-12")  # malformed
    await john.receives("does not look like an order number")
    john.send("#5512378")
    reply = await john.receives("Order #5512378")
    assert "delivered" in reply["text"] and "RA123456789RU" in reply["text"]


async def test_unknown_order_number_offers_a_person_and_carries_the_number(
    bot: RunningBot, make_customer: Callable[..., Customer], staff: StaffGroup
) -> None:
    alice = make_customer()
    alice.send("статус заказа")
    await alice.receives("номер заказа")
    alice.send("999999")
    reply = await alice.receives("Заказ №999999 не найден")
    alice.press("оператор", reply)
    await alice.receives("обращение #1")
    topic = await staff.new_topic()
    assert "999999" in staff.topic_messages(topic.thread_id)[0]["text"]


async def test_cancel_leaves_the_order_dialog(
    bot: RunningBot, make_customer: Callable[..., Customer]
) -> None:
    alice = make_customer()
    alice.send("где заказ")
    await alice.receives("номер заказа")
    alice.send("/cancel")
    await alice.receives("отменил")
    alice.send("как оплатить картой")
    await alice.receives("Способы оплаты")


async def test_callback_request_in_russian_with_a_typed_phone(
    bot: RunningBot,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
) -> None:
    alice = make_customer("Алиса", username="alice_s")
    olga = staff.operator("Ольга")
    alice.send("перезвоните мне пожалуйста")
    await alice.receives("Как к вам обращаться")
    assert alice.keyboard()["keyboard"][0][0]["text"] == "Алиса"
    alice.send("Алиса <script>")
    await alice.receives("номер телефона")
    assert alice.keyboard()["keyboard"][0][0]["request_contact"] is True
    alice.send("12345")
    await alice.receives("Не получается разобрать номер")
    alice.send("8 (916) 123-45-67")
    await alice.receives("Записал номер +79161234567")  # the share-number keyboard goes with it
    windows = await alice.receives("В какое время")
    assert "📞" not in alice.texts()  # no message made of an emoji alone
    assert buttons(windows)[0] == "09:00-12:00"
    alice.press("15:00-18:00", windows)
    await alice.sees("Позвоним на +79161234567, 15:00-18:00")

    card = await emulator.wait_until(
        lambda: next(
            (
                m
                for m in emulator.chat_messages(staff.id, from_bot=True)
                if "перезвонить" in m.get("text", "")
            ),
            None,
        )
    )
    assert (
        "Алиса <script>" in card["text"]
        and "+79161234567" in card["text"]
        and "@alice_s" in card["text"]
    )
    olga.press(card, "Перезвонил")
    await emulator.wait_until(
        lambda: "Перезвонил(а): Ольга" in emulator.messages[(staff.id, card["message_id"])]["text"]
    )
    requested = await events_of(bot, "callback_requested")
    assert requested == [
        {"name": "Алиса <script>", "phone": "+79161234567", "window": "15:00-18:00"}
    ]


async def test_callback_request_in_english_with_a_shared_contact_and_cancel(
    bot: RunningBot, make_customer: Callable[..., Customer]
) -> None:
    john = make_customer("John", language_code="en")
    john.send("can u call me back")
    await john.receives("What is your name")
    john.send("/cancel")
    await john.receives("cancelled")
    john.send("please call me back")
    await john.receives("What is your name")
    john.send("John")
    await john.receives("phone number")
    john.shares_contact("447911123456")  # Telegram sends it without "+"
    windows = await john.receives("good time")
    john.press("09:00-12:00", windows)
    await john.sees("We will call +447911123456, 09:00-12:00")


class FakeShop:
    def __init__(self) -> None:
        self.down = False

    async def order(self, request: web.Request) -> web.Response:
        if self.down:
            return web.Response(status=503)
        if request.match_info["number"] == "424242":
            return web.json_response(
                {"number": "424242", "status": "in_transit", "delivery_date": "2026-11-30"}
            )
        return web.Response(status=404)


@pytest.fixture
async def shop() -> AsyncIterator[tuple[FakeShop, str]]:
    fake = FakeShop()
    app = web.Application()
    app.router.add_get("/api/orders/{number}", fake.order)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield fake, f"http://127.0.0.1:{port}/api/orders/{{number}}"
    await runner.cleanup()


async def test_http_order_backend(
    shop: tuple[FakeShop, str],
    settings_for: Callable[..., Settings],
    staff: StaffGroup,
    make_customer: Callable[..., Customer],
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    import asyncio

    fake, url = shop
    settings = settings_for(staff.id, orders={"backend": "http", "url": url, "timeout": 2})
    app = await build_app(settings, clock)
    task = asyncio.create_task(app.run_polling())
    try:
        john = make_customer("John", language_code="en")
        john.send("where is my order 424242")
        reply = await john.receives("Order #424242")
        assert "on its way" in reply["text"] and "2026-11-30" in reply["text"]
        john.send("where is my order 111111")
        await john.receives("could not find order #111111")
        fake.down = True
        john.send("order status 424242")
        await john.receives("cannot check orders right now")
    finally:
        app.stop()
        await task
        await app.close()


async def test_a_different_question_leaves_the_order_dialog(
    bot: RunningBot, make_customer: Callable[..., Customer]
) -> None:
    john = make_customer("John", language_code="en")
    john.send("order status pls")
    await john.receives("send your order number")
    john.send("actually, how much does shipping cost?")
    await john.receives("Delivery times and cost")
    john.send("12345678")  # no longer read as an order number: the dialog was left
    reply = await john.receives()
    assert "Order #12345678" not in reply["text"]


async def test_english_callback_with_an_invalid_phone(
    bot: RunningBot, make_customer: Callable[..., Customer]
) -> None:
    john = make_customer("John", language_code="en")
    john.send("could someone phone me tomorrow?")
    await john.receives("What is your name")
    john.send("John Smith")
    await john.receives("phone number")
    john.send("call me maybe")
    await john.receives("cannot read that number")
    john.send("+1 555 555 5555")  # a US number with no valid area code
    await john.receives("cannot read that number")
    john.send("+44 7911 123456")
    windows = await john.receives("good time")
    john.press("18:00-21:00", windows)
    await john.sees("We will call +447911123456, 18:00-21:00")


async def test_a_restart_between_a_callback_dialogs_steps_does_not_lose_the_dialog(
    launch: Launch,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
) -> None:
    """No Redis: the dialog's steps are kept in the database, so the phone number typed after
    a restart is taken as the phone number, and the window button is answered."""
    first = await launch()
    alice = make_customer("Алиса")
    alice.send("перезвоните мне пожалуйста")
    await alice.receives("Как к вам обращаться")
    alice.send("Алиса")
    await alice.receives("номер телефона")
    await first.settled()
    first.app.stop()
    await first.task
    await first.app.close()

    second = await launch()
    alice.send("8 (916) 123-45-67")
    windows = await alice.receives("В какое время")
    alice.press("15:00-18:00", windows)
    await alice.sees("Позвоним на +79161234567, 15:00-18:00")
    card = await emulator.wait_until(
        lambda: next(
            (
                m
                for m in emulator.chat_messages(staff.id, from_bot=True)
                if "перезвонить" in m.get("text", "")
            ),
            None,
        )
    )
    assert "Алиса" in card["text"] and "+79161234567" in card["text"]
    await second.settled()


async def test_asking_for_a_person_mid_dialog_ends_it_and_every_message_reaches_the_topic(
    bot: RunningBot, make_customer: Callable[..., Customer], staff: StaffGroup
) -> None:
    """The bot asked for an order number; the customer asks for a person instead. Their next
    messages, whatever they say, are for the operator, not answers to the bot's question
    (found by bench/desk_capacity.py: "I need help with my order", /operator, then every
    message answered "that does not look like an order number")."""
    john = make_customer("John", language_code="en")
    john.send("I need help with my order")
    await john.receives("order number")
    john.send("/operator")
    await john.receives("request #1")
    topic = await staff.new_topic(name="John")
    for text in ("it was order 1 of 3", "hello?", "still nothing"):
        john.send(text)
        await staff.receives_in(topic.thread_id, text)
    assert not [t for t in john.texts() if "does not look like an order number" in t]
