"""Article retrieval: a question is matched against every article's title and example questions
(and, weighted lower, its body's sentences) by TF-IDF cosine similarity over stems, words and
character n-grams, the features the embedded NLU engine uses.

The score is a relevance from 0 to 100 that counts what the question says and the articles do
not: words the knowledge base has never seen weigh in the question's length as much as its
rarest known word, so "how much is a bitcoin" is not a confident match for the prices article
because two of its words are; and a short generic question that is a subset of a long example
scores by how much of that example it covers, not 100.

With the pretrained word vectors (nlu.embeddings, on by default) 30 % of a phrase's similarity
is the cosine of the two sentences' mean vectors, so a question in other words than the
article's ("holidays on a ship" for "a cruise") still finds it.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csc_matrix

from kb.model import Article, KnowledgeBase
from nlu.embeddings import SentenceEmbeddings, unit_rows
from nlu.features import chars, normalise, stem, stems, words

# Matching against very long messages only slows the scorer down without helping it.
MAX_QUERY = 300
# A hit in an article's body counts for less than one in its title or example questions.
BODY_WEIGHT = 0.8
MARKUP = re.compile(r"[*_`#>\[\]()]|https?://\S+")
SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
# Words that carry no subject of their own: a question made only of them ("how do I", «как
# мне») is about nothing the knowledge base can tell apart.
FUNCTION_WORDS = frozenset(
    """a an the i me my we our you your it its is am are was be been do does did can could
    would will shall should may might must have has had to of in on at for from with about
    and or but how what when where why which who whom whose this that these those
    there here please hi hello so if then any some get got
    я меня мне мой моя мое мои мы нас нам наш ты тебя вы вас вам ваш ваша он она оно они его
    ее их это этот эта эти тот та то как что когда где куда откуда почему зачем какой какая
    какое какие кто чем чего сколько ли же бы ни и а но или да в во на с со к ко по о об от до
    из у за для при про над под без так там тут вот уже еще очень можно нужно надо есть был
    была было были будет пожалуйста здравствуйте привет""".split()  # noqa: SIM905
)
FUNCTION_TERMS = FUNCTION_WORDS | {stem(w) for w in FUNCTION_WORDS}
# What a term made only of function words ("есть ли") weighs against a content word's weight.
FUNCTION_WEIGHT = 0.3
# Dense sentence vectors (nlu.embeddings), when installed: their share of the similarity, and
# the cosine below which two mean-pooled sentences have nothing in common.
DENSE_SHARE = 0.3
DENSE_FLOOR = 0.4
# An article's relevance is its best phrase's plus this share of its second best: a question
# that two of an article's example questions (or its title and body) resemble is more surely
# about it than one that a single phrase of another article resembles as much.
SECOND_PHRASE = 0.3
CANDIDATE_PHRASES = 200
# (analyzer, weight): stems carry the meaning, whole words the exact phrasing, character
# n-grams typos and word forms the stemmer misses.
BLOCKS: list[tuple[Callable[[list[str]], list[str]], float]] = [
    (stems, 0.5),
    (words, 0.2),
    (chars, 0.3),
]


def content(tokens: list[str]) -> list[str]:
    """The tokens that are not function words."""
    return [t for t in tokens if t not in FUNCTION_WORDS]


def body_phrases(body: str) -> list[str]:
    """Sentences of the body, without Markdown, long enough to mean something."""
    plain = MARKUP.sub(" ", body)
    return [s.strip(" -–—•\t") for s in SENTENCE.split(plain) if len(s.split()) >= 3]


@dataclass(frozen=True, slots=True)
class Match:
    article: Article
    score: float


def _damped(term: str, idf: float) -> float:
    return idf * FUNCTION_WEIGHT if all(p in FUNCTION_TERMS for p in term.split()) else idf


class _Block:
    """One feature space over one language's phrases: vocabulary, idf and the phrases' rows."""

    def __init__(self, analyzer: Callable[[list[str]], list[str]], docs: list[list[str]]) -> None:
        self.analyzer = analyzer
        df: Counter[str] = Counter()
        for tokens in docs:
            df.update(set(analyzer(tokens)))
        self.vocabulary = {term: i for i, term in enumerate(df)}
        n = len(docs)
        # scikit-learn's smooth idf; a term no phrase has gets the idf of a term in none.
        self.idf = np.array(
            [_damped(t, math.log((1 + n) / (1 + df[t])) + 1) for t in self.vocabulary],
            dtype=np.float32,
        )
        del df
        self.unseen_idf = math.log(1 + n) + 1
        # Sparse, by column: a question gathers only its own terms' columns. Built in typed
        # arrays, counted a second time, so a large KB's phrases are never all held as objects.
        data, rows, columns = array("f"), array("i"), array("i")
        for row, tokens in enumerate(docs):
            counts = Counter(analyzer(tokens))
            indices = [self.vocabulary[t] for t in counts]
            values = [
                (1 + math.log(c)) * float(self.idf[i])
                for c, i in zip(counts.values(), indices, strict=True)
            ]
            norm = math.sqrt(sum(v * v for v in values)) or 1.0
            data.extend(v / norm for v in values)
            rows.extend([row] * len(values))
            columns.extend(indices)
        self.rows = csc_matrix(
            (
                np.frombuffer(data, dtype=np.float32),
                (np.frombuffer(rows, dtype=np.int32), np.frombuffer(columns, dtype=np.int32)),
            ),
            shape=(n, len(self.vocabulary)),
        )
        self.size = n
        # What one ordinary word of this knowledge base says: a question whose known content
        # words say less ("how do I") is scaled down however well they match.
        self.enough = float(np.median(self.idf)) if len(self.idf) else 1.0

    def information(self, tokens: list[str]) -> float:
        """How much of `enough` the question's known content words carry, at most 1."""
        terms = {t for t in self.analyzer(content(tokens)) if " " not in t}
        mass = sum(float(self.idf[i]) for t in terms if (i := self.vocabulary.get(t)) is not None)
        return min(1.0, mass / self.enough)

    def similarity(self, tokens: list[str]) -> NDArray[np.float32]:
        """Cosine of the question with every phrase; unseen terms count in its norm only."""
        counts = Counter(self.analyzer(tokens))
        indices: list[int] = []
        values: list[float] = []
        norm = 0.0
        for term, count in counts.items():
            index = self.vocabulary.get(term)
            tf = 1 + math.log(count)
            if index is None:
                if " " not in term:  # an unseen pair of known words says nothing new
                    norm += (tf * self.unseen_idf) ** 2
                continue
            value = tf * float(self.idf[index])
            indices.append(index)
            values.append(value)
            norm += value * value
        if not indices or norm == 0:
            return np.zeros(self.size, dtype=np.float32)
        vector = np.asarray(values, dtype=np.float32) / math.sqrt(norm)
        result: NDArray[np.float32] = np.asarray(self.rows[:, indices] @ vector).ravel()
        return result


