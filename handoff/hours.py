"""Working hours with a holiday list: is the desk open, when does it open next, and SLA
deadlines counted in working time only (a ticket opened at night is due after the morning
opening, not at 03:30)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SEARCH_DAYS = 400  # a year of holidays cannot hide the next opening from us


def parse_interval(text: str) -> tuple[time, time]:
    """ "09:00-18:00" -> (09:00, 18:00); "24:00" is allowed as an end."""
    start_s, end_s = (part.strip() for part in text.split("-", 1))
    start = time.fromisoformat(start_s)
    end = time.max if end_s == "24:00" else time.fromisoformat(end_s)
    if end <= start:
        raise ValueError(f"{text!r}: the end must be after the start")
    return start, end


@dataclass(frozen=True)
class WorkingHours:
    timezone: ZoneInfo
    week: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    @classmethod
    def always_open(cls) -> WorkingHours:
        whole_day = ((time(0, 0), time.max),)
        return cls(ZoneInfo("UTC"), {day: whole_day for day in range(7)})

    def _intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        if day in self.holidays:
            return []
        return [
            (
                datetime.combine(day, start, self.timezone),
                datetime.combine(day, end, self.timezone),
            )
            for start, end in self.week.get(day.weekday(), ())
        ]

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.timezone)
        return any(start <= local < end for start, end in self._intervals(local.date()))

    def next_open(self, at: datetime) -> datetime | None:
        """`at` itself when open, else the start of the next working interval (None: never)."""
        local = at.astimezone(self.timezone)
        for offset in range(SEARCH_DAYS):
            for start, end in self._intervals(local.date() + timedelta(days=offset)):
                if local < end:
                    return max(start, local).astimezone(UTC)
        return None

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime | None:
        """The moment `duration` of working time has passed since `start`."""
        local = start.astimezone(self.timezone)
        left = duration
        for offset in range(SEARCH_DAYS):
            for begin, end in self._intervals(local.date() + timedelta(days=offset)):
                if end <= local:
                    continue
                begin = max(begin, local)
                if end - begin >= left:
                    return (begin + left).astimezone(UTC)
                left -= end - begin
        return None
