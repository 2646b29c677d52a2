"""Knowledge-base data types."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    language: str
    title: str
    body: str
    path: Path
    category: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # example questions (`questions:` or `aliases:`)
    intents_line: int = 1  # where `intents:` is, for error messages
    buttons: tuple[tuple[str, str], ...] = ()  # (text, url) link buttons under the answer


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a KB file, printed as `file:line: message` (`file: message` for a
    problem of the whole file or directory, line 0)."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line > 0 else str(self.path)
        return f"{where}: {self.message}"


class KBError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(slots=True)
class KnowledgeBase:
    articles: list[Article] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # what loaded, but not as written

    def by_language(self, language: str) -> list[Article]:
        return [a for a in self.articles if a.language == language]

    def for_intent(self, intent: str, language: str) -> Article | None:
        found = self.all_for_intent(intent, language)
        return found[0] if found else None

    def all_for_intent(self, intent: str, language: str) -> list[Article]:
        return [a for a in self.articles if a.language == language and intent in a.intents]

    def topics(self, language: str, limit: int = 5) -> list[str]:
        """The first category levels of a language's articles, the most used first: what the
        bot can tell a customer it knows about."""
        counts: dict[str, int] = {}
        for article in self.by_language(language):
            if article.category:
                counts[article.category[0]] = counts.get(article.category[0], 0) + 1
        return sorted(counts, key=lambda topic: -counts[topic])[:limit]

    def get(self, article_id: str, language: str) -> Article | None:
        for article in self.articles:
            if article.id == article_id and article.language == language:
                return article
        return None
