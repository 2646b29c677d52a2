"""The live knowledge base: the current index, swapped atomically on reload."""

from __future__ import annotations

from pathlib import Path

from kb.loader import load_dir
from kb.search import KBIndex


class KnowledgeBaseService:
    def __init__(self, directory: Path, known_intents: set[str] | None = None) -> None:
        self.directory = directory
        self.known_intents = known_intents
        self._index: KBIndex | None = None

    def load(self) -> KBIndex:
        """(Re)load from disk; on error the previous index stays in place and KBError is raised."""
        index = KBIndex(load_dir(self.directory, self.known_intents))
        self._index = index
        return index

    @property
    def index(self) -> KBIndex:
        if self._index is None:
            raise RuntimeError("knowledge base not loaded")
        return self._index
