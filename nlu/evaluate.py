"""Evaluate an NLU backend on a labelled test set, like `rasa test nlu`."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

OOS_LABELS = frozenset({"oos", "out_of_scope", "nlu_fallback"})


@dataclass(frozen=True, slots=True)
class Prediction:
    truth: str
    intent: str
    confidence: float
    latency_ms: float


def is_oos(label: str) -> bool:
    return label in OOS_LABELS


def predict_all(
    parse: Callable[[str], dict[str, Any]], texts: Sequence[str], truths: Sequence[str]
) -> list[Prediction]:
    predictions = []
    for text, truth in zip(texts, truths, strict=True):
        start = time.perf_counter()
        result = parse(text)
        elapsed = (time.perf_counter() - start) * 1000
        intent = result.get("intent") or {}
        predictions.append(
            Prediction(
                truth, str(intent.get("name")), float(intent.get("confidence") or 0.0), elapsed
            )
        )
    return predictions


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def report(predictions: Sequence[Prediction], threshold: float) -> dict[str, Any]:
    """Metrics over raw intents (as `rasa test nlu` does), plus out-of-scope at `threshold`.

    With a threshold, a prediction below it counts as "rejected" (handed to the fallback).
    """
    n = len(predictions)
    correct = sum(p.intent == p.truth for p in predictions)
    labels = sorted({p.truth for p in predictions} | {p.intent for p in predictions})
    per_intent: dict[str, dict[str, float]] = {}
    f1s = []
    for label in sorted({p.truth for p in predictions}):
        tp = sum(p.intent == label and p.truth == label for p in predictions)
        predicted = sum(p.intent == label for p in predictions)
        actual = sum(p.truth == label for p in predictions)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        per_intent[label] = {
            "precision": precision,
            "recall": recall,
            "f1": _f1(precision, recall),
            "support": actual,
        }
        f1s.append(_f1(precision, recall))
    confusions = Counter((p.truth, p.intent) for p in predictions if p.truth != p.intent)
    latencies = np.array([p.latency_ms for p in predictions]) if predictions else np.zeros(1)
    result: dict[str, Any] = {
        "n": n,
        "accuracy": correct / n if n else 0.0,
        "macro_f1": float(np.mean(f1s)) if f1s else 0.0,
        "threshold": threshold,
        "latency_ms_p50": float(np.percentile(latencies, 50)),
        "latency_ms_p99": float(np.percentile(latencies, 99)),
        "per_intent": per_intent,
        "confused_pairs": [
            {"truth": truth, "predicted": predicted, "count": count}
            for (truth, predicted), count in confusions.most_common(10)
        ],
        "labels": len(labels),
    }
    oos = [p for p in predictions if is_oos(p.truth)]
    in_scope = [p for p in predictions if not is_oos(p.truth)]
    if oos:

        def rejected(p: Prediction) -> bool:
            return is_oos(p.intent) or p.confidence < threshold

        result["oos_recall"] = sum(rejected(p) for p in oos) / len(oos)
        result["in_scope_accuracy"] = (
            sum(p.intent == p.truth for p in in_scope) / len(in_scope) if in_scope else 0.0
        )
        result["in_scope_accuracy_at_threshold"] = (
            sum(p.intent == p.truth and not rejected(p) for p in in_scope) / len(in_scope)
            if in_scope
            else 0.0
        )
    return result


def threshold_for_oos_recall(predictions: Sequence[Prediction], recall: float) -> float:
    """The lowest confidence threshold that rejects at least `recall` of out-of-scope queries."""
    confidences = sorted(
        p.confidence for p in predictions if is_oos(p.truth) and not is_oos(p.intent)
    )
    oos_total = sum(is_oos(p.truth) for p in predictions)
    if not oos_total:
        return 0.0
    already = oos_total - len(confidences)  # predicted as out-of-scope outright
    needed = max(0, int(np.ceil(recall * oos_total)) - already)
    if needed == 0:
        return 0.0
    # Reject everything with confidence <= the needed-th lowest: threshold just above it.
    return float(np.nextafter(confidences[needed - 1], 1.0))


def render_text(result: dict[str, Any]) -> str:
    lines = [
        f"examples:        {result['n']}",
        f"accuracy:        {result['accuracy']:.4f}",
        f"macro F1:        {result['macro_f1']:.4f}",
        f"latency p50/p99: {result['latency_ms_p50']:.3f} / {result['latency_ms_p99']:.3f} ms",
    ]
    if "oos_recall" in result:
        lines += [
            f"out-of-scope recall at threshold {result['threshold']:.3f}"
            + (
                f" (chosen on {result['calibrated_on']} for {result['target_oos_recall']:.2f})"
                if "calibrated_on" in result
                else ""
            )
            + f": {result['oos_recall']:.4f}",
            f"in-scope accuracy: {result['in_scope_accuracy']:.4f} "
            f"(at the threshold: {result['in_scope_accuracy_at_threshold']:.4f})",
        ]
    lines += ["", f"{'intent':32} {'precision':>9} {'recall':>7} {'f1':>6} {'n':>5}"]
    for label, row in result["per_intent"].items():
        lines.append(
            f"{label[:32]:32} {row['precision']:9.3f} {row['recall']:7.3f} "
            f"{row['f1']:6.3f} {row['support']:5d}"
        )
    if result["confused_pairs"]:
        lines += ["", "most confused (truth → predicted):"]
        lines += [
            f"  {c['truth']} → {c['predicted']}: {c['count']}" for c in result["confused_pairs"]
        ]
    return "\n".join(lines)
