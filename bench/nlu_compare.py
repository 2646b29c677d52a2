"""The embedded engine vs the real Rasa 3.6 on the same data, in one run: intents and a KB.

    .venv/bin/python bench/nlu_compare.py [--split 0.25] [--seed 7] [--port 5056]
                                          [--part intents|kb|both]

Intents: splits nlu/data (stratified by intent, `out_of_scope` included) into train and test,
trains both engines on the train part — Rasa with nlu/config.yml through scripts/rasa-server's
venv, served on 127.0.0.1 — and reports accuracy, macro-F1, out-of-scope recall at the bot's
threshold, parse latency p50/p99, training time and memory.

KB: the COVID FAQ of bench/faq_benchmark.py imported as the KB, Rasa trained on nlu/data plus
the KB's articles as retrieval intents (kb.rasa_export, as scripts/rasa-server trains them),
and the same customer questions answered by the bot's policy over either engine, and by Rasa's
ResponseSelector alone.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import faq_benchmark  # noqa: E402
from bench.kb_policy import NEW, Tally, answer  # noqa: E402
from kb.importer import import_faq  # noqa: E402
from kb.loader import load_dir  # noqa: E402
from kb.rasa_export import to_rasa_yaml  # noqa: E402
from kb.search import KBIndex  # noqa: E402
from nlu.data import Example, TrainingData, load  # noqa: E402
from nlu.embeddings import load_embeddings  # noqa: E402
from nlu.engine import EmbeddedEngine  # noqa: E402
from nlu.evaluate import Prediction, predict_all, report  # noqa: E402
from nlu.rasa_client import RETRIEVAL_INTENT, selected_articles  # noqa: E402
from nlu.service import DATA_DIR  # noqa: E402

HOME = Path(os.environ.get("RASA_HOME", Path.home() / ".cache" / "frontline" / "rasa"))
THRESHOLD = 0.5


def split(data: TrainingData, share: float, seed: int) -> tuple[TrainingData, list[Example]]:
    rng = random.Random(seed)
    train: list[Example] = []
    test: list[Example] = []
    for intent in data.intents:
        examples = [e for e in data.examples if e.intent == intent]
        rng.shuffle(examples)
        cut = max(1, round(len(examples) * share))
        test += examples[:cut]
        train += examples[cut:]
    return TrainingData(train, data.regexes), test


def write_rasa_yaml(data: TrainingData, path: Path) -> None:
    lines = ['version: "3.1"', "nlu:"]
    for intent in data.intents:
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [
            f"    - {json.dumps(e.text, ensure_ascii=False)[1:-1]}"
            for e in data.examples
            if e.intent == intent
        ]
    for name, patterns in data.regexes.items():
        lines += [f"- regex: {name}", "  examples: |", *(f"    - {p}" for p in patterns)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rasa_run(args: list[str], cwd: Path) -> None:
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "RASA_CACHE_DIRECTORY": str(cwd / ".cache"),
    }
    subprocess.run(
        [str(HOME / "venv" / "bin" / "rasa"), *args],
        cwd=cwd,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def parse_over_http(url: str, text: str) -> dict:  # type: ignore[type-arg]
    request = urllib.request.Request(
        f"{url}/model/parse",
        data=json.dumps({"text": text}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        result = json.load(response)
    intent = result.get("intent") or {}
    if intent.get("name") == "nlu_fallback":  # score the raw intent, as `rasa test nlu` does
        ranking = [r for r in result.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
        if ranking:
            result["intent"] = ranking[0]
    return result  # type: ignore[no-any-return]


def row(name: str, figures: dict, train_s: float, memory_mb: float) -> str:  # type: ignore[type-arg]
    return (
        f"{name:10} accuracy {figures['accuracy']:.4f}  macro-F1 {figures['macro_f1']:.4f}  "
        f"OOS recall@{THRESHOLD} {figures.get('oos_recall', float('nan')):.3f}  "
        f"in-scope acc@{THRESHOLD} {figures.get('in_scope_accuracy_at_threshold', float('nan')):.4f}  "
        f"p50 {figures['latency_ms_p50']:.3f} ms  p99 {figures['latency_ms_p99']:.3f} ms  "
        f"train {train_s:.1f} s  memory {memory_mb:.0f} MB"
    )


@contextlib.contextmanager
def served_rasa(data: list[Path], port: int) -> Iterator[tuple[str, float, int]]:
    """A Rasa NLU model trained on `data` with nlu/config.yml and served on loopback, as
    (url, training seconds, the server's pid)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "data").mkdir()
        for i, path in enumerate(data):
            shutil.copy(path, work / "data" / f"{i}-{path.name}")
        started = time.perf_counter()
        rasa_run(
            [
                "train",
                "nlu",
                "--config",
                str(ROOT / "nlu" / "config.yml"),
                "--nlu",
                "data",
                "--out",
                "models",
                "--fixed-model-name",
                "split",
            ],
            work,
        )
        trained = time.perf_counter() - started
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
        server = subprocess.Popen(
            [
                str(HOME / "venv" / "bin" / "rasa"),
                "run",
                "--enable-api",
                "-i",
                "127.0.0.1",
                "-p",
                str(port),
                "--model",
                "models/split.tar.gz",
            ],
            cwd=work,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(180):
                try:
                    urllib.request.urlopen(f"{url}/status", timeout=2)
                    break
                except OSError:
                    time.sleep(1)
            parse_over_http(url, "warm up")
            yield url, trained, server.pid
        finally:
            server.terminate()
            server.wait(timeout=30)


def compare_intents(args: argparse.Namespace) -> None:
    data = load(ROOT / "nlu" / "data")
    train, test = split(data, args.split, args.seed)
    texts, truths = [e.text for e in test], [e.intent for e in test]
    print(
        f"nlu/data: {len(train.examples)} train, {len(test)} test examples, {len(data.intents)} intents"
    )

    before = rss_mb()
    started = time.perf_counter()
    engine = EmbeddedEngine.train(train)
    embedded_train = time.perf_counter() - started
    embedded_memory = rss_mb() - before
    embedded = report(predict_all(engine.parse, texts, truths), THRESHOLD)

    with tempfile.TemporaryDirectory() as tmp:
        write_rasa_yaml(train, Path(tmp) / "train.yml")
        with served_rasa([Path(tmp) / "train.yml"], args.port) as (url, rasa_train, pid):
            rasa_predictions: list[Prediction] = predict_all(
                lambda text: parse_over_http(url, text), texts, truths
            )
            rasa_memory = rss_mb(pid)
    rasa = report(rasa_predictions, THRESHOLD)
    print(row("embedded", embedded, embedded_train, embedded_memory))
    print(row("Rasa DIET", rasa, rasa_train, rasa_memory))
    speedup = rasa["latency_ms_p50"] / embedded["latency_ms_p50"]
    print(f"embedded parse is {speedup:.0f}x faster at p50 (Rasa over HTTP on loopback)")


def selector_alone(parsed: dict[str, Any]) -> tuple[str | None, list[str]]:
    """Rasa's ResponseSelector as the only judge: its article when DIET says `kb` with the
    bot's confidence and the selector is as sure, else its first three above 0.1 offered."""
    ranking = selected_articles(parsed)
    intent = parsed.get("intent") or {}
    if (
        ranking
        and intent.get("name") == RETRIEVAL_INTENT
        and float(intent.get("confidence", 0)) >= THRESHOLD
        and ranking[0][1] >= THRESHOLD
    ):
        return ranking[0][0], []
    return None, [article for article, confidence in ranking[:3] if confidence >= 0.1]


def compare_kb(args: argparse.Namespace) -> None:
    """The same KB (the COVID FAQ of bench/faq_benchmark.py) answered by the embedded engine
    and by Rasa, whose ResponseSelector learns the KB's articles as retrieval intents."""
    with tempfile.TemporaryDirectory() as tmp:
        import_faq(faq_benchmark.DATA / "faq.csv", Path(tmp) / "kb")
        kb = load_dir(Path(tmp) / "kb")
        (Path(tmp) / "kb.yml").write_text(to_rasa_yaml(kb), encoding="utf-8")
        titles = {q: a.id for a in kb.articles for q in (a.title, *a.aliases)}
        questions = faq_benchmark.cases(titles)
        print(
            f"KB: the COVID FAQ, {len(kb.articles)} articles; {len(questions)} questions, "
            f"{sum(right is None for _, right in questions)} of them not covered"
        )
        embeddings = load_embeddings()
        engine = EmbeddedEngine.train(load(DATA_DIR), embeddings=embeddings)
        index = KBIndex(kb, embeddings=embeddings)
        embedded, through_bot, alone = Tally(), Tally(), Tally()
        for question, right in questions:
            embedded.add(right, *answer(engine.parse(question), question, "en", kb, index, NEW))
        files = [*sorted((ROOT / "nlu" / "data").rglob("*.yml")), Path(tmp) / "kb.yml"]
        with served_rasa(files, args.port) as (url, trained, pid):
            for question, right in questions:
                parsed = parse_over_http(url, question)
                through_bot.add(right, *answer(parsed, question, "en", kb, index, NEW))
                alone.add(right, *selector_alone(parsed))
            memory = rss_mb(pid)
    print(
        f"Rasa trained on nlu/data + the KB as retrieval intents in {trained:.0f} s, "
        f"server RSS {memory:.0f} MB"
    )
    print(
        "| KB | design | right answered | right answered or first suggested | wrong article | uncovered: honest |"
    )
    print("|---|---|---|---|---|---|")
    for design, tally in (
        ("embedded engine + KB search, bot.policy (the default)", embedded),
        ("Rasa (DIET + ResponseSelector) + KB search, bot.policy (NLU_BACKEND=rasa)", through_bot),
        ("Rasa's ResponseSelector alone", alone),
    ):
        print(tally.row("COVID FAQ", design))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--port", type=int, default=5056)
    parser.add_argument("--part", choices=("intents", "kb", "both"), default="both")
    args = parser.parse_args()
    subprocess.run([str(ROOT / "scripts" / "rasa-server"), "install"], check=True)
    if args.part in ("intents", "both"):
        compare_intents(args)
    if args.part in ("kb", "both"):
        compare_kb(args)
    print(
        f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
