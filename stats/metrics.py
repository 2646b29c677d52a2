"""The weekly metrics, defined in docs/metrics.md, computed with SQL over the contact log.

Every function takes the week's bounds (UTC instants of local Monday 00:00) so that days and
hours are the desk's local ones. Percentiles use the nearest-rank method: the value at rank
ceil(p * n) of the sorted sample, so every figure is one that actually occurred.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, Event, Ticket

REPEAT_WINDOW = timedelta(days=7)
TOP_REASONS = 5
KB_GAPS = 10
SEP = " → "


@dataclass(frozen=True)
class Week:
    year: int
    number: int
    zone: ZoneInfo

    @classmethod
    def parse(cls, text: str, zone: ZoneInfo) -> Week:
        """'2026-W47' (ISO week)."""
        try:
            year_s, week_s = text.upper().split("-W")
            year, number = int(year_s), int(week_s)
            date.fromisocalendar(year, number, 1)
        except ValueError:
            raise ValueError(f"bad week {text!r}: expected YYYY-Www, e.g. 2026-W47") from None
        return cls(year, number, zone)

    @classmethod
    def containing(cls, instant: datetime, zone: ZoneInfo) -> Week:
        iso = instant.astimezone(zone).isocalendar()
        return cls(iso.year, iso.week, zone)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def start(self) -> datetime:
        return datetime.combine(
            date.fromisocalendar(self.year, self.number, 1), datetime.min.time(), self.zone
        )

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=7)

    def previous(self) -> Week:
        return Week.containing(self.start - timedelta(days=1), self.zone)

    def days(self) -> list[date]:
        first = self.start.date()
        return [first + timedelta(days=i) for i in range(7)]


@dataclass
class StatsConfig:
    default_category: tuple[str, str, str] = ("Прочее", "Общие вопросы", "Без темы")
    growth_alert_percent: float = 25.0
    hourly_cost: float = 1500.0
    roles_involved: int = 1
    currency: str = "₽"
    # The staff groups (lines) by chat id, the default first: tickets from before several
    # groups existed count in the default one.
    groups: dict[int, str] = field(default_factory=dict)


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..1); None for an empty sample."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p * len(ordered)))
    return round(ordered[rank - 1], 4)


def spread(values: Sequence[float]) -> dict[str, Any]:
    return {"count": len(values), "p50": percentile(values, 0.5), "p90": percentile(values, 0.9)}


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class ContactRow:
    id: int
    customer_id: int
    started_at: datetime
    path: tuple[str, str, str]
    intent: str | None
    ticket_id: int | None
    reason: str | None


@dataclass
class WeekData:
    """The week's rows, read once; every metric is computed from these."""

    week: Week
    contacts: list[ContactRow] = field(default_factory=list)
    tickets_opened: list[Ticket] = field(default_factory=list)
    tickets_closed: list[Ticket] = field(default_factory=list)
    tickets_rated: list[Ticket] = field(default_factory=list)
    repeats: set[int] = field(default_factory=set)  # contacts with a same-topic one 7 days before
    followed: set[int] = field(default_factory=set)  # contacts with a same-topic one 7 days after
    previous_week: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    contact_tickets: dict[int, Ticket] = field(default_factory=dict)  # the contacts' tickets
    transfers: list[Event] = field(default_factory=list)  # tickets moved between groups


def _path(
    config: StatsConfig, c1: str | None, c2: str | None, c3: str | None
) -> tuple[str, str, str]:
    if c1 is None:
        return config.default_category
    return (c1, c2 or "—", c3 or "—")


