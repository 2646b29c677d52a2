"""Working hours, holidays and SLA deadlines in working time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handoff.hours import WorkingHours, parse_interval

MSK = ZoneInfo("Europe/Moscow")


def desk() -> WorkingHours:
    weekdays = (parse_interval("09:00-18:00"),)
    return WorkingHours(
        MSK,
        {day: weekdays for day in range(5)},  # Monday to Friday
        frozenset({date(2026, 11, 4)}),  # a Wednesday holiday
    )


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)  # type: ignore[misc]


def test_open_and_closed() -> None:
    hours = desk()
    assert hours.is_open(msk(2026, 11, 2, 9, 0))  # Monday 09:00
    assert not hours.is_open(msk(2026, 11, 2, 18, 0))  # the end is exclusive
    assert not hours.is_open(msk(2026, 11, 4, 12, 0))  # holiday
    assert not hours.is_open(msk(2026, 11, 7, 12, 0))  # Saturday


def test_next_open_skips_nights_weekends_and_holidays() -> None:
    hours = desk()
    assert hours.next_open(msk(2026, 11, 2, 12, 0)) == msk(2026, 11, 2, 12, 0)
    assert hours.next_open(msk(2026, 11, 3, 20, 0)) == msk(2026, 11, 5, 9, 0)  # Wed is a holiday
    assert hours.next_open(msk(2026, 11, 6, 19, 0)) == msk(2026, 11, 9, 9, 0)  # Fri night -> Mon
    assert hours.next_open(msk(2026, 11, 6, 19, 0)).tzinfo == UTC  # type: ignore[union-attr]


def test_sla_deadline_counts_working_time_only() -> None:
    hours = desk()
    assert hours.add_working_time(msk(2026, 11, 2, 10, 0), timedelta(minutes=30)) == msk(
        2026, 11, 2, 10, 30
    )
    # 17:50 + 30 min: 10 minutes today, 20 tomorrow morning.
    assert hours.add_working_time(msk(2026, 11, 2, 17, 50), timedelta(minutes=30)) == msk(
        2026, 11, 3, 9, 20
    )
    # Saturday night: due Monday 09:15.
    assert hours.add_working_time(msk(2026, 11, 7, 23, 0), timedelta(minutes=15)) == msk(
        2026, 11, 9, 9, 15
    )


def test_always_open_and_bad_intervals() -> None:
    now = datetime(2026, 11, 7, 3, 0, tzinfo=UTC)
    assert WorkingHours.always_open().is_open(now)
    assert WorkingHours.always_open().add_working_time(
        now, timedelta(minutes=5)
    ) == now + timedelta(minutes=5)
    with pytest.raises(ValueError, match="end must be after"):
        parse_interval("18:00-09:00")
