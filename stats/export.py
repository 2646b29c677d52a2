"""Write a week's statistics: summary.json, a CSV per table, one XLSX workbook, PNG charts and
an HTML page that shows them together."""

from __future__ import annotations

import asyncio
import csv
import html
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stats.metrics import SEP, StatsConfig, Week, WeekData, summary

Table = tuple[list[str], list[list[Any]]]
STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:1100px}"
    ".figs{display:flex;flex-wrap:wrap;gap:1em}"
    ".fig{border:1px solid #ccc;border-radius:6px;padding:.6em 1em;min-width:9em}"
    ".fig b{display:block;font-size:1.5em}img{max-width:540px;margin:.5em}"
    "table{border-collapse:collapse;margin-bottom:1em}"
    "td,th{border:1px solid #ddd;padding:3px 8px}"
)
Progress = Callable[[str], None]


@dataclass
class Export:
    directory: Path
    summary: dict[str, Any]
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def workbook(self) -> Path:
        return self.files["workbook"]

    @property
    def charts(self) -> list[Path]:
        return [p for name, p in sorted(self.files.items()) if name.startswith("chart_")]


def _local(value: datetime | None, week: Week) -> str:
    return value.astimezone(week.zone).strftime("%Y-%m-%d %H:%M") if value else ""


LINE_COLUMNS = (
    "group",
    "chat_id",
    "tickets_opened",
    "first_reply_p50_minutes",
    "first_reply_p90_minutes",
    "unanswered",
    "tickets_closed",
    "resolution_p50_hours",
    "csat_average",
    "sla_breached",
    "transfers_in",
    "transfers_out",
)


def tables(result: dict[str, Any], data: WeekData) -> dict[str, Table]:
    week = data.week
    level1 = [row["category"] for row in result["categories"]["level1"]]
    daily: dict[str, Counter[str]] = {d.isoformat(): Counter() for d in week.days()}
    for c in data.contacts:
        daily[c.started_at.astimezone(week.zone).date().isoformat()][c.path[0]] += 1
    tickets = {t.id: t for t in [*data.tickets_opened, *data.tickets_closed]}
    return {
        "contacts": (
            [
                "id",
                "started_at",
                "customer_id",
                "area",
                "type",
                "topic",
                "intent",
                "ticket_id",
                "escalation_reason",
            ],
            [
                [
                    c.id,
                    _local(c.started_at, week),
                    c.customer_id,
                    *c.path,
                    c.intent or "",
                    c.ticket_id or "",
                    c.reason or "",
                ]
                for c in data.contacts
            ],
        ),
        "tickets": (
            [
                "id",
                "opened_at",
                "first_reply_at",
                "closed_at",
                "status",
                "priority",
                "area",
                "type",
                "topic",
                "assignee",
                "rating",
                "sla_due_at",
                "reopened",
            ],
            [
                [
                    t.id,
                    _local(t.opened_at, week),
                    _local(t.first_reply_at, week),
                    _local(t.closed_at, week),
                    t.status,
                    t.priority,
                    t.category1 or "",
                    t.category2 or "",
                    t.category3 or "",
                    t.assignee_name or "",
                    t.rating or "",
                    _local(t.sla_due_at, week),
                    t.reopened,
                ]
                for t in sorted(tickets.values(), key=lambda t: t.id)
            ],
        ),
        "daily_volume": (
            ["date", "contacts", "unique_customers", *level1],
            [
                [
                    day,
                    result["contacts"]["per_day"][day],
                    result["contacts"]["unique_customers_per_day"][day],
                    *[counts.get(name, 0) for name in level1],
                ]
                for day, counts in daily.items()
            ],
        ),
        "hourly_volume": (
            ["hour", "contacts", "unique_customers"],
            [
                [int(h), n, result["contacts"]["unique_customers_per_hour"][h]]
                for h, n in result["contacts"]["per_hour"].items()
            ],
        ),
        "categories": (
            ["level", "category", "contacts"],
            [
                [int(level[-1]), row["category"], row["contacts"]]
                for level, rows in result["categories"].items()
                for row in rows
            ],
        ),
        "top_reasons": (
            [
                "category",
                "contacts",
                "tickets",
                "tickets_closed",
                "operator_hours",
                "average_hours",
                "cost",
            ],
            [
                [
                    r[k]
                    for k in (
                        "category",
                        "contacts",
                        "tickets",
                        "tickets_closed",
                        "operator_hours",
                        "average_hours",
                        "cost",
                    )
                ]
                for r in result["top_reasons"]
            ],
        ),
        "resolution_by_category": (
            ["category", "tickets", "p50_hours", "p90_hours"],
            [
                [name, s["count"], s["p50"], s["p90"]]
                for name, s in result["resolution_hours"]["by_category"].items()
            ],
        ),
        "csat": (
            ["score", "ratings"],
            [[int(s), n] for s, n in result["csat"]["distribution"].items()],
        ),
        "lines": (
            list(LINE_COLUMNS),
            [[row[k] for k in LINE_COLUMNS] for row in result["lines"]],
        ),
        "growth": (
            ["category", "this_week", "last_week", "change_percent", "alert"],
            [
                [r["category"], r["this_week"], r["last_week"], r["change_percent"], r["alert"]]
                for r in result["growth"]
            ],
        ),
        "kb_gaps": (
            ["kind", "item", "count"],
            [
                ["unanswered", q["question"], q["count"]]
                for q in result["kb_gaps"]["unanswered_questions"]
            ]
            + [
                ["disliked_article", a["article"], a["count"]]
                for a in result["kb_gaps"]["disliked_articles"]
            ],
        ),
    }


# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """OWASP's rule for CSV injection: a text cell that a spreadsheet would read as a formula
    gets a leading apostrophe (shown as text, the formula never runs). Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_csv(path: Path, table: Table) -> None:
    header, rows = table
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([csv_cell(h) for h in header])
        writer.writerows([csv_cell(v) for v in row] for row in rows)


def write_xlsx(path: Path, all_tables: dict[str, Table]) -> None:
    # XlsxWriter streams rows (constant memory) and is several times faster than openpyxl here.
    import xlsxwriter  # only when exporting, not at the bot's start

    # Customer text is always a string cell: never a formula, a URL or a number it looks like.
    options = {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
    }
    book = xlsxwriter.Workbook(str(path), options)
    try:
        for name, (header, rows) in all_tables.items():
            sheet = book.add_worksheet(name[:31])
            sheet.write_row(0, 0, header)
            for index, row in enumerate(rows, start=1):
                sheet.write_row(index, 0, row)
    finally:
        book.close()


def _figure(label: str, value: Any) -> str:
    shown = "—" if value is None else value
    return f"<div class=fig><b>{html.escape(str(shown))}</b><span>{html.escape(label)}</span></div>"


def _html_table(table: Table, limit: int = 50) -> str:
    header, rows = table
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in rows[:limit]
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def write_html(
    path: Path, result: dict[str, Any], all_tables: dict[str, Table], chart_files: list[Path]
) -> None:
    c, cont = result["contacts"], result["containment"]
    figures = "".join(
        [
            _figure("contacts", c["total"]),
            _figure("unique customers", c["unique_customers"]),
            _figure("bot containment", cont["containment_rate"]),
            _figure("escalation rate", cont["escalation_rate"]),
            _figure("first reply p50, min", result["first_reply_minutes"]["p50"]),
            _figure("resolution p50, h", result["resolution_hours"]["p50"]),
            _figure("FCR", result["fcr"]["rate"]),
            _figure("repeat within 7 days", result["repeat_7d"]["rate"]),
            _figure("CSAT", result["csat"]["average"]),
            _figure("SLA breaches", result["sla"]["breach_rate"]),
            _figure(f"cost, {result['cost']['currency']}", result["cost"]["total"]),
        ]
    )
    alerts = "".join(f"<li>{html.escape(a)}</li>" for a in result["alerts"]) or "<li>none</li>"
    images = "".join(
        f'<img src="{html.escape(p.name)}" alt="{html.escape(p.stem)}">' for p in chart_files
    )
    sections = "".join(
        f"<h2>{html.escape(name.replace('_', ' '))}</h2>{_html_table(table)}"
        for name, table in all_tables.items()
        if name not in ("contacts", "tickets")
    )
    path.write_text(
        f"""<!doctype html><html lang=en><meta charset=utf-8>
<title>Frontline — week {html.escape(result["week"])}</title>
<style>{STYLE}</style>
<h1>Support week {html.escape(result["week"])}</h1>
<p>{html.escape(result["period"]["start"])} — {html.escape(result["period"]["end"])}</p>
<div class=figs>{figures}</div><h2>alerts</h2><ul>{alerts}</ul>{images}{sections}
</html>
""",
        encoding="utf-8",
    )


async def export_week(
    session: AsyncSession,
    week: Week,
    out_dir: Path,
    config: StatsConfig,
    as_of: datetime,
    progress: Progress = lambda _msg: None,
) -> Export:
    progress(f"[1/5] computing metrics for {week.label}")
    result, data = await summary(session, week, config, as_of)
    # Files and charts are blocking work: off the event loop, so the bot keeps answering.
    return await asyncio.to_thread(write_all, result, data, out_dir / week.label, progress)


def write_all(
    result: dict[str, Any], data: WeekData, directory: Path, progress: Progress
) -> Export:
    directory.mkdir(parents=True, exist_ok=True)
    export = Export(directory, result)
    week = data.week
    progress(f"[2/5] writing summary.json and CSV ({len(data.contacts)} contacts)")
    summary_path = directory / "summary.json"
    summary_path.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    export.files["summary"] = summary_path
    all_tables = tables(result, data)
    for name, table in all_tables.items():
        path = directory / f"{name}.csv"
        write_csv(path, table)
        export.files[f"csv_{name}"] = path
    progress("[3/5] writing the XLSX workbook")
    workbook = directory / f"frontline-{week.label}.xlsx"
    write_xlsx(workbook, all_tables)
    export.files["workbook"] = workbook
    progress("[4/5] drawing charts")
    # matplotlib takes most of a second to import: the bot loads it at its first export.
    from stats import charts

    for name, path in charts.draw_all(result, all_tables, directory).items():
        export.files[f"chart_{name}"] = path
    progress("[5/5] writing the HTML page")
    page = directory / "index.html"
    write_html(page, result, all_tables, export.charts)
    export.files["html"] = page
    return export


__all__ = ["SEP", "Export", "export_week"]