async def _contacts(
    session: AsyncSession, start: datetime, end: datetime, config: StatsConfig
) -> list[ContactRow]:
    rows = await session.execute(
        select(
            Contact.id,
            Contact.customer_id,
            Contact.started_at,
            Contact.category1,
            Contact.category2,
            Contact.category3,
            Contact.intent,
            Contact.ticket_id,
            Contact.escalation_reason,
        )
        .where(Contact.started_at >= start, Contact.started_at < end)
        .order_by(Contact.started_at, Contact.id)
    )
    return [
        ContactRow(r[0], r[1], r[2], _path(config, r[3], r[4], r[5]), r[6], r[7], r[8])
        for r in rows.all()
    ]


def _same_topic_neighbours(
    week_contacts: list[ContactRow], around: list[ContactRow]
) -> tuple[set[int], set[int]]:
    """Ids of the week's contacts that have another contact of the same customer and topic
    within 7 days before them (repeats) and after them (not resolved at first contact).

    `around` holds every contact from 7 days before the week to 7 days after it; grouping by
    customer and topic keeps this linear in the number of contacts.
    """
    timeline: dict[tuple[int, tuple[str, str, str]], list[datetime]] = {}
    for c in around:
        timeline.setdefault((c.customer_id, c.path), []).append(c.started_at)
    for times in timeline.values():
        times.sort()
    before: set[int] = set()
    after: set[int] = set()
    for c in week_contacts:
        times = timeline[(c.customer_id, c.path)]
        i = bisect_left(times, c.started_at)
        if i > 0 and c.started_at - times[i - 1] <= REPEAT_WINDOW:
            before.add(c.id)
        j = bisect_right(times, c.started_at)
        if j < len(times) and times[j] - c.started_at <= REPEAT_WINDOW:
            after.add(c.id)
    return before, after


async def load_week(session: AsyncSession, week: Week, config: StatsConfig) -> WeekData:
    start, end = week.start, week.end
    data = WeekData(week)
    # One read covers the week, the week before (growth) and 7 days either side (repeats).
    around = await _contacts(session, start - REPEAT_WINDOW, end + REPEAT_WINDOW, config)
    data.contacts = [c for c in around if start <= c.started_at < end]
    data.tickets_opened = list(
        (
            await session.scalars(
                select(Ticket).where(Ticket.opened_at >= start, Ticket.opened_at < end)
            )
        ).all()
    )
    data.tickets_closed = list(
        (
            await session.scalars(
                select(Ticket).where(Ticket.closed_at >= start, Ticket.closed_at < end)
            )
        ).all()
    )
    data.tickets_rated = list(
        (
            await session.scalars(
                select(Ticket).where(Ticket.rated_at >= start, Ticket.rated_at < end)
            )
        ).all()
    )
    data.repeats, data.followed = _same_topic_neighbours(data.contacts, around)
    ids = {c.ticket_id for c in data.contacts if c.ticket_id is not None}
    if ids:
        rows = await session.scalars(select(Ticket).where(Ticket.id.in_(ids)))
        data.contact_tickets = {t.id: t for t in rows.all()}
    prev = week.previous()
    data.previous_week = Counter(c.path for c in around if prev.start <= c.started_at < prev.end)
    data.transfers = list(
        (
            await session.scalars(
                select(Event).where(
                    Event.type == "ticket_transferred",
                    Event.created_at >= start,
                    Event.created_at < end,
                )
            )
        ).all()
    )
    return data


def _ticket_path(config: StatsConfig, ticket: Ticket) -> tuple[str, str, str]:
    return _path(config, ticket.category1, ticket.category2, ticket.category3)


def _hours(ticket: Ticket) -> float | None:
    if ticket.closed_at is None:
        return None
    return (ticket.closed_at - ticket.opened_at).total_seconds() / 3600


