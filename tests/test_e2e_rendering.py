"""Text shown where it goes: customer names cannot rearrange topic titles or cards, HTML only
where the message is sent as HTML, staff texts translated, plurals by the language's rules."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.sandbox.people import Customer, StaffGroup
from common.i18n import Translator
from stats.report import summary_text
from tests.conftest import Launch, RunningBot
from tests.test_e2e_kb_admin import copy_kb

RLO = "\u202e"


async def test_a_bidi_override_in_a_name_cannot_reverse_the_topic_title_or_card(
    bot: RunningBot, make_customer: Callable[..., Customer], staff: StaffGroup
) -> None:
    mallory = make_customer(f"Mal{RLO}lory\u2066", last_name="\u200fX")
    mallory.send(f"/operator {RLO}отзовите платёж")
    topic = await staff.new_topic(name="#1")
    card = await staff.receives_in(topic.thread_id, "#1")
    for text in (topic.name, card["text"]):
        assert not any(ch in text for ch in (RLO, "\u2066", "\u200f")), repr(text)
    assert "Mallory X" in topic.name and "Mallory X" in card["text"]


async def test_kb_not_found_shows_the_operator_exactly_what_they_typed(
    bot: RunningBot, make_customer: Callable[..., Customer], staff: StaffGroup
) -> None:
    alice = make_customer()
    olga = staff.operator("Ольга")
    alice.send("/operator")
    topic = await staff.new_topic(name="Алиса")
    olga.says_in(topic.thread_id, "/kb <b>zzz</b>")
    reply = await staff.receives_in(topic.thread_id, "zzz")
    assert "<b>zzz</b>" in reply["text"] and "&lt;" not in reply["text"]


async def test_the_card_says_the_order_status_in_the_staff_language(
    bot: RunningBot, make_customer: Callable[..., Customer], staff: StaffGroup
) -> None:
    alice = make_customer()
    alice.send("где мой заказ 123456?")
    await alice.receives("Заказ №123456")
    alice.send("позовите оператора")
    topic = await staff.new_topic(name="Алиса")
    card = await staff.receives_in(topic.thread_id, "№123456")
    assert "№123456 — передан в доставку" in card["text"], card["text"]
    assert "shipped" not in card["text"]


async def test_admin_notices_come_in_each_admins_own_language(
    launch: Launch, make_customer: Callable[..., Customer], tmp_path: Path
) -> None:
    kb_dir = copy_kb(tmp_path)
    john = make_customer("John", language_code="en")
    anna = make_customer("Анна", language_code="ru")
    bot = await launch(kb_dir=kb_dir, admin_ids=[john.id, anna.id])
    for admin in (john, anna):
        admin.send("/start")  # the bot learns their language
        await admin.receives("")
    await bot.settled()
    article = kb_dir / "ru" / "delivery.md"
    article.write_text(article.read_text(encoding="utf-8").replace("id: ", "idd: ", 1))
    await bot.app.kb_watcher.check()
    assert "NOT reloaded" in (await john.receives("NOT reloaded"))["text"]
    assert "НЕ обновлена" in (await anna.receives("НЕ обновлена"))["text"]
    john.send("/reload")
    assert "1 problem:" in (await john.receives("problem:"))["text"]


def test_counts_take_the_plural_form_of_their_language() -> None:
    translator = Translator()
    week = {
        "week": "2026-W47",
        "contacts": {"total": 3, "unique_customers": 2},
        "containment": {"containment_rate": 0.5, "escalation_rate": 0.5},
        "first_reply_minutes": {"p50": 1, "p90": 2},
        "resolution_hours": {"p50": 1, "p90": 2},
        "fcr": {"rate": 1.0},
        "repeat_7d": {"rate": 0.0},
        "sla": {"breach_rate": 0.0},
        "cost": {"total": 0, "currency": "₽"},
        "top_reasons": [],
        "lines": [],
        "transfers": 0,
        "alerts": [],
    }

    def csat(language: str, count: int) -> str:
        text = summary_text(
            translator.texts(language), {**week, "csat": {"average": 4, "count": count}}
        )
        return text.split("CSAT: 4 (")[1].split(")")[0]

    assert [csat("ru", n) for n in (1, 2, 5, 21)] == [
        "1 оценка", "2 оценки", "5 оценок", "21 оценка"
    ]  # fmt: skip
    assert [csat("en", n) for n in (1, 2)] == ["1 rating", "2 ratings"]
