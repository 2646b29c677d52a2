"""The embedded NLU engine: TF-IDF features (stems, words, character n-grams) and a linear SVM,
answering in the shape of Rasa's `POST /model/parse`.

Trained from `nlu/data` at start-up (well under a second for the shipped data). Inference does
not go through scikit-learn: it looks terms up in plain dicts and multiplies a handful of rows of
a dense weight matrix, which keeps a parse in the tens of microseconds.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nlu.data import TrainingData
from nlu.embeddings import SentenceEmbeddings
from nlu.features import BLOCKS, normalise

FALLBACK_INTENT = "nlu_fallback"
RANKING_LENGTH = 10
DENSE_WEIGHT = 1.0  # the sentence vector's norm beside the three unit-norm TF-IDF blocks


@dataclass(slots=True)
class _Block:
    analyzer: Callable[[list[str]], list[str]]
    vocabulary: dict[str, int]
    idf: NDArray[np.float32]
    offset: int


@dataclass(slots=True)
class _Dense:
    """The sentence-vector columns of the model: their share of the SVM's weights, with the
    columns' scale folded in."""

    embeddings: SentenceEmbeddings
    coef: NDArray[np.float32]  # (dim, n_intents)

    def scores(self, text: str) -> NDArray[np.float32]:
        result: NDArray[np.float32] = self.embeddings.encode([text])[0] @ self.coef
        return result


def neutral_result(text: str) -> dict[str, Any]:
    """What a parser returns when it cannot tell: the dialogue policy treats it as "unsure"."""
    return {
        "text": text,
        "intent": {"name": FALLBACK_INTENT, "confidence": 0.0},
        "intent_ranking": [],
        "entities": [],
    }


class RegexEntities:
    """Entities from the `regex:` entries of the training data, like Rasa's RegexEntityExtractor."""

    def __init__(self, regexes: dict[str, list[str]]) -> None:
        self._patterns = [
            (name, re.compile(pattern))
            for name, patterns in regexes.items()
            for pattern in patterns
        ]

    def extract(self, text: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        taken: list[tuple[int, int]] = []
        for name, pattern in self._patterns:
            for match in pattern.finditer(text):
                start, end = match.span()
                if any(start < b and a < end for a, b in taken):
                    continue  # the first entity type listed wins an overlapping span
                taken.append((start, end))
                found.append(
                    {
                        "entity": name,
                        "start": start,
                        "end": end,
                        "value": match.group(0),
                        "extractor": "RegexEntityExtractor",
                    }
                )
        return sorted(found, key=lambda e: e["start"])


class EmbeddedEngine:
    def __init__(
        self,
        blocks: list[_Block],
        weights: NDArray[np.float32],
        bias: NDArray[np.float32],
        intents: list[str],
        entities: RegexEntities,
        temperature: float,
        dense: _Dense | None = None,
    ) -> None:
        self._blocks = blocks
        self._weights = weights  # (n_features, n_intents), row-gathered per message
        self._bias = bias
        self._dense = dense
        self.intents = intents
        self._entities = entities
        self._temperature = temperature

    @classmethod
    def train(
        cls,
        data: TrainingData,
        *,
        c: float = 0.5,
        temperature: float = 0.2,
        embeddings: SentenceEmbeddings | None = None,
        dense_weight: float = DENSE_WEIGHT,
    ) -> EmbeddedEngine:
        from scipy.sparse import csr_matrix, hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        if len(data.intents) < 2:
            raise ValueError("training data needs at least two intents")
        docs = [normalise(e.text) for e in data.examples]
        labels = [e.intent for e in data.examples]
        blocks: list[_Block] = []
        matrices = []
        offset = 0
        for _name, analyzer, min_df in BLOCKS:
            vectorizer = TfidfVectorizer(
                analyzer=analyzer, sublinear_tf=True, min_df=min_df, dtype=np.float32
            )
            matrices.append(vectorizer.fit_transform(docs))
            vocabulary = {str(k): int(v) for k, v in vectorizer.vocabulary_.items()}
            blocks.append(_Block(analyzer, vocabulary, vectorizer.idf_.astype(np.float32), offset))
            offset += len(vocabulary)
        if embeddings is not None:
            matrices.append(
                csr_matrix(embeddings.encode([e.text for e in data.examples]) * dense_weight)
            )
        features = hstack(matrices).tocsr()
        svm = LinearSVC(C=c, random_state=0).fit(features, labels)
        coef = np.asarray(svm.coef_, dtype=np.float32)
        bias = np.asarray(svm.intercept_, dtype=np.float32)
        if coef.shape[0] == 1:  # binary problems come back as one row
            coef, bias = np.vstack([-coef, coef]), np.concatenate([-bias, bias])
        dense = None
        if embeddings is not None:
            dense = _Dense(embeddings, np.ascontiguousarray(coef[:, offset:].T * dense_weight))
            coef = coef[:, :offset]
        weights = np.ascontiguousarray(coef.T)
        intents = [str(label) for label in svm.classes_]
        return cls(blocks, weights, bias, intents, RegexEntities(data.regexes), temperature, dense)

    def _features(self, tokens: list[str]) -> tuple[list[int], list[float]]:
        indices: list[int] = []
        values: list[float] = []
        for block in self._blocks:
            counts = Counter(block.analyzer(tokens))
            start = len(values)
            for term, count in counts.items():
                index = block.vocabulary.get(term)
                if index is not None:
                    indices.append(block.offset + index)
                    values.append((1.0 + math.log(count)) * float(block.idf[index]))
            norm = math.sqrt(sum(v * v for v in values[start:]))
            if norm:
                for i in range(start, len(values)):
                    values[i] /= norm
        return indices, values

    def scores(self, text: str) -> NDArray[np.float32] | None:
        """Raw SVM scores per intent, or None when the text has no known features."""
        indices, values = self._features(normalise(text))
        if not indices:
            return None
        vector = np.asarray(values, dtype=np.float32)
        result: NDArray[np.float32] = vector @ self._weights[indices] + self._bias
        if self._dense is not None:
            result += self._dense.scores(text)
        return result

    def parse(self, text: str) -> dict[str, Any]:
        scores = self.scores(text)
        if scores is None:
            result = neutral_result(text)
            result["entities"] = self._entities.extract(text)
            return result
        scaled = scores / self._temperature
        scaled -= scaled.max()
        probabilities = np.exp(scaled)
        probabilities /= probabilities.sum()
        order = np.argsort(-probabilities)[:RANKING_LENGTH]
        ranking = [{"name": self.intents[i], "confidence": float(probabilities[i])} for i in order]
        return {
            "text": text,
            "intent": dict(ranking[0]),
            "intent_ranking": ranking,
            "entities": self._entities.extract(text),
        }
