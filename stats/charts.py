"""PNG charts for the weekly export (matplotlib, no display needed).

Every chart shows the week's seven days (or the five ratings) whether or not they have data,
labels its axes with units, uses whole numbers for counts, and says "No data for this week"
across an empty chart instead of drawing bare axes.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

# The object API, not pyplot: no global figure state, so exports may run in threads at once,
# and no display is needed.
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

Table = tuple[list[str], list[list[Any]]]
NO_DATA = "No data for this week"
LABEL_LIMIT = 42  # characters of a category path on the top-reasons chart


def _day_label(day: str) -> str:
    return date.fromisoformat(day).strftime("%a %d.%m")


def _no_data(ax: Any) -> None:
    ax.text(0.5, 0.5, NO_DATA, ha="center", va="center", fontsize=14, color="#777777",
            transform=ax.transAxes)  # fmt: skip
    ax.set_yticks([])


def _counts(ax: Any, axis: str = "y") -> None:
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_locator(MaxNLocator(integer=True))


def short_path(path: str, limit: int = LABEL_LIMIT) -> str:
    """A category path that fits a label: the first level and the last kept whole where they
    can be, the middle elided."""
    if len(path) <= limit:
        return path
    parts = path.split(" → ")
    if len(parts) >= 3:
        ends = f"{parts[0]} → … → {parts[-1]}"
        if len(ends) <= limit:
            return ends
    return path[: limit - 1] + "…"


def daily_volume(table: Table) -> Figure:
    header, rows = table
    positions = range(len(rows))
    fig = Figure(figsize=(8, 4))
    ax = fig.subplots()
    bottom = [0.0] * len(rows)
    for column, name in enumerate(header[3:], start=3):
        values = [float(r[column]) for r in rows]
        ax.bar(positions, values, bottom=bottom, label=name)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_xticks(list(positions), [_day_label(str(r[0])) for r in rows])
    ax.set_xlim(-0.5, len(rows) - 0.5)
    ax.set_title("Contacts per day by category")
    ax.set_xlabel("Day")
    ax.set_ylabel("Contacts")
    if not any(float(r[1]) for r in rows):
        _no_data(ax)
    else:
        _counts(ax)
        if len(header) > 3:
            ax.legend(fontsize=7)
    return fig


def first_reply_trend(result: dict[str, Any]) -> Figure:
    by_day: dict[str, float | None] = result["first_reply_minutes"]["p50_by_day"]
    positions = list(range(len(by_day)))
    values = [v if v is not None else float("nan") for v in by_day.values()]
    fig = Figure(figsize=(8, 4))
    ax = fig.subplots()
    ax.plot(positions, values, marker="o")
    ax.set_xticks(positions, [_day_label(day) for day in by_day])
    ax.set_xlim(-0.5, len(positions) - 0.5)
    ax.set_title("First reply time, median per day")
    ax.set_xlabel("Day")
    ax.set_ylabel("Minutes (median)")
    if all(v is None for v in by_day.values()):
        _no_data(ax)
    else:
        ax.set_ylim(bottom=0)
    return fig


def csat_distribution(result: dict[str, Any]) -> Figure:
    dist = result["csat"]["distribution"]
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.bar([str(k) for k in dist], [int(v) for v in dist.values()], color="#f2b134")
    ax.set_title("CSAT ratings")
    ax.set_xlabel("Rating (1 = bad, 5 = excellent)")
    ax.set_ylabel("Ratings")
    if not any(int(v) for v in dist.values()):
        _no_data(ax)
    else:
        _counts(ax)
    return fig


def top_reasons(result: dict[str, Any]) -> Figure:
    reasons = result["top_reasons"]
    fig = Figure(figsize=(9, 4))
    ax = fig.subplots()
    ax.set_title("Top-5 reasons")
    ax.set_xlabel("Contacts")
    if not reasons:
        _no_data(ax)
        ax.set_xticks([])
        return fig
    labels = [short_path(r["category"]) for r in reasons][::-1]
    ax.barh(labels, [r["contacts"] for r in reasons][::-1])
    _counts(ax, "x")
    return fig


def figures(result: dict[str, Any], tables: dict[str, Table]) -> dict[str, tuple[str, Figure]]:
    """Each chart with the file name it is saved under."""
    return {
        "daily_volume": ("daily_volume.png", daily_volume(tables["daily_volume"])),
        "first_reply": ("first_reply_trend.png", first_reply_trend(result)),
        "csat": ("csat.png", csat_distribution(result)),
        "top_reasons": ("top_reasons.png", top_reasons(result)),
    }


def draw_all(result: dict[str, Any], tables: dict[str, Table], directory: Path) -> dict[str, Path]:
    paths = {}
    for name, (filename, fig) in figures(result, tables).items():
        fig.tight_layout()
        fig.savefig(directory / filename, dpi=100)
        paths[name] = directory / filename
    return paths
