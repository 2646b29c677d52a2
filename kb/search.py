"""Fuzzy article search with rapidfuzz over titles, example questions and body sentences."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from kb.model import Article, KnowledgeBase

# Matching against very long messages only slows the scorer down without helping it.
MAX_QUERY = 300
# A hit in an article's body counts for less than one in its title or example questions.
BODY_WEIGHT = 0.85
MARKUP = re.compile(r"[*_`#>\[\]()]|https?://\S+")
SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def body_phrases(body: str) -> list[str]:
    """Sentences of the body, without Markdown, long enough to mean something."""
    plain = MARKUP.sub(" ", body)
    return [s.strip(" -–—•\t") for s in SENTENCE.split(plain) if len(s.split()) >= 3]


@dataclass(frozen=True, slots=True)
class Match:
    article: Article
    score: float


class KBIndex:
    """Precomputed choices per language; rebuilt whenever the KB is (re)loaded."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._choices: dict[str, list[tuple[str, Article, float]]] = {}
        for article in kb.articles:
            bucket = self._choices.setdefault(article.language, [])
            for phrase in (article.title, *article.aliases):
                bucket.append((utils.default_process(phrase), article, 1.0))
            for phrase in body_phrases(article.body):
                bucket.append((utils.default_process(phrase), article, BODY_WEIGHT))
        self._texts = {
            language: [c[0] for c in bucket] for language, bucket in self._choices.items()
        }

    def search(self, query: str, language: str, limit: int = 3) -> list[Match]:
        """Best distinct articles for a query, best first."""
        choices = self._choices.get(language, [])
        text = utils.default_process(query[:MAX_QUERY])
        if not text or not choices:
            return []
        hits = process.extract(
            text,
            self._texts[language],
            scorer=fuzz.token_set_ratio,
            processor=None,
            limit=limit * 4,
        )
        best: dict[tuple[str, str], Match] = {}
        for _phrase, raw, index in hits:
            _text, article, weight = choices[index]
            score = float(raw) * weight
            key = (article.id, article.language)
            if key not in best or best[key].score < score:
                best[key] = Match(article, score)
        return sorted(best.values(), key=lambda m: -m.score)[:limit]
