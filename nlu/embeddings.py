"""Dense sentence vectors from pretrained word embeddings that ship inside PyPI wheels.

English: wordllama's static token embeddings (a Llama-2 tokenizer, 256 dimensions). Russian: the
navec vectors inside the natasha wheel (250K words, 300 dimensions). Nothing is downloaded: both
are read from the installed packages, and a missing package simply means no dense features.

A sentence is the mean of its tokens' vectors, per language, each half L2-normalised, so a
Russian and an English question live in one 556-dimensional space and a mixed one uses both.
"""

from __future__ import annotations

import importlib.util
import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

_CYRILLIC_WORD = re.compile(r"[а-яё]+(?:-[а-яё]+)*", re.IGNORECASE)
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*", re.IGNORECASE)
NAVEC_FILE = "data/emb/navec_news_v1_1B_250K_300d_100q.tar"


class SentenceEmbeddings:
    """`encode(texts)` → a float32 matrix, one row per text (zeros where nothing is known)."""

    def __init__(self, english: Any | None, russian: Any | None) -> None:
        self._english = english  # wordllama's WordLlamaInference
        self._russian = russian  # navec.Navec
        self._en_dim = int(english.embedding.shape[1]) if english is not None else 0
        self._ru_dim = int(russian.pq.dim) if russian is not None else 0
        self.dim = self._en_dim + self._ru_dim
        if russian is not None:
            self._ru_ids: dict[str, int] = russian.vocab.word_ids
            # Kept quantised (250K × 100 bytes): unpacking all vectors would take 300 MB.
            self._ru_codes = russian.pq.codes  # (parts, centroids, part_dim)
            self._ru_indexes = russian.pq.indexes  # (words, parts)
            self._ru_parts = np.arange(russian.pq.qdim)

    def encode(self, texts: list[str]) -> NDArray[np.float32]:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if self._english is not None:
            latin = [" ".join(_LATIN_WORD.findall(text)) for text in texts]
            rows = [i for i, words in enumerate(latin) if words]
            if rows:
                vectors = self._english.embed([latin[i] for i in rows])
                out[rows, : self._en_dim] = unit_rows(vectors)
        if self._russian is not None:
            for i, text in enumerate(texts):
                ids = [
                    index
                    for word in _CYRILLIC_WORD.findall(text.lower().replace("ё", "е"))
                    if (index := self._ru_ids.get(word)) is not None
                ]
                if ids:
                    vectors = self._ru_codes[self._ru_parts, self._ru_indexes[ids]]
                    mean = vectors.reshape(len(ids), self._ru_dim).mean(axis=0)
                    norm = float(np.linalg.norm(mean))
                    if norm:
                        out[i, self._en_dim :] = mean / norm
        return out


def unit_rows(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    """Each row scaled to length 1 (rows of zeros stay zeros)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    result: NDArray[np.float32] = (vectors / norms).astype(np.float32)
    return result


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def _load_english() -> Any | None:
    folder = _package_dir("wordllama")
    if folder is None:
        return None
    from wordllama import WordLlama  # type: ignore[import-untyped]

    # The plain `load()` looks for the tokenizer where the wheel does not put it and then tries
    # the hub; pointing it at the package itself keeps it offline.
    return WordLlama.load(cache_dir=folder, disable_download=True)


def _load_russian() -> Any | None:
    # natasha itself is not imported: its morphology (pymorphy2) fails on Python 3.11, and only
    # its vectors file is needed.
    folder = _package_dir("natasha")
    if folder is None or not (folder / NAVEC_FILE).is_file():
        return None
    from navec import Navec  # type: ignore[import-untyped]

    return Navec.load(str(folder / NAVEC_FILE))


@lru_cache(maxsize=1)
def load_embeddings() -> SentenceEmbeddings | None:
    """The installed embeddings (cached for the process), or None when neither is installed."""
    english, russian = _load_english(), _load_russian()
    if english is None and russian is None:
        log.warning("no pretrained embeddings installed: the NLU uses TF-IDF features only")
        return None
    return SentenceEmbeddings(english, russian)
