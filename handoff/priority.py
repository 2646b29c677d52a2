"""Ticket priority (urgent words first, then the intent) and its first-reply target."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import timedelta

PRIORITIES = ("urgent", "high", "normal", "low")


class Prioritiser:
    def __init__(
        self,
        *,
        intents: Mapping[str, str] | None = None,
        urgent_words: Iterable[str] = (),
        targets_minutes: Mapping[str, int] | None = None,
    ) -> None:
        self.intents = dict(intents or {})
        words = [re.escape(w.lower()) for w in urgent_words if w.strip()]
        self._urgent = re.compile(rf"(?<!\w)(?:{'|'.join(words)})", re.I) if words else None
        self.targets = dict(targets_minutes or {})

    def priority(self, intent: str | None, said: Iterable[str]) -> str:
        if self.is_urgent(said):
            return "urgent"
        return self.intents.get(intent or "", "normal")

    def is_urgent(self, said: Iterable[str]) -> bool:
        return self._urgent is not None and any(self._urgent.search(text) for text in said)

    def first_reply_target(self, priority: str) -> timedelta | None:
        minutes = self.targets.get(priority)
        return timedelta(minutes=minutes) if minutes else None
