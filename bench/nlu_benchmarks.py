"""NLU benchmarks on public intent datasets: the embedded engine vs a plain TF-IDF + linear SVM.

    .venv/bin/python bench/nlu_benchmarks.py [--datasets ../shared/datasets]

Prints accuracy, macro-F1, out-of-scope figures (CLINC150), parse latency and training time.
The datasets are not part of the repository (see docs/benchmarks.md for where they come from).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from nlu.data import TrainingData, load
from nlu.embeddings import load_embeddings
from nlu.engine import EmbeddedEngine
from nlu.evaluate import Prediction, is_oos, predict_all, report, threshold_for_oos_recall


def baseline(
    train: TrainingData, texts: list[str], truths: list[str]
) -> tuple[list[Prediction], float]:
    """Plain TF-IDF (words 1-2 + char_wb 2-5) + LinearSVC; confidence = top decision score."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion
    from sklearn.svm import LinearSVC

    start = time.perf_counter()
    union = FeatureUnion(
        [
            ("w", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            (
                "c",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2
                ),
            ),
        ]
    )
    svm = LinearSVC(C=0.5).fit(
        union.fit_transform([e.text for e in train.examples]), [e.intent for e in train.examples]
    )
    seconds = time.perf_counter() - start

    def parse(text: str) -> dict[str, object]:
        scores = svm.decision_function(union.transform([text]))[0]
        best = int(np.argmax(scores))
        return {"intent": {"name": str(svm.classes_[best]), "confidence": float(scores[best])}}

    return predict_all(parse, texts, truths), seconds


def at_oos_recall(test: list[Prediction], threshold: float) -> tuple[float, float]:
    r = report(test, threshold)
    return r["in_scope_accuracy_at_threshold"], r["oos_recall"]


def run(name: str, folder: Path) -> None:
    train = load(folder / "train.csv")
    test = load(folder / "test.csv")
    has_oos = any(is_oos(e.intent) for e in test.examples)
    texts = [e.text for e in test.examples]
    truths = [e.intent for e in test.examples]
    print(
        f"\n== {name}: train {len(train.examples)}, test {len(test.examples)}, intents {len(train.intents)}"
    )

    base_train = (
        TrainingData([e for e in train.examples if not is_oos(e.intent)]) if has_oos else train
    )
    base, base_seconds = baseline(base_train, texts, truths)
    start = time.perf_counter()
    engine = EmbeddedEngine.train(train)
    seconds = time.perf_counter() - start
    ours = predict_all(engine.parse, texts, truths)
    start = time.perf_counter()
    dense = EmbeddedEngine.train(train, embeddings=load_embeddings())
    dense_seconds = time.perf_counter() - start  # the vectors' one-time load included, once
    with_vectors = predict_all(dense.parse, texts, truths)
    engines = {"embedded engine": engine, "+ embeddings": dense}

    for label, predictions, train_seconds in (
        ("tfidf+svm baseline", base, base_seconds),
        ("embedded engine", ours, seconds),
        ("+ embeddings", with_vectors, dense_seconds),
    ):
        r = report(predictions, 0.0)
        accuracy = r["in_scope_accuracy"] if has_oos else r["accuracy"]
        line = (
            f"{label:20} accuracy{' (in-scope)' if has_oos else ''} {accuracy:.4f}  macro-F1 {r['macro_f1']:.4f}  "
            f"latency p50 {r['latency_ms_p50']:.3f} ms p99 {r['latency_ms_p99']:.3f} ms  train {train_seconds:.1f} s"
        )
        print(line)
        if has_oos:
            on_test = threshold_for_oos_recall(predictions, 0.8)
            acc, recall = at_oos_recall(predictions, on_test)
            print(
                f"{'':20} threshold rejecting >=80% OOS (chosen on test): {on_test:.3f} -> in-scope accuracy {acc:.4f}, OOS recall {recall:.3f}"
            )
            if label in engines:
                val = load(folder / "val.csv")
                val_predictions = predict_all(
                    engines[label].parse,
                    [e.text for e in val.examples],
                    [e.intent for e in val.examples],
                )
                on_val = threshold_for_oos_recall(val_predictions, 0.8)
                acc, recall = at_oos_recall(predictions, on_val)
                print(
                    f"{'':20} threshold chosen on val: {on_val:.3f} -> test in-scope accuracy {acc:.4f}, OOS recall {recall:.3f}"
                )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--datasets", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "datasets"
    )
    args = parser.parse_args()
    run("Banking77", args.datasets / "banking77")
    run("CLINC150 + out-of-scope", args.datasets / "clinc150_oos")


if __name__ == "__main__":
    main()
