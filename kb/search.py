"""Fuzzy article search with rapidfuzz over titles and example questions."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from kb.model import Article, KnowledgeBase

# Matching against very long messages only slows the scorer down without helping it.
MAX_QUERY = 300


@dataclass(frozen=True, slots=True)
class Match:
    article: Article
    score: float


class KBIndex:
    """Precomputed choices per language; rebuilt whenever the KB is (re)loaded."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._choices: dict[str, list[tuple[str, Article]]] = {}
        for article in kb.articles:
            phrases = (article.title, *article.aliases)
            bucket = self._choices.setdefault(article.language, [])
            bucket.extend((utils.default_process(p), article) for p in phrases)

    def search(self, query: str, language: str, limit: int = 3) -> list[Match]:
        """Best distinct articles for a query, best first."""
        choices = self._choices.get(language, [])
        text = utils.default_process(query[:MAX_QUERY])
        if not text or not choices:
            return []
        hits = process.extract(
            text,
            [c[0] for c in choices],
            scorer=fuzz.token_set_ratio,
            processor=None,
            limit=limit * 4,
        )
        best: dict[tuple[str, str], Match] = {}
        for _phrase, score, index in hits:
            article = choices[index][1]
            key = (article.id, article.language)
            if key not in best or best[key].score < score:
                best[key] = Match(article, float(score))
        return sorted(best.values(), key=lambda m: -m.score)[:limit]
