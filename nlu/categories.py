"""Automatic 3-level categories (area → type → topic) for every contact.

Order of precedence, most specific first: keyword rules from config (the seeds' example: words
like «не загружается», «файл» → Storage → Technical fault → Upload error), then the config's
intent mapping, then the category of the knowledge-base article that answers the intent, then
the configured default.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypedDict

Path3 = tuple[str, str, str]
UNSPECIFIED = "—"  # the missing levels of a one- or two-level category


def as_path(levels: Sequence[str] | None) -> Path3 | None:
    """A KB article's category (one to three levels) as three, the missing ones unspecified."""
    if not levels:
        return None
    padded = [*levels[:3], *[UNSPECIFIED] * (3 - len(levels))]
    return (padded[0], padded[1], padded[2])


@dataclass(frozen=True, slots=True)
class KeywordRule:
    words: tuple[str, ...]
    category: Path3

    def pattern(self) -> re.Pattern[str]:
        # Words match at a word start, so "файл" also catches "файлы", "файла".
        alternatives = "|".join(re.escape(w.lower()) for w in self.words if w.strip())
        return re.compile(rf"(?<!\w)(?:{alternatives})", re.IGNORECASE)


class Categorizer:
    def __init__(
        self,
        *,
        rules: Sequence[KeywordRule],
        intents: dict[str, Path3],
        default: Path3,
        article_category: Callable[[str], Sequence[str] | None] = lambda _intent: None,
    ) -> None:
        self._rules = [(rule.pattern(), rule.category) for rule in rules if rule.words]
        self._intents = intents
        self.default = default
        self._article_category = article_category

    def configured_paths(self) -> set[Path3]:
        return {c for _p, c in self._rules} | set(self._intents.values()) | {self.default}

    def categorize(
        self, text: str, intent: str | None, article: Sequence[str] | None = None
    ) -> Path3:
        """`article`: the category of the article that answers the question, if one does."""
        for pattern, category in self._rules:
            if text and pattern.search(text):
                return category
        if intent and intent in self._intents:
            return self._intents[intent]
        found = as_path(article) or (as_path(self._article_category(intent)) if intent else None)
        return found or self.default


class ClassificationFields(TypedDict):
    intent: str | None
    confidence: float | None
    category: Sequence[str] | None


@dataclass(frozen=True, slots=True)
class Classification:
    """What one contact was about: kept in dialog state and stamped on events and tickets."""

    intent: str | None
    confidence: float | None
    category: Path3

    def fields(self) -> ClassificationFields:
        """Keyword arguments for `storage.events.log`."""
        return {"intent": self.intent, "confidence": self.confidence, "category": self.category}

    def to_state(self) -> dict[str, object]:
        return {
            "intent": self.intent,
            "confidence": self.confidence,
            "category": list(self.category),
        }

    @classmethod
    def from_state(cls, data: object) -> Classification | None:
        if not isinstance(data, dict) or len(data.get("category") or ()) != 3:
            return None
        c = data["category"]
        confidence = data.get("confidence")
        return cls(
            intent=data.get("intent"),
            confidence=float(confidence) if confidence is not None else None,
            category=(str(c[0]), str(c[1]), str(c[2])),
        )
