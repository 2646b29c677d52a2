"""Weekly export over a large contact log: Frontline's export vs the same aggregation in
pandas and DuckDB, on the same data in the same run.

    .venv/bin/pip install -e ".[bench]"
    .venv/bin/python bench/stats_export.py [--contacts 1000000] [--db /tmp/frontline-bench.db]

Generates a year of contacts (tickets for a fifth of them, KB events) into an SQLite file
through the project's own migrations, then times:
  1. `stats.export.export_week` for one week (metrics + JSON + CSV + XLSX + PNG + HTML);
  2. the same core aggregation (volume by day, categories, containment, first-reply and
     resolution percentiles) in pandas, after loading the tables, and in DuckDB over those frames.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stats.export import export_week  # noqa: E402
from stats.metrics import StatsConfig, Week  # noqa: E402
from storage.db import make_engine, make_sessionmaker  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

MSK = ZoneInfo("Europe/Moscow")
FMT = "%Y-%m-%d %H:%M:%S.%f"
PATHS = [
    ("Заказы", "Доставка", "Сроки и стоимость"),
    ("Заказы", "Статус заказа", "Отслеживание"),
    ("Заказы", "Возвраты", "Возврат товара"),
    ("Оплата", "Ошибка оплаты", "Платёж не прошёл"),
    ("Оплата", "Способы оплаты", "Доступные способы"),
    ("Аккаунт", "Вход", "Восстановление доступа"),
    ("Сайт и приложение", "Техническая неисправность", "Сайт не работает"),
    ("Товары", "Информация о товаре", "Наличие и характеристики"),
    (None, None, None),
]
WEEK = "2026-W47"


def stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime(FMT)


async def prepare(url: str) -> None:
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()


def generate(db: Path, contacts: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    end = Week.parse(WEEK, MSK).end
    start = end - timedelta(days=364)
    span = (end - start).total_seconds()
    customers = max(1, contacts // 4)
    con = sqlite3.connect(db)
    now = stamp(start)
    con.executemany(
        "INSERT INTO customers (id, telegram_id, first_name, language, is_blocked, is_banned,"
        " created_at, last_seen_at) VALUES (?, ?, 'c', 'ru', 0, 0, ?, ?)",
        ((i, 10_000_000 + i, now, now) for i in range(1, customers + 1)),
    )
    tickets = []
    rows = []
    ticket_id = 0
    for cid in range(1, contacts + 1):
        when = start + timedelta(seconds=rng.random() * span)
        path = rng.choice(PATHS)
        customer = rng.randint(1, customers)
        tid = None
        if rng.random() < 0.2:
            ticket_id += 1
            tid = ticket_id
            reply = when + timedelta(minutes=rng.expovariate(1 / 15))
            closed = reply + timedelta(hours=rng.expovariate(1 / 3))
            tickets.append(
                (
                    tid,
                    customer,
                    "closed",
                    "asked_for_operator",
                    stamp(when),
                    stamp(reply),
                    stamp(closed),
                    rng.choice([None, 1, 2, 3, 4, 5, 5, 5]),
                    stamp(closed + timedelta(minutes=5)),
                    *path,
                    "normal",
                    stamp(when + timedelta(minutes=30)),
                    0,
                )
            )
        rows.append(
            (
                cid,
                customer,
                stamp(when),
                stamp(when),
                1,
                *path,
                tid,
                "asked_for_operator" if tid else None,
            )
        )
    con.executemany(
        "INSERT INTO tickets (id, customer_id, status, reason, opened_at, first_reply_at,"
        " closed_at, rating, rated_at, category1, category2, category3, priority, sla_due_at,"
        " reopened, sla_warned, sla_breached) VALUES"
        " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)",
        tickets,
    )
    con.executemany(
        "INSERT INTO contacts (id, customer_id, started_at, last_at, messages, category1,"
        " category2, category3, ticket_id, escalation_reason) VALUES (?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    con.executemany(
        "INSERT INTO events (type, customer_id, data, created_at) VALUES ('kb_miss', ?, ?, ?)",
        (
            (
                rng.randint(1, customers),
                f'{{"question": "вопрос {rng.randint(1, 300)}"}}',
                stamp(start + timedelta(seconds=rng.random() * span)),
            )
            for _ in range(contacts // 10)
        ),
    )
    con.commit()
    con.close()


async def time_export(url: str, out: Path) -> tuple[float, int]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            began = time.perf_counter()
            export = await export_week(
                session, Week.parse(WEEK, MSK), out, StatsConfig(), datetime.now(UTC)
            )
            return time.perf_counter() - began, export.summary["contacts"]["total"]
    finally:
        await engine.dispose()


def time_pandas_duckdb(db: Path) -> dict[str, float]:
    import duckdb
    import pandas as pd

    week = Week.parse(WEEK, MSK)
    lo, hi = stamp(week.start), stamp(week.end)
    con = sqlite3.connect(db)
    began = time.perf_counter()
    contacts = pd.read_sql("SELECT * FROM contacts", con, parse_dates=["started_at"])
    tickets = pd.read_sql(
        "SELECT * FROM tickets", con, parse_dates=["opened_at", "first_reply_at", "closed_at"]
    )
    loaded = time.perf_counter() - began
    con.close()

    began = time.perf_counter()
    c = contacts[(contacts.started_at >= lo) & (contacts.started_at < hi)]
    local = c.started_at.dt.tz_localize("UTC").dt.tz_convert(MSK)
    _per_day = local.dt.date.value_counts()
    _cats = c.groupby(["category1", "category2", "category3"], dropna=False).size()
    _containment = c.ticket_id.isna().mean()
    t = tickets[(tickets.opened_at >= lo) & (tickets.opened_at < hi)]
    _frt = ((t.first_reply_at - t.opened_at).dt.total_seconds() / 60).quantile([0.5, 0.9])
    closed = tickets[(tickets.closed_at >= lo) & (tickets.closed_at < hi)]
    _res = ((closed.closed_at - closed.opened_at).dt.total_seconds() / 3600).quantile([0.5, 0.9])
    pandas_time = time.perf_counter() - began

    duck = duckdb.connect()
    duck.register("contacts", contacts)
    duck.register("tickets", tickets)
    began = time.perf_counter()
    duck.execute(
        "SELECT CAST(started_at AS DATE), count(*) FROM contacts"
        " WHERE started_at >= ? AND started_at < ? GROUP BY 1",
        [
            week.start.astimezone(UTC).replace(tzinfo=None),
            week.end.astimezone(UTC).replace(tzinfo=None),
        ],
    ).fetchall()
    duck.execute(
        "SELECT category1, category2, category3, count(*), avg(CASE WHEN ticket_id IS NULL"
        " THEN 1 ELSE 0 END) FROM contacts WHERE started_at >= ? AND started_at < ?"
        " GROUP BY ALL",
        [
            week.start.astimezone(UTC).replace(tzinfo=None),
            week.end.astimezone(UTC).replace(tzinfo=None),
        ],
    ).fetchall()
    duck.execute(
        "SELECT quantile_disc(epoch(first_reply_at - opened_at) / 60, [0.5, 0.9]),"
        " quantile_disc(epoch(closed_at - opened_at) / 3600, [0.5, 0.9]) FROM tickets"
        " WHERE opened_at >= ? AND opened_at < ?",
        [
            week.start.astimezone(UTC).replace(tzinfo=None),
            week.end.astimezone(UTC).replace(tzinfo=None),
        ],
    ).fetchall()
    duck_time = time.perf_counter() - began
    return {"load_tables": loaded, "pandas_aggregate": pandas_time, "duckdb_aggregate": duck_time}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/frontline-bench.db"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/frontline-bench-export"))
    parser.add_argument("--reuse", action="store_true", help="keep an existing database")
    args = parser.parse_args()
    url = f"sqlite+aiosqlite:///{args.db}"
    if not (args.reuse and args.db.exists()):
        args.db.unlink(missing_ok=True)
        asyncio.run(prepare(url))
        began = time.perf_counter()
        generate(args.db, args.contacts)
        print(f"generated {args.contacts:,} contacts in {time.perf_counter() - began:.1f} s")
    seconds, week_contacts = asyncio.run(time_export(url, args.out))
    print(f"Frontline export of {WEEK} ({week_contacts:,} contacts that week): {seconds:.2f} s")
    other = time_pandas_duckdb(args.db)
    print(
        f"pandas: load both tables {other['load_tables']:.2f} s, "
        f"aggregate the week {other['pandas_aggregate']:.3f} s"
    )
    print(f"DuckDB over the loaded frames: aggregate the week {other['duckdb_aggregate']:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