class _Vectors:
    """The phrases' sentence vectors: their cosine with a question, rescaled from the floor."""

    def __init__(self, embeddings: SentenceEmbeddings, phrases: list[str]) -> None:
        self.embeddings = embeddings
        # (phrases, dim) unit rows: a 1,000-article KB's 17,000 phrases take 38 MB.
        self.rows = unit_rows(embeddings.encode(phrases))

    def similarity(self, query: str) -> NDArray[np.float32]:
        cosine = self.rows @ unit_rows(self.embeddings.encode([query]))[0]
        result: NDArray[np.float32] = np.clip((cosine - DENSE_FLOOR) / (1 - DENSE_FLOOR), 0, 1)
        return result


class _LanguageIndex:
    def __init__(
        self, phrases: list[tuple[str, Article, float]], embeddings: SentenceEmbeddings | None
    ) -> None:
        self.articles = [article for _, article, _ in phrases]
        self.weights = np.array([weight for _, _, weight in phrases], dtype=np.float32)
        docs = [normalise(text) for text, _, _ in phrases]
        self.blocks = [(_Block(analyzer, docs), weight) for analyzer, weight in BLOCKS]
        self.vectors = (
            _Vectors(embeddings, [text for text, _, _ in phrases])
            if embeddings is not None
            else None
        )

    def scores(self, query: str, tokens: list[str]) -> NDArray[np.float32]:
        total = np.zeros(len(self.articles), dtype=np.float32)
        for block, weight in self.blocks:
            total += weight * block.similarity(tokens)
        if self.vectors is not None:
            total = (1 - DENSE_SHARE) * total + DENSE_SHARE * self.vectors.similarity(query)
        information = self.blocks[0][0].information(tokens)
        result: NDArray[np.float32] = total * self.weights * (100 * information)
        return result


class KBIndex:
    """Precomputed phrases per language; rebuilt whenever the KB is (re)loaded."""

    def __init__(self, kb: KnowledgeBase, embeddings: SentenceEmbeddings | None = None) -> None:
        self.kb = kb
        phrases: dict[str, list[tuple[str, Article, float]]] = {}
        for article in kb.articles:
            bucket = phrases.setdefault(article.language, [])
            for phrase in (article.title, *article.aliases):
                bucket.append((phrase, article, 1.0))
            for phrase in body_phrases(article.body):
                bucket.append((phrase, article, BODY_WEIGHT))
        self._languages = {
            language: _LanguageIndex(bucket, embeddings)
            for language, bucket in phrases.items()
            if bucket
        }

    def search(self, query: str, language: str, limit: int = 3) -> list[Match]:
        """Best distinct articles for a query, best first; relevance from 0 to 100."""
        index = self._languages.get(language)
        tokens = normalise(query[:MAX_QUERY])
        if index is None or not tokens:
            return []
        scores = index.scores(query[:MAX_QUERY], tokens)
        phrases: dict[str, list[float]] = {}  # each article's two best phrase scores
        articles: dict[str, Article] = {}
        # The best phrases only: one further down cannot lift an article into the top few.
        for position in np.argsort(-scores)[:CANDIDATE_PHRASES]:
            score = float(scores[position])
            if score <= 0:
                break
            article = index.articles[position]
            articles[article.id] = article
            kept = phrases.setdefault(article.id, [])
            if len(kept) < 2:
                kept.append(score)
        ranked = sorted(
            (
                (min(100.0, best[0] + SECOND_PHRASE * sum(best[1:])), article_id)
                for article_id, best in phrases.items()
            ),
            key=lambda pair: -pair[0],
        )
        return [Match(articles[a], round(score, 1)) for score, a in ranked[:limit]]
