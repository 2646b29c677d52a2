"""The live knowledge base: the current index, swapped atomically on reload.

A reload that fails keeps the previous index serving customers; the caller gets the problems
to show an admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kb.loader import load_dir
from kb.model import KBError, Problem
from kb.search import KBIndex
from nlu.embeddings import SentenceEmbeddings

Fingerprint = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True, slots=True)
class ReloadResult:
    ok: bool
    articles: dict[str, int]  # language -> count of the index now serving
    error: KBError | None = None
    warnings: tuple[Problem, ...] = ()  # what loaded, but not as written (a loaded KB's)


class KnowledgeBaseService:
    def __init__(
        self,
        directory: Path,
        known_intents: set[str] | None = None,
        embeddings: SentenceEmbeddings | None = None,
    ) -> None:
        self.directory = directory
        self.known_intents = known_intents
        self.embeddings = embeddings
        self._index: KBIndex | None = None
        self._seen: Fingerprint | None = None  # the files as of the last attempt, good or bad

    def fingerprint(self) -> Fingerprint:
        """Path, mtime and size of every article: cheap enough to poll every few seconds."""
        entries = []
        for path in sorted(self.directory.rglob("*.md")):
            try:
                stat = path.stat()
            except OSError:
                continue  # deleted between listing and stat: the next poll sees it gone
            entries.append((str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(entries)

    def load(self) -> KBIndex:
        """(Re)load from disk; on error the previous index stays in place and KBError is raised."""
        self._seen = self.fingerprint() if self.directory.is_dir() else None
        index = KBIndex(load_dir(self.directory, self.known_intents), self.embeddings)
        self._index = index
        return index

    def reload(self) -> ReloadResult:
        try:
            self.load()
        except KBError as exc:
            return ReloadResult(False, self.counts(), exc)
        return ReloadResult(True, self.counts(), warnings=tuple(self.index.kb.warnings))

    def reload_if_changed(self) -> ReloadResult | None:
        """Reload when the files changed since the last attempt; None when they did not.

        A broken edit is reported once, not on every poll, until the files change again.
        """
        if not self.directory.is_dir() or self.fingerprint() == self._seen:
            return None
        return self.reload()

    def counts(self) -> dict[str, int]:
        if self._index is None:
            return {}
        counts: dict[str, int] = {}
        for article in self._index.kb.articles:
            counts[article.language] = counts.get(article.language, 0) + 1
        return counts

    @property
    def index(self) -> KBIndex:
        if self._index is None:
            raise RuntimeError("knowledge base not loaded")
        return self._index
