"""The NLU the bot talks to: the embedded engine, or Rasa with the embedded engine as fallback."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from nlu.data import load
from nlu.embeddings import SentenceEmbeddings
from nlu.engine import FALLBACK_INTENT, EmbeddedEngine
from nlu.rasa_client import RasaClient

PROJECT_DIR = Path(__file__).resolve().parent  # the shipped Rasa project
DATA_DIR = PROJECT_DIR / "data"


def training_dir(project: Path) -> Path:
    """A Rasa project's training data: its `data/` folder, or the folder itself if it has none
    (a directory of NLU YAML files)."""
    data = project / "data"
    return data if data.is_dir() else project


class Parser(Protocol):
    async def parse(self, text: str) -> dict[str, Any]: ...


class NLU:
    def __init__(self, engine: EmbeddedEngine, rasa: RasaClient | None = None) -> None:
        self.engine = engine
        self.rasa = rasa
        self.fallbacks = 0  # Rasa unreachable or failing: the embedded engine answered
        self.not_understood = 0  # the fallback intent or out_of_scope

    @classmethod
    def build(
        cls,
        data_dir: Path = DATA_DIR,
        rasa: RasaClient | None = None,
        embeddings: SentenceEmbeddings | None = None,
    ) -> NLU:
        return cls(EmbeddedEngine.train(load(data_dir), embeddings=embeddings), rasa)

    async def parse(self, text: str) -> dict[str, Any]:
        result = await self._parse(text)
        if result["intent"]["name"] in (FALLBACK_INTENT, "out_of_scope"):
            self.not_understood += 1
        return result

    async def _parse(self, text: str) -> dict[str, Any]:
        if self.rasa is not None:
            result = await self.rasa.parse(text)
            if result["intent"]["name"] != FALLBACK_INTENT or result["intent"]["confidence"] > 0:
                return result
            self.fallbacks += 1
        return self.engine.parse(text)

    async def close(self) -> None:
        if self.rasa is not None:
            await self.rasa.close()
