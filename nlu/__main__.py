"""`python -m nlu evaluate --train FILE --test FILE [--backend embedded|rasa] [--json]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from nlu.data import DataError, load
from nlu.engine import EmbeddedEngine
from nlu.evaluate import predict_all, render_text, report

DEFAULT_THRESHOLD = 0.5  # keep in step with nlu.threshold in config.yml


def _evaluate(args: argparse.Namespace) -> dict[str, Any]:
    test = load(Path(args.test))
    texts = [e.text for e in test.examples]
    truths = [e.intent for e in test.examples]
    if args.backend == "embedded":
        start = time.perf_counter()
        engine = EmbeddedEngine.train(load(Path(args.train)))
        train_seconds = time.perf_counter() - start
        predictions = predict_all(engine.parse, texts, truths)
    else:
        from nlu.rasa_client import RasaClient

        async def run() -> list[Any]:
            client = RasaClient(args.rasa_url, timeout=args.timeout)
            results = [await client.parse(text) for text in texts]
            await client.close()
            return results

        start = time.perf_counter()
        results = asyncio.run(run())
        by_text = iter(results)
        predictions = predict_all(lambda _text: next(by_text), texts, truths)
        elapsed = (time.perf_counter() - start) * 1000 / max(1, len(texts))
        predictions = [p.__class__(p.truth, p.intent, p.confidence, elapsed) for p in predictions]
        train_seconds = 0.0
    result = report(predictions, args.threshold)
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
