"""`python -m nlu evaluate --train FILE --test FILE [--backend embedded|rasa] [--json]
[--calibrate VAL_FILE --oos-recall 0.8]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from nlu.data import DataError, load
from nlu.embeddings import load_embeddings
from nlu.engine import EmbeddedEngine
from nlu.evaluate import (
    Prediction,
    predict_all,
    render_text,
    report,
    threshold_for_oos_recall,
)

DEFAULT_THRESHOLD = 0.5  # keep in step with nlu.threshold in config.yml


def raw_intent(result: dict[str, Any]) -> dict[str, Any]:
    """Rasa's own intent when its FallbackClassifier fired, as `rasa test nlu` scores it."""
    intent: dict[str, Any] = result.get("intent") or {}
    if intent.get("name") == "nlu_fallback":
        for candidate in result.get("intent_ranking") or []:
            if candidate.get("name") != "nlu_fallback":
                return {**result, "intent": candidate}
    return result


async def rasa_predictions(
    url: str, request_timeout: float, texts: list[str], truths: list[str]
) -> list[Prediction]:
    from nlu.rasa_client import RasaClient

    client = RasaClient(url, timeout=request_timeout)
    predictions = []
    try:
        for text, truth in zip(texts, truths, strict=True):
            start = time.perf_counter()
            result = raw_intent(await client.parse(text))
            elapsed = (time.perf_counter() - start) * 1000
            intent = result.get("intent") or {}
            predictions.append(
                Prediction(
                    truth, str(intent.get("name")), float(intent.get("confidence") or 0), elapsed
                )
            )
    finally:
        await client.close()
    if client.failures == len(texts) and texts:
        raise ConnectionError(f"no answer from Rasa at {url}")
    return predictions


def _evaluate(args: argparse.Namespace) -> dict[str, Any]:
    train_seconds = 0.0  # Rasa: the server trained its own model beforehand
    if args.backend == "embedded":
        start = time.perf_counter()
        embeddings = None if args.no_embeddings else load_embeddings()
        engine = EmbeddedEngine.train(load(Path(args.train)), embeddings=embeddings)
        train_seconds = time.perf_counter() - start

    def predict(path: str) -> list[Prediction]:
        data = load(Path(path))
        texts = [e.text for e in data.examples]
        truths = [e.intent for e in data.examples]
        if args.backend == "embedded":
            return predict_all(engine.parse, texts, truths)
        return asyncio.run(rasa_predictions(args.rasa_url, args.timeout, texts, truths))

    threshold = args.threshold
    if args.calibrate:
        # Chosen on the validation file, so the test file's figures are honest.
        threshold = threshold_for_oos_recall(predict(args.calibrate), args.oos_recall)
    result = report(predict(args.test), threshold)
    if args.calibrate:
        result["calibrated_on"] = args.calibrate
        result["target_oos_recall"] = args.oos_recall
    result["backend"] = args.backend
    result["train_seconds"] = train_seconds
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlu")
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate", help="train on one file, test on another, print metrics")
    ev.add_argument(
        "--train",
        default=str(Path(__file__).parent / "data"),
        help="Rasa YAML, a directory of them, or CSV text,intent",
    )
    ev.add_argument("--test", required=True, help="Rasa YAML or CSV text,intent")
    ev.add_argument("--backend", choices=("embedded", "rasa"), default="embedded")
    ev.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    ev.add_argument("--timeout", type=float, default=5.0, help="Rasa request timeout, seconds")
    ev.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help="confidence below which a prediction counts as out of scope",
    )
    ev.add_argument(
        "--calibrate",
        metavar="VAL_FILE",
        help="choose the threshold on this validation file (with out-of-scope examples)",
    )
    ev.add_argument(
        "--oos-recall",
        type=float,
        default=0.8,
        help="with --calibrate: the share of out-of-scope questions the threshold must reject",
    )
    ev.add_argument(
        "--no-embeddings",
        action="store_true",
        help="the embedded engine on TF-IDF alone (as the bot with NLU_EMBEDDINGS=false)",
    )
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        result = _evaluate(args)
    except (DataError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(render_text(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