def volume(data: WeekData) -> dict[str, Any]:
    zone = data.week.zone
    per_day = Counter(c.started_at.astimezone(zone).date().isoformat() for c in data.contacts)
    per_hour = Counter(c.started_at.astimezone(zone).hour for c in data.contacts)
    customers_per_day: dict[str, set[int]] = {}
    for c in data.contacts:
        customers_per_day.setdefault(c.started_at.astimezone(zone).date().isoformat(), set()).add(
            c.customer_id
        )
    return {
        "total": len(data.contacts),
        "unique_customers": len({c.customer_id for c in data.contacts}),
        "per_day": {d.isoformat(): per_day.get(d.isoformat(), 0) for d in data.week.days()},
        "unique_customers_per_day": {
            d.isoformat(): len(customers_per_day.get(d.isoformat(), ())) for d in data.week.days()
        },
        "per_hour": {str(h): per_hour.get(h, 0) for h in range(24)},
        "unique_customers_per_hour": {
            str(h): len(
                {c.customer_id for c in data.contacts if c.started_at.astimezone(zone).hour == h}
            )
            for h in range(24)
        },
    }


def categories(data: WeekData) -> dict[str, list[dict[str, Any]]]:
    levels: dict[str, list[dict[str, Any]]] = {}
    for level in (1, 2, 3):
        counts = Counter(SEP.join(c.path[:level]) for c in data.contacts)
        levels[f"level{level}"] = [
            {"category": name, "contacts": n} for name, n in counts.most_common()
        ]
    return levels


def top_reasons(data: WeekData, config: StatsConfig) -> list[dict[str, Any]]:
    """The five most frequent topics, with the tickets they caused and the time those took."""
    counts = Counter(c.path for c in data.contacts)
    hours: dict[tuple[str, str, str], float] = {}
    closed: Counter[tuple[str, str, str]] = Counter()
    for ticket in data.tickets_closed:
        spent = _hours(ticket)
        if spent is not None:
            path = _ticket_path(config, ticket)
            hours[path] = hours.get(path, 0.0) + spent
            closed[path] += 1
    escalated = Counter(c.path for c in data.contacts if c.ticket_id is not None)
    reasons = []
    for path, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_REASONS]:
        spent = round(hours.get(path, 0.0), 4)
        average = spent / closed[path] if closed[path] else 0.0
        reasons.append(
            {
                "category": SEP.join(path),
                "contacts": n,
                "tickets": escalated[path],
                "tickets_closed": closed[path],
                "operator_hours": spent,
                "average_hours": round(average, 4),
                "cost": round(
                    closed[path] * average * config.hourly_cost * config.roles_involved, 2
                ),
            }
        )
    return reasons


def containment(data: WeekData) -> dict[str, Any]:
    total = len(data.contacts)
    escalated = sum(1 for c in data.contacts if c.ticket_id is not None)
    reasons = Counter(c.reason for c in data.contacts if c.ticket_id is not None and c.reason)
    return {
        "bot_resolved": total - escalated,
        "containment_rate": rate(total - escalated, total),
        "escalated": escalated,
        "escalation_rate": rate(escalated, total),
        "escalation_reasons": dict(reasons.most_common()),
    }


def first_reply(data: WeekData) -> dict[str, Any]:
    minutes = [
        (t.first_reply_at - t.opened_at).total_seconds() / 60
        for t in data.tickets_opened
        if t.first_reply_at is not None
    ]
    zone = data.week.zone
    by_day: dict[str, list[float]] = {}
    for t in data.tickets_opened:
        if t.first_reply_at is not None:
            by_day.setdefault(t.opened_at.astimezone(zone).date().isoformat(), []).append(
                (t.first_reply_at - t.opened_at).total_seconds() / 60
            )
    return {
        **spread(minutes),
        "unanswered": sum(1 for t in data.tickets_opened if t.first_reply_at is None),
        "p50_by_day": {
            d.isoformat(): percentile(by_day.get(d.isoformat(), []), 0.5) for d in data.week.days()
        },
    }


def resolution(data: WeekData, config: StatsConfig) -> dict[str, Any]:
    by_category: dict[str, list[float]] = {}
    overall: list[float] = []
    for ticket in data.tickets_closed:
        spent = _hours(ticket)
        if spent is None:
            continue
        overall.append(spent)
        by_category.setdefault(SEP.join(_ticket_path(config, ticket)), []).append(spent)
    return {
        **spread(overall),
        "by_category": {name: spread(values) for name, values in sorted(by_category.items())},
    }


