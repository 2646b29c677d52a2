"""The embedded engine, the Rasa client's fallback, and `python -m nlu evaluate`."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from aiohttp import web

from nlu.__main__ import main
from nlu.data import load, strip_annotations
from nlu.engine import EmbeddedEngine
from nlu.evaluate import Prediction, report, threshold_for_oos_recall
from nlu.rasa_client import RasaClient
from nlu.service import DATA_DIR, NLU

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def engine() -> EmbeddedEngine:
    return EmbeddedEngine.train(load(DATA_DIR))


def test_training_data_covers_every_intent_in_both_languages() -> None:
    data = load(DATA_DIR)
    domain = yaml.safe_load((ROOT / "nlu" / "domain.yml").read_text())
    assert set(data.intents) == set(domain["intents"])
    assert len(data.intents) >= 18
    for intent in data.intents:
        texts = [e.text for e in data.examples if e.intent == intent]
        russian = [t for t in texts if any("а" <= c <= "я" for c in t.lower())]
        assert len(russian) >= 20, intent
        assert len(texts) - len(russian) >= 20, intent
    assert set(data.regexes) == {"order_number", "phone"}


def test_annotations_are_stripped() -> None:
    assert strip_annotations("где заказ [123456](order_number)?") == "где заказ 123456?"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # Unseen phrasings, with typos and slang, in both languages.
        ("подскажите плиз где мой заказик", "order_status"),
        ("скока стоит доставка до казани", "delivery"),
        ("деньги сняли два раза за один заказ", "payment_failed"),
        ("хочу сдать обратно куртку, не подошла", "refund"),
        ("дайте живого человека", "talk_to_operator"),
        ("не могу зайти в акаунт", "account"),
        ("when does my parcel arrive", "order_status"),
        ("my card was charged 2 times", "payment_failed"),
        ("pls cancel my order", "cancel_order"),
        ("the app crashes when I open the cart", "technical_problem"),
        ("what's the weather like in paris", "out_of_scope"),
        # A shop's words about what a shop does not sell, and products the data never names.
        ("how much is a flight to Paris", "out_of_scope"),
        ("price of gold today", "out_of_scope"),
        ("хочу вернуть кроссовки", "refund"),
        ("cancel my order for the headphones", "cancel_order"),
    ],
)
def test_engine_recognises_unseen_customer_phrasings(
    engine: EmbeddedEngine, text: str, intent: str
) -> None:
    assert engine.parse(text)["intent"]["name"] == intent


def test_parse_has_rasas_shape_and_entities(engine: EmbeddedEngine) -> None:
    result = engine.parse("где заказ 5512378? перезвоните на +7 916 123-45-67")
    assert result["text"] == "где заказ 5512378? перезвоните на +7 916 123-45-67"
    assert set(result["intent"]) == {"name", "confidence"}
    ranking = result["intent_ranking"]
    assert ranking[0] == result["intent"]
    assert [r["confidence"] for r in ranking] == sorted(
        (r["confidence"] for r in ranking), reverse=True
    )
    assert len(ranking) == 10 and all(0 <= r["confidence"] <= 1 for r in ranking)
    entities = {(e["entity"], e["value"]) for e in result["entities"]}
    assert entities == {("order_number", "5512378"), ("phone", "+7 916 123-45-67")}
    order = next(e for e in result["entities"] if e["entity"] == "order_number")
    assert result["text"][order["start"] : order["end"]] == "5512378"


def test_empty_or_unknown_text_is_neutral(engine: EmbeddedEngine) -> None:
    for text in ("", "   ", "🙂🙂", "ъъъъ qqqq zzzz"):
        result = engine.parse(text)
        assert result["intent"]["confidence"] < 0.9 or result["intent"]["name"] == "out_of_scope"


class FakeRasa:
    """A stand-in Rasa server whose behaviour a test can switch."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.release = asyncio.Event()

    async def parse(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.mode == "error":
            return web.Response(status=500, text="boom")
        if self.mode == "hang":
            await self.release.wait()
        if self.mode == "garbage":
            return web.Response(text="not json")
        return web.json_response(
            {
                "text": body["text"],
                "intent": {"name": "delivery", "confidence": 0.97},
                "intent_ranking": [{"name": "delivery", "confidence": 0.97}],
                "entities": [],
            }
        )


@pytest.fixture
async def fake_rasa() -> AsyncIterator[tuple[FakeRasa, str]]:
    fake = FakeRasa()
    app = web.Application()
    app.router.add_post("/model/parse", fake.parse)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield fake, f"http://127.0.0.1:{port}"
    fake.release.set()
    await runner.cleanup()


async def test_rasa_answers_when_up_and_the_engine_takes_over_on_any_failure(
    engine: EmbeddedEngine, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, url = fake_rasa
    nlu = NLU(engine, RasaClient(url, timeout=0.3))
    try:
        result = await nlu.parse("сколько стоит доставка")
        assert result["intent"] == {"name": "delivery", "confidence": 0.97}
        for mode in ("error", "hang", "garbage"):
            fake.mode = mode
            result = await nlu.parse("где мой заказ")
            assert result["intent"]["name"] == "order_status", mode
        assert nlu.fallbacks == 3
    finally:
        await nlu.close()
    down = NLU(engine, RasaClient("http://127.0.0.1:9", timeout=0.3))
    assert (await down.parse("где мой заказ"))["intent"]["name"] == "order_status"
    await down.close()


def test_evaluation_metrics_on_a_hand_computed_case() -> None:
    predictions = [
        Prediction("a", "a", 0.9, 1.0),
        Prediction("a", "b", 0.8, 1.0),
        Prediction("b", "b", 0.7, 2.0),
        Prediction("oos", "a", 0.2, 3.0),
        Prediction("oos", "oos", 0.9, 4.0),
    ]
    r = report(predictions, threshold=0.5)
    assert r["n"] == 5 and r["accuracy"] == 3 / 5
    assert r["per_intent"]["a"]["precision"] == 1 / 2 and r["per_intent"]["a"]["recall"] == 1 / 2
    assert r["per_intent"]["b"] == {"precision": 1 / 2, "recall": 1.0, "f1": 2 / 3, "support": 1}
    assert r["oos_recall"] == 1.0  # one predicted oos, one below the threshold
    assert r["in_scope_accuracy"] == 2 / 3
    assert r["confused_pairs"][0] == {"truth": "a", "predicted": "b", "count": 1}
    assert r["latency_ms_p50"] == 2.0
    assert threshold_for_oos_recall(predictions, 1.0) > 0.2
    assert threshold_for_oos_recall(predictions, 0.5) == 0.0


TINY_TRAINING = [
    ("where is my order", "order"),
    ("track my parcel", "order"),
    ("order status please", "order"),
    ("how much is shipping", "delivery"),
    ("delivery cost", "delivery"),
    ("how long is delivery", "delivery"),
]


async def test_evaluate_cli_prints_json(tmp_path: Path) -> None:
    train = tmp_path / "train.csv"
    test = tmp_path / "test.csv"
    train.write_text("text,intent\n" + "\n".join(f"{t},{i}" for t, i in TINY_TRAINING) + "\n")
    test.write_text(
        "text,intent\nwhere's my order,order\nshipping cost,delivery\nsing me a song,oos\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "nlu",
        "evaluate",
        "--train",
        str(train),
        "--test",
        str(test),
        "--json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    result = json.loads(out)
    assert result["n"] == 3
    assert result["in_scope_accuracy"] == 1.0
    assert {"accuracy", "macro_f1", "latency_ms_p50", "oos_recall"} <= set(result)


def test_calibration_chooses_the_threshold_on_the_validation_file(tmp_path: Path) -> None:
    train, val, test = (tmp_path / f"{n}.csv" for n in ("train", "val", "test"))
    train.write_text("text,intent\n" + "\n".join(f"{t},{i}" for t, i in TINY_TRAINING) + "\n")
    val.write_text("text,intent\nwhere is it,order\nsing me a song,oos\nbook a taxi,oos\n")
    test.write_text("text,intent\nwhere's my order,order\ntell me a joke,oos\n")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(
            [
                "evaluate",
                "--train",
                str(train),
                "--test",
                str(test),
                "--calibrate",
                str(val),
                "--oos-recall",
                "1.0",
                "--json",
            ]
        )
    assert code == 0
    result = json.loads(buffer.getvalue())
    assert result["calibrated_on"] == str(val) and result["target_oos_recall"] == 1.0
    # Every out-of-scope question of the validation file is below the chosen threshold.
    assert result["threshold"] > 0
    assert {"oos_recall", "in_scope_accuracy_at_threshold"} <= set(result)


async def test_evaluate_cli_reports_bad_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("sentence,label\nhi,greet\n")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "nlu",
        "evaluate",
        "--test",
        str(bad),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await process.communicate()
    assert process.returncode == 2
    assert "bad.csv:1: expected a header with 'text' and 'intent'" in err.decode()
