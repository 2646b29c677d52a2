"""The weekly report reaches the admins in Telegram on schedule (controllable clock), and on
demand with /stats; the numbers come from what customers and operators did that week."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from bot.sandbox.emulator import TelegramEmulator
from bot.sandbox.people import Customer, StaffGroup
from storage.db import inline_driver
from tests.conftest import FakeClock, Launch


async def test_weekly_report_is_posted_to_admins_on_monday_morning(
    launch: Launch,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
    clock: FakeClock,
) -> None:
    admin = make_customer("Админ")
    clock.current = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)  # Wednesday of 2026-W47
    bot = await launch(admin_ids=[admin.id])
    alice = make_customer("Алиса")
    olga = staff.operator("Ольга")
    alice.send("сколько стоит доставка?")
    await alice.receives("Сроки и стоимость доставки")
    await bot.settled()  # the clock moves only once the bot has finished with the update
    clock.advance(hours=2)  # a new conversation: more than the 30-minute gap
    alice.send("/operator")
    await alice.receives("обращение #1")
    topic = await staff.new_topic()
    await bot.settled()
    clock.advance(minutes=12)
    olga.says_in(topic.thread_id, "Здравствуйте! Сейчас посмотрю.")
    await alice.receives("Сейчас посмотрю")
    await bot.settled()
    clock.advance(hours=1)
    olga.says_in(topic.thread_id, "/close")
    rating = await alice.receives("Оцените")
    alice.press("4", rating)
    await alice.receives("пару слов")
    await bot.settled()

    reporter = bot.app.reporter
    clock.current = datetime(2026, 11, 23, 5, 59, tzinfo=UTC)  # Monday 08:59 in Moscow
    assert await reporter.check() is None
    clock.current = datetime(2026, 11, 23, 6, 1, tzinfo=UTC)  # 09:01
    week = await reporter.check()
    assert week is not None and week.label == "2026-W47"
    summary = await admin.receives("Поддержка, неделя 2026-W47")
    text = summary["text"]
    assert "Обращений: 2 (клиентов: 1)" in text
    assert "Бот решил сам: 50.0% · передано операторам: 50.0%" in text
    assert "Первый ответ: медиана 12 мин, p90 12 мин" in text
    assert "Решение: медиана 1.2 ч" in text  # 12 minutes + 1 hour
    assert "CSAT: 4 (1 оценка) · нарушения SLA: 0.0%" in text
    # The request for a person follows the delivery question: both contacts are about delivery.
    assert "1. Заказы → Доставка → Сроки и стоимость — 2" in text
    workbook = await admin.receives(where=lambda m: "document" in m)
    assert workbook["document"]["file_name"] == "frontline-2026-W47.xlsx"
    photos = await emulator.wait_until(
        lambda: [m for m in admin.messages() if "photo" in m and m.get("media_group_id")]
    )
    assert len(photos) == 4
    assert await reporter.check() is None  # posted once


async def test_stats_on_demand_for_admins_only(
    launch: Launch, make_customer: Callable[..., Customer], clock: FakeClock
) -> None:
    admin = make_customer("Admin", language_code="en")
    await launch(admin_ids=[admin.id])
    admin.send("/stats 2026-W46")
    await admin.receives("Готовлю статистику за 2026-W46")
    await admin.receives("неделя 2026-W46")
    await admin.receives(where=lambda m: "document" in m)
    admin.send("/stats 46")
    await admin.receives("Не понял неделю 46")
    mallory = make_customer("Mallory", language_code="en")
    mallory.send("/stats")
    reply = await mallory.receives()
    assert "неделя" not in reply["text"] and "week" not in reply["text"].lower()


async def test_reports_query_off_the_event_loop_thread(launch: Launch) -> None:
    """On SQLite the bot's statements run on the loop's thread; an export's queries take
    seconds over a big log, so the reporter has its own pool on aiosqlite's thread."""
    bot = await launch()
    app = bot.app
    async with app.reporter.sessionmaker() as session:
        reports = session.bind
    if app.engine.dialect.name == "sqlite":
        assert inline_driver(app.engine) is not None
        assert reports is app.reports_engine and inline_driver(app.reports_engine) is None
    else:  # Postgres (asyncpg) never blocks the loop: one pool for all
        assert reports is app.engine
