"""A public FAQ the project never saw, served as a support team would serve it: the CDC's
COVID-19 FAQ of deepset's COVID-QA (111 question → answer rows, bench/data/covid_faq) imported
with `python -m kb import`, the shipped intents, and the customer questions of its question-
similarity set (241 paraphrases of 92 FAQ questions, written by people, not by us) plus
CLINC150's out-of-scope test queries (../shared/datasets, if present) as questions it does not
cover.

    .venv/bin/python bench/faq_benchmark.py

Printed per design, beside the design before issue 16 (rapidfuzz over the same articles, a
confident intent's article first) measured in the same run: the right article answered;
answered or first among the suggestions; a wrong article answered; and for the uncovered
questions, an honest "I cannot help".
"""

from __future__ import annotations

import csv
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.kb_policy import NEW, SPARSE, FuzzyBaseline, Tally, answer  # noqa: E402
from bot.policy import Thresholds  # noqa: E402
from kb.importer import import_faq  # noqa: E402
from kb.loader import load_dir  # noqa: E402
from kb.model import KnowledgeBase  # noqa: E402
from kb.search import KBIndex  # noqa: E402
from nlu.data import load  # noqa: E402
from nlu.embeddings import SentenceEmbeddings, load_embeddings  # noqa: E402
from nlu.engine import EmbeddedEngine  # noqa: E402
from nlu.service import DATA_DIR  # noqa: E402

DATA = ROOT / "bench" / "data" / "covid_faq"
OOS = ROOT.parent / "shared" / "datasets" / "clinc150_oos" / "test.csv"


def cases(kb_titles: dict[str, str]) -> list[tuple[str, str | None]]:
    with (DATA / "paraphrases.csv").open(encoding="utf-8") as f:
        covered = [
            (row["customer_question"], kb_titles[row["faq_question"]]) for row in csv.DictReader(f)
        ]
    uncovered: list[tuple[str, str | None]] = []
    if OOS.is_file():
        with OOS.open(encoding="utf-8") as f:
            uncovered = [(row["text"], None) for row in csv.DictReader(f) if row["intent"] == "oos"]
    return covered + uncovered


def covid_kb() -> KnowledgeBase:
    with tempfile.TemporaryDirectory() as tmp:
        import_faq(DATA / "faq.csv", Path(tmp))
        return load_dir(Path(tmp))


def titles(kb: KnowledgeBase) -> dict[str, str]:
    return {q: a.id for a in kb.articles for q in (a.title, *a.aliases)}


def measure(
    kb: KnowledgeBase,
    design: str,
    built: float,
    decide: Callable[[str], tuple[str | None, list[str]]],
) -> str:
    """One table row: every question through `decide` (→ the article answered, suggestions)."""
    tally = Tally()
    started = time.perf_counter()
    questions = cases(titles(kb))
    for question, right in questions:
        tally.add(right, *decide(question))
    per = (time.perf_counter() - started) / len(questions) * 1000
    return (
        tally.row(f"COVID FAQ ({len(kb.articles)} articles)", design)
        + f" {built:.1f} s | {per:.2f} ms |"
    )


def run_before() -> str:
    """The design before issue 16, on the same KB and questions."""
    kb = covid_kb()
    started = time.perf_counter()
    engine = EmbeddedEngine.train(load(DATA_DIR))
    baseline = FuzzyBaseline(kb)
    built = time.perf_counter() - started

    return measure(
        kb,
        "before: rapidfuzz, intent first",
        built,
        lambda question: baseline.decide(engine.parse(question), question, "en"),
    )


def run(design: str, embeddings: SentenceEmbeddings | None, thresholds: Thresholds) -> str:
    kb = covid_kb()
    started = time.perf_counter()
    engine = EmbeddedEngine.train(load(DATA_DIR), embeddings=embeddings)
    index = KBIndex(kb, embeddings=embeddings)
    built = time.perf_counter() - started
    return measure(
        kb,
        design,
        built,
        lambda question: answer(engine.parse(question), question, "en", kb, index, thresholds),
    )


def main() -> None:
    print(
        "| KB | design | right answered | right answered or first suggested | wrong article | uncovered: honest | build | per question |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(run_before(), flush=True)
    print(run("TF-IDF (suggestions from 30)", None, SPARSE), flush=True)
    print(run("TF-IDF + embeddings (the default)", load_embeddings(), NEW), flush=True)


if __name__ == "__main__":
    main()
