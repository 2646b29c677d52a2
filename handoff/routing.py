"""Which staff group a new ticket goes to: the first group whose rules all match it, else the
default group (STAFF_CHAT_ID).

A rule left empty matches anything; a group with no rules at all takes only the tickets moved
to it (/transfer, escalation past the SLA). Categories match by their beginning, level by level:
"Оплата" takes every ticket under Оплата, "Оплата / Возврат" only that branch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from handoff.hours import WorkingHours

CATEGORY_SEPARATOR = "/"


def category_path(text: str) -> tuple[str, ...]:
    return tuple(part.strip().casefold() for part in text.split(CATEGORY_SEPARATOR) if part.strip())


@dataclass(frozen=True)
class StaffGroup:
    id: int
    name: str
    languages: frozenset[str] = frozenset()
    categories: tuple[tuple[str, ...], ...] = ()
    priorities: frozenset[str] = frozenset()
    # The group's own working hours and first-reply targets (None: the desk's).
    hours: WorkingHours | None = field(default=None, compare=False)
    first_reply_minutes: Mapping[str, int] | None = field(default=None, compare=False)

    def takes(self, language: str, category: Sequence[str | None], priority: str) -> bool:
        if not (self.languages or self.categories or self.priorities):
            return False  # no rules: only what is moved there (/transfer, escalation)
        if self.languages and language not in self.languages:
            return False
        if self.priorities and priority not in self.priorities:
            return False
        if self.categories:
            path = tuple((level or "").strip().casefold() for level in category)
            if not any(path[: len(prefix)] == prefix for prefix in self.categories):
                return False
        return True


@dataclass(frozen=True)
class Routing:
    default: int
    groups: tuple[StaffGroup, ...] = ()
    default_name: str = "main"
    # The group that takes tickets past their first-reply SLA, or raised to urgent meanwhile.
    escalate_to: int | None = None

    @property
    def chat_ids(self) -> frozenset[int]:
        """Every staff group: where operators act."""
        return frozenset({self.default, *(g.id for g in self.groups)})

    @property
    def names(self) -> dict[int, str]:
        """Every staff group's name, the default group first."""
        return {self.default: self.default_name, **{g.id: g.name for g in self.groups}}

    def by_name(self, name: str) -> int | None:
        """The group an operator names (/transfer), whatever the letter case."""
        wanted = name.strip().casefold()
        return next((i for i, n in self.names.items() if n.casefold() == wanted), None)

    def name_of(self, chat_id: int) -> str:
        return self.names.get(chat_id, str(chat_id))

    def group(self, chat_id: int) -> StaffGroup | None:
        """A group of `staff_groups` (None for the default group, which has the desk's own
        hours and targets)."""
        return next((g for g in self.groups if g.id == chat_id), None)

    def group_for(self, language: str, category: Sequence[str | None], priority: str) -> int:
        for group in self.groups:
            if group.takes(language, category, priority):
                return group.id
        return self.default
