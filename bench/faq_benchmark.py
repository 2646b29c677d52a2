"""A public FAQ the project never saw, served as a support team would serve it: the CDC/WHO/ECDC
COVID-19 FAQ of deepset's COVID-QA (213 question → answer rows, bench/data/covid_faq) imported
with `python -m kb import`, the shipped intents, and the customer questions of its question-
similarity set (241 paraphrases of 92 FAQ questions, written by people, not by us) plus
CLINC150's out-of-scope test queries (../shared/datasets, if present) as questions it does not
cover.

    .venv/bin/python bench/faq_benchmark.py

Printed per design: the right article answered; answered or first among the suggestions; a
wrong article answered; and for the uncovered questions, an honest "I cannot help".
"""

from __future__ import annotations

import csv
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.kb_policy import NEW, SPARSE, Tally, answer  # noqa: E402
from bot.policy import Thresholds  # noqa: E402
from kb.importer import import_faq  # noqa: E402
from kb.loader import load_dir  # noqa: E402
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


def run(design: str, embeddings: SentenceEmbeddings | None, thresholds: Thresholds) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        import_faq(DATA / "faq.csv", Path(tmp))
        kb = load_dir(Path(tmp))
    started = time.perf_counter()
    engine = EmbeddedEngine.train(load(DATA_DIR), embeddings=embeddings)
    index = KBIndex(kb, embeddings=embeddings)
    built = time.perf_counter() - started
    titles = {q: a.id for a in kb.articles for q in (a.title, *a.aliases)}
    tally = Tally()
    started = time.perf_counter()
    questions = cases(titles)
    for question, right in questions:
        tally.add(right, *answer(engine.parse(question), question, "en", kb, index, thresholds))
    per = (time.perf_counter() - started) / len(questions) * 1000
    return (
        tally.row(f"COVID FAQ ({len(kb.articles)} articles)", design)
        + f" {built:.1f} s | {per:.2f} ms |"
    )


def main() -> None:
    print(
        "| KB | design | right answered | right answered or first suggested | wrong article | uncovered: honest | build | per question |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(run("TF-IDF (suggestions from 30)", None, SPARSE), flush=True)
    print(run("TF-IDF + embeddings (the default)", load_embeddings(), NEW), flush=True)


if __name__ == "__main__":
    main()
