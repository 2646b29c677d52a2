"""Text features shared by training and inference: stems, words and character n-grams.

Implemented by hand (not via scikit-learn's transform) so a single message is featurised in
tens of microseconds; scikit-learn only fits the vocabularies and the classifier.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_CYRILLIC = re.compile(r"[а-я]")
_STEMMERS = {"ru": Stemmer.Stemmer("russian"), "en": Stemmer.Stemmer("english")}


def normalise(text: str) -> list[str]:
    """Lower-case word tokens; ё→е; every digit → 0, so numbers generalise."""
    text = _DIGIT.sub("0", text.lower().replace("ё", "е"))
    return _WORD.findall(text)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    stemmer = _STEMMERS["ru" if _CYRILLIC.search(word) else "en"]
    return str(stemmer.stemWord(word))


def stems(tokens: list[str]) -> list[str]:
    words = [stem(t) for t in tokens]
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def words(tokens: list[str]) -> list[str]:
    return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


def chars(tokens: list[str], low: int = 1, high: int = 5) -> list[str]:
    grams: list[str] = []
    for token in tokens:
        padded = f" {token} "
        size = len(padded)
        for n in range(low, high + 1):
            grams.extend(padded[i : i + n] for i in range(size - n + 1))
    return grams


# Feature blocks: (name, analyzer over normalised tokens, minimum document frequency)
BLOCKS: list[tuple[str, Callable[[list[str]], list[str]], int]] = [
    ("stems", stems, 1),
    ("words", words, 1),
    ("chars", chars, 2),
]
