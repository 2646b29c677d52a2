"""Pretrained word vectors (nlu.embeddings): nearer for the same meaning in other words, and
what they add to the NLU and to the KB's retrieval."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from bot.config import KBSettings
from kb.importer import import_faq
from kb.loader import load_dir
from kb.search import KBIndex, Match
from nlu.embeddings import SentenceEmbeddings, load_embeddings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def embeddings() -> SentenceEmbeddings:
    loaded = load_embeddings()
    assert loaded is not None, "wordllama and natasha are dependencies: both must load offline"
    return loaded


def cosine(embeddings: SentenceEmbeddings, a: str, b: str) -> float:
    vectors = embeddings.encode([a, b])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return float(vectors[0] @ vectors[1])


@pytest.mark.parametrize(
    ("question", "same_meaning", "other"),
    [
        ("хочу вернуть деньги", "возврат средств за покупку", "какая погода завтра"),
        ("где моя посылка", "когда привезут заказ", "забыл пароль от аккаунта"),
        ("can I go on holiday on a ship", "should I go on a cruise", "my card was declined"),
    ],
)
def test_other_words_for_the_same_thing_are_nearer(
    embeddings: SentenceEmbeddings, question: str, same_meaning: str, other: str
) -> None:
    assert cosine(embeddings, question, same_meaning) > cosine(embeddings, question, other) + 0.1


def test_unknown_words_and_empty_text_give_zero_vectors(embeddings: SentenceEmbeddings) -> None:
    vectors = embeddings.encode(["", "123 ???", "щщщщъ"])
    assert vectors.shape == (3, embeddings.dim)
    assert not np.any(vectors[0]) and not np.any(vectors[2])


ARTICLES = {
    "cruise": ("Should I go on a cruise?", "Travellers should defer all cruise ship travel."),
    "funeral": (
        "What should I do if my family member died from COVID-19?",
        "We are sorry for your loss; a funeral may be held with care.",
    ),
    "masks": ("Should children wear masks?", "Children under two should not wear a mask."),
}


def write_kb(folder: Path) -> None:
    for key, (title, body) in ARTICLES.items():
        (folder / f"{key}.md").write_text(
            f"---\nid: {key}\ntitle: {title}\nlanguage: en\n---\n{body}\n", encoding="utf-8"
        )


def test_the_kb_finds_an_article_by_its_meaning(
    tmp_path: Path, embeddings: SentenceEmbeddings
) -> None:
    write_kb(tmp_path)
    kb = load_dir(tmp_path)
    question = "Can I do holidays on a ship?"
    with_vectors = KBIndex(kb, embeddings).search(question, "en")
    assert with_vectors and with_vectors[0].article.id == "cruise"
    # TF-IDF alone has only "I" and "on" in common with any title: the right article stands
    # out less from the others.
    alone = KBIndex(kb).search(question, "en")

    def lead(matches: list[Match]) -> float:
        return matches[0].score / max(0.1, matches[1].score) if len(matches) > 1 else math.inf

    assert not alone or alone[0].article.id != "cruise" or lead(alone) < lead(with_vectors)


def test_a_question_word_alone_in_common_is_not_a_suggestion(
    tmp_path: Path, embeddings: SentenceEmbeddings
) -> None:
    # «сколько» ("how much") is in the balance article's question «сколько денег на счету», and
    # the vectors put a price near money: neither makes a bitcoin price about the balance.
    import_faq(ROOT / "tests" / "faq_sheet" / "telecom-faq.csv", tmp_path)
    index = KBIndex(load_dir(tmp_path), embeddings)
    suggest_threshold = KBSettings().suggest_threshold  # the bot's default
    assert all(m.score < suggest_threshold for m in index.search("сколько стоит биткоин", "ru"))
    balance = index.search("сколько денег осталось на счету", "ru")
    assert balance[0].article.title == "Как проверить баланс?"
    assert balance[0].score >= suggest_threshold