def resolved(data: WeekData, contact: ContactRow) -> bool:
    """Contained by the bot, or its ticket closed and never reopened."""
    if contact.ticket_id is None:
        return True
    ticket = data.contact_tickets.get(contact.ticket_id)
    return ticket is not None and ticket.status == "closed" and not ticket.reopened


def fcr_and_repeats(data: WeekData) -> dict[str, Any]:
    total = len(data.contacts)
    resolved_first = sum(
        1 for c in data.contacts if c.id not in data.followed and resolved(data, c)
    )
    repeats = sum(1 for c in data.contacts if c.id in data.repeats)
    return {
        "fcr": {"resolved_first_contact": resolved_first, "rate": rate(resolved_first, total)},
        "repeat_7d": {"repeat_contacts": repeats, "rate": rate(repeats, total)},
    }


def reopen(data: WeekData) -> dict[str, Any]:
    closed = len(data.tickets_closed)
    again = sum(1 for t in data.tickets_closed if t.reopened)
    return {"closed": closed, "reopened": again, "rate": rate(again, closed)}


def csat(data: WeekData) -> dict[str, Any]:
    scores = [t.rating for t in data.tickets_rated if t.rating is not None]
    distribution = Counter(scores)
    return {
        "count": len(scores),
        "average": round(sum(scores) / len(scores), 4) if scores else None,
        "distribution": {str(s): distribution.get(s, 0) for s in range(1, 6)},
        "low": [
            {"ticket": t.id, "score": t.rating, "comment": t.rating_comment or ""}
            for t in sorted(data.tickets_rated, key=lambda t: t.id)
            if t.rating is not None and t.rating <= 2
        ],
    }


def sla(data: WeekData, as_of: datetime) -> dict[str, Any]:
    with_target = [t for t in data.tickets_opened if t.sla_due_at is not None]
    breached = [
        t
        for t in with_target
        if t.sla_due_at is not None and (t.first_reply_at or as_of) > t.sla_due_at
    ]
    return {
        "tickets_with_target": len(with_target),
        "breached": len(breached),
        "breach_rate": rate(len(breached), len(with_target)),
        "breached_tickets": sorted(t.id for t in breached),
    }


def lines(data: WeekData, config: StatsConfig, as_of: datetime) -> list[dict[str, Any]]:
    """Each staff group's (line's) share: a ticket counts in the group it is in now (where it
    was answered and closed, after a transfer), its transfers in both groups."""
    default = next(iter(config.groups), None)

    def group(ticket: Ticket) -> int | None:
        return ticket.staff_chat_id or default

    seen = [group(t) for t in [*data.tickets_opened, *data.tickets_closed, *data.tickets_rated]]
    moved = [e.data.get(k) for e in data.transfers for k in ("from_group", "to_group")]
    order = list(dict.fromkeys([*config.groups, *(g for g in [*seen, *moved] if g is not None)]))
    rows = []
    for chat in order:
        opened = [t for t in data.tickets_opened if group(t) == chat]
        minutes = [
            (t.first_reply_at - t.opened_at).total_seconds() / 60
            for t in opened
            if t.first_reply_at is not None
        ]
        closed = [
            h for t in data.tickets_closed if group(t) == chat and (h := _hours(t)) is not None
        ]
        scores = [t.rating for t in data.tickets_rated if group(t) == chat and t.rating is not None]
        due = [t for t in opened if t.sla_due_at is not None]
        breached = [
            t
            for t in due
            if t.sla_due_at is not None and (t.first_reply_at or as_of) > t.sla_due_at
        ]
        rows.append(
            {
                "group": config.groups.get(chat, str(chat)),
                "chat_id": chat,
                "tickets_opened": len(opened),
                "first_reply_p50_minutes": percentile(minutes, 0.5),
                "first_reply_p90_minutes": percentile(minutes, 0.9),
                "unanswered": len(opened) - len(minutes),
                "tickets_closed": len(closed),
                "resolution_p50_hours": percentile(closed, 0.5),
                "csat_average": round(sum(scores) / len(scores), 4) if scores else None,
                "sla_breached": len(breached),
                "transfers_in": sum(1 for e in data.transfers if e.data.get("to_group") == chat),
                "transfers_out": sum(1 for e in data.transfers if e.data.get("from_group") == chat),
            }
        )
    return rows


