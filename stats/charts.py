"""PNG charts for the weekly export (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# The object API, not pyplot: no global figure state, so exports may run in threads at once,
# and no display is needed.
from matplotlib.figure import Figure

Table = tuple[list[str], list[list[Any]]]


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


def daily_volume(table: Table, path: Path) -> Path:
    header, rows = table
    days = [str(r[0])[5:] for r in rows]
    fig = Figure(figsize=(8, 4))
    ax = fig.subplots()
    bottom = [0.0] * len(rows)
    for column, name in enumerate(header[3:], start=3):
        values = [float(r[column]) for r in rows]
        ax.bar(days, values, bottom=bottom, label=name)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    if len(header) == 3:
        ax.bar(days, [float(r[1]) for r in rows])
    ax.set_title("Contacts per day by category")
    if len(header) > 3:
        ax.legend(fontsize=7)
    return _save(fig, path)


def first_reply_trend(result: dict[str, Any], path: Path) -> Path:
    by_day = result["first_reply_minutes"]["p50_by_day"]
    days = [d[5:] for d in by_day]
    values = [v if v is not None else float("nan") for v in by_day.values()]
    fig = Figure(figsize=(8, 4))
    ax = fig.subplots()
    ax.plot(days, values, marker="o")
    ax.set_title("First reply time, median per day (minutes)")
    return _save(fig, path)


def csat_distribution(result: dict[str, Any], path: Path) -> Path:
    dist = result["csat"]["distribution"]
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.bar(list(dist), [int(v) for v in dist.values()], color="#f2b134")
    ax.set_title("CSAT ratings")
    return _save(fig, path)


def top_reasons(result: dict[str, Any], path: Path) -> Path:
    reasons = result["top_reasons"]
    fig = Figure(figsize=(8, 4))
    ax = fig.subplots()
    labels = [r["category"].split(" → ")[-1][:30] for r in reasons][::-1]
    ax.barh(labels, [r["contacts"] for r in reasons][::-1])
    ax.set_title("Top-5 reasons (contacts)")
    return _save(fig, path)


def draw_all(result: dict[str, Any], tables: dict[str, Table], directory: Path) -> dict[str, Path]:
    return {
        "daily_volume": daily_volume(tables["daily_volume"], directory / "daily_volume.png"),
        "first_reply": first_reply_trend(result, directory / "first_reply_trend.png"),
        "csat": csat_distribution(result, directory / "csat.png"),
        "top_reasons": top_reasons(result, directory / "top_reasons.png"),
    }
