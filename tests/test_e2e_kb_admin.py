"""Admins edit the knowledge base while the bot runs; customers switch language; every ticket
arrives categorised."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from bot.sandbox.people import Customer, StaffGroup, buttons
from storage.models import Ticket
from tests.conftest import ROOT, Launch


def copy_kb(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(ROOT / "kb" / "articles", target)
    return target


async def test_a_broken_edit_keeps_the_previous_kb_and_tells_the_admin_where(
    launch: Launch, make_customer: Callable[..., Customer], tmp_path: Path
) -> None:
    kb_dir = copy_kb(tmp_path)
    admin = make_customer("Анна", language_code="ru")
    bot = await launch(kb_dir=kb_dir, admin_ids=[admin.id])
    alice = make_customer()

    article = kb_dir / "ru" / "delivery.md"
    article.write_text(
        article.read_text(encoding="utf-8").replace("intents: [delivery]", "intents: [delivry]"),
        encoding="utf-8",
    )
    result = await bot.app.kb_watcher.check()  # the watcher's poll, driven by the test
    assert result is not None and not result.ok
    report = await admin.receives("НЕ обновлена")
    assert "ru/delivery.md:6: unknown intent 'delivry'" in report["text"]

    alice.send("сколько стоит доставка?")  # customers still get the previous version
    await alice.receives("Сроки и стоимость доставки")
    assert await bot.app.kb_watcher.check() is None  # reported once, not on every poll

    article.write_text(
        article.read_text(encoding="utf-8")
        .replace("intents: [delivry]", "intents: [delivery]")
        .replace("title: Сроки и стоимость доставки", "title: Доставка — сроки и цены"),
        encoding="utf-8",
    )
    admin.send("/reload")
    await admin.receives("База знаний обновлена")
    boris = make_customer("Борис")
    boris.send("сколько стоит доставка?")
    await boris.receives("Доставка — сроки и цены")


async def test_the_watcher_picks_up_a_new_article(
    launch: Launch, make_customer: Callable[..., Customer], tmp_path: Path
) -> None:
    kb_dir = copy_kb(tmp_path)
    admin = make_customer("Admin", language_code="en")
    bot = await launch(kb_dir=kb_dir, admin_ids=[admin.id])
    for language, title in (("ru", "Подарочные карты"), ("en", "Gift cards")):
        (kb_dir / language / "gift-cards.md").write_text(
            f"---\nid: gift-cards\ntitle: {title}\nlanguage: {language}\n"
            f"category: [Orders, Payment, Gift cards]\naliases: [gift card balance]\n---\nBody.\n",
            encoding="utf-8",
        )
    result = await bot.app.kb_watcher.check()
    assert result is not None and result.ok, result
    await admin.receives("База знаний обновлена")  # staff_language
    assert bot.app.kb_watcher.kb.counts()["en"] == result.articles["en"]
    assert bot.app.kb_watcher.kb.index.kb.get("gift-cards", "en") is not None


async def test_reload_is_for_admins_only(
    launch: Launch, make_customer: Callable[..., Customer], tmp_path: Path
) -> None:
    kb_dir = copy_kb(tmp_path)
    admin = make_customer("Анна")
    await launch(kb_dir=kb_dir, admin_ids=[admin.id])
    (kb_dir / "ru" / "delivery.md").write_text("no front matter", encoding="utf-8")
    mallory = make_customer("Mallory", language_code="en")
    mallory.send("/reload")
    reply = await mallory.receives()
    assert "Knowledge base" not in reply["text"] and "delivery.md" not in reply["text"]


async def test_language_switch_sticks(
    launch: Launch, make_customer: Callable[..., Customer]
) -> None:
    await launch()
    alice = make_customer("Алиса", language_code="ru")
    alice.send("/language")
    ask = await alice.receives("Выберите язык")
    assert buttons(ask) == ["🇷🇺 Русский", "🇬🇧 English"]
    alice.press("English", ask)
    await alice.sees("I will speak English")
    alice.send("how much is delivery")
    await alice.receives("Delivery times and cost")
    alice.send("/language ru")
    await alice.receives("по-русски")
    alice.send("/start")
    await alice.receives("Здравствуйте")


async def test_ticket_and_card_carry_the_category_and_intent(
    launch: Launch, make_customer: Callable[..., Customer], staff: StaffGroup
) -> None:
    bot = await launch()
    alice = make_customer()
    alice.send("скока стоит доставка в казань")
    answer = await alice.receives("Сроки и стоимость доставки")
    alice.press("Не помогло", answer)
    offer = await alice.receives("Подключить оператора")
    alice.press("оператор", offer)
    await alice.receives("обращение #1")
    topic = await staff.new_topic()
    card = staff.topic_messages(topic.thread_id)[0]["text"]
    assert "Категория: Заказы → Доставка → Сроки и стоимость" in card
    assert "Намерение: delivery" in card
    assert "Бот показал статьи: delivery-terms" in card
    async with bot.sessionmaker() as session:
        ticket = await session.get(Ticket, 1)
        assert ticket is not None
        assert (ticket.category1, ticket.category2, ticket.category3, ticket.intent) == (
            "Заказы",
            "Доставка",
            "Сроки и стоимость",
            "delivery",
        )


async def test_keyword_rules_categorise_an_upload_fault(
    launch: Launch, make_customer: Callable[..., Customer], staff: StaffGroup
) -> None:
    await launch()
    alice = make_customer()
    alice.send("Позовите оператора, у меня файл не загружается, загрузка прерывается")
    await alice.receives("обращение #1")
    topic = await staff.new_topic()
    card = staff.topic_messages(topic.thread_id)[0]["text"]
    assert "Сайт и приложение → Техническая неисправность → Ошибка загрузки" in card