def growth(data: WeekData, config: StatsConfig) -> list[dict[str, Any]]:
    this_week = Counter(c.path for c in data.contacts)
    rows = []
    for path in sorted(set(this_week) | set(data.previous_week)):
        now, before = this_week[path], data.previous_week[path]
        change = round((now - before) / before * 100, 2) if before else None
        rows.append(
            {
                "category": SEP.join(path),
                "this_week": now,
                "last_week": before,
                "change_percent": change,
                "alert": change is not None and change > config.growth_alert_percent,
            }
        )
    return sorted(rows, key=lambda r: (-r["this_week"], r["category"]))


async def kb_gaps(session: AsyncSession, week: Week) -> dict[str, Any]:
    # Case-folded in Python: SQLite's lower() only knows ASCII, and customers write Cyrillic.
    asked = await session.scalars(
        select(Event.data["question"].as_string()).where(
            Event.type.in_(("kb_miss", "kb_offer_operator", "kb_suggest")),
            Event.created_at >= week.start,
            Event.created_at < week.end,
        )
    )
    unanswered = Counter(" ".join(q.casefold().split()) for q in asked.all() if q and q.strip())
    article = Event.data["article"].as_string()
    disliked = await session.execute(
        select(article, func.count())
        .where(
            Event.type == "kb_feedback",
            Event.created_at >= week.start,
            Event.created_at < week.end,
            Event.data["useful"].as_boolean().is_(False),
        )
        .group_by(article)
        .order_by(func.count().desc(), article)
        .limit(KB_GAPS)
    )
    return {
        "unanswered_questions": [
            {"question": q, "count": n}
            for q, n in sorted(unanswered.items(), key=lambda kv: (-kv[1], kv[0]))[:KB_GAPS]
        ],
        "disliked_articles": [{"article": a, "count": n} for a, n in disliked.all()],
    }


async def summary(
    session: AsyncSession, week: Week, config: StatsConfig, as_of: datetime
) -> tuple[dict[str, Any], WeekData]:
    """Every metric under a stable key, and the rows behind them (for the export's tables)."""
    data = await load_week(session, week, config)
    reasons = top_reasons(data, config)
    trend = growth(data, config)
    result: dict[str, Any] = {
        "week": week.label,
        "period": {
            "start": week.start.isoformat(),
            "end": week.end.isoformat(),
            "timezone": str(week.zone),
        },
        "contacts": volume(data),
        "categories": categories(data),
        "top_reasons": reasons,
        "containment": containment(data),
        "first_reply_minutes": first_reply(data),
        "resolution_hours": resolution(data, config),
        **fcr_and_repeats(data),
        "reopen": reopen(data),
        "csat": csat(data),
        "sla": sla(data, as_of),
        "lines": lines(data, config, as_of),
        "transfers": len(data.transfers),
        "growth": trend,
        "cost": {
            "hourly_cost": config.hourly_cost,
            "roles_involved": config.roles_involved,
            "currency": config.currency,
            "total": round(sum(r["cost"] for r in reasons), 2),
        },
        "kb_gaps": await kb_gaps(session, week),
    }
    result["alerts"] = [
        f"{row['category']}: +{row['change_percent']}% week over week"
        for row in trend
        if row["alert"]
    ]
    return result, data
