"""From configuration to the metrics' parameters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stats.metrics import StatsConfig

if TYPE_CHECKING:
    from bot.config import StatsSettings


def stats_config(
    settings: StatsSettings, default_category: list[str], groups: dict[int, str] | None = None
) -> StatsConfig:
    """`groups`: the staff groups' names by chat id, the default group first."""
    return StatsConfig(
        groups=dict(groups or {}),
        default_category=(default_category[0], default_category[1], default_category[2]),
        growth_alert_percent=settings.growth_alert_percent,
        hourly_cost=settings.hourly_cost,
        roles_involved=settings.roles_involved,
        currency=settings.currency,
    )
