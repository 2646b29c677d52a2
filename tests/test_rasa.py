"""The real Rasa 3.6 server (scripts/rasa-server): parsing in Russian and English, the KB's
articles picked by its ResponseSelector, a customer dialog through the bot with
NLU_BACKEND=rasa, and Rasa failing mid-dialog.

The `rasa` suite, run by `pytest --suite rasa` and by CI: the first run on a machine installs
Rasa in its own venv and trains nlu/ (several minutes); later runs reuse both (~25 s to start
the server). Without a Python 3.8-3.10 to install Rasa with, tests/conftest.py skips the
suite with the script's one-line reason.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.people import Customer
from nlu.rasa_client import RasaClient, selected_articles
from tests.conftest import ROOT, Launch

pytestmark = pytest.mark.rasa
PORT = "5055"  # not the default 5005, so a developer's own server is left alone
SCRIPT = ROOT / "scripts" / "rasa-server"


def run_script(command: str) -> None:
    # The shipped KB, its data written by this interpreter (the one with the project's packages).
    env = {**os.environ, "RASA_PORT": PORT, "FRONTLINE_PYTHON": sys.executable}
    env.pop("KB_DIR", None)
    env.pop("RASA_KB", None)
    done = subprocess.run(
        [str(SCRIPT), command], env=env, timeout=1800, stderr=subprocess.PIPE, text=True
    )
    if done.returncode != 0:
        pytest.fail(f"scripts/rasa-server {command} failed:\n{done.stderr[-3000:]}")


def server_pid() -> int:
    home = Path(os.environ.get("RASA_HOME", Path.home() / ".cache" / "frontline" / "rasa"))
    return int((home / "run" / f"rasa-{PORT}.pid").read_text())


@pytest.fixture(scope="module")
def rasa_url() -> Iterator[str]:
    run_script("start")
    try:
        yield f"http://127.0.0.1:{PORT}"
    finally:
        run_script("stop")


async def parse(rasa_url: str, text: str) -> dict[str, Any]:
    """The server's own answer: a failed request fails the test (no fallback result)."""
    client = RasaClient(rasa_url, timeout=10)
    try:
        result = await client.parse(text)
    finally:
        await client.close()
    assert client.failures == 0
    return result


@pytest.mark.parametrize(
    ("text", "intent", "article"),
    [
        ("где мой заказ 123456?", "order_status", "order-tracking"),
        ("скока стоит доставка до казани", "delivery", "delivery-terms"),
        ("не могу войти в личный кабинет", "account", "account-login"),
        ("how much is shipping to London", "delivery", "delivery-terms"),
        ("I want my money back for this jacket", "refund", "refund-return"),
        ("can someone call me back tomorrow", "callback_request", "callback"),
    ],
)
async def test_rasa_understands_russian_and_english(
    rasa_url: str, text: str, intent: str, article: str
) -> None:
    result = await parse(rasa_url, text)
    # The intent, or the KB's retrieval intent with the intent's article selected: the KB's
    # questions are trained as `kb/<id>` beside the intents they share words with.
    ranking = [r["name"] for r in result["intent_ranking"] if r["name"] != "nlu_fallback"]
    assert ranking[0] in (intent, "kb")
    if ranking[0] == "kb":
        assert selected_articles(result)[0][0] == article
    if "123456" in text:
        assert any(
            e["entity"] == "order_number" and e["value"] == "123456" for e in result["entities"]
        )


@pytest.mark.parametrize(
    ("text", "article"),
    [
        ("скока идет доставка до казани", "delivery-terms"),
        ("можно вернуть деньги за куртку", "refund-return"),
        ("забыл пароль от личного кабинета", "account-login"),
        ("do you ship to germany", "international"),
        ("my promo code is not accepted", "promo-codes"),
    ],
)
async def test_rasa_selects_the_kb_article_it_was_trained_on(
    rasa_url: str, text: str, article: str
) -> None:
    # scripts/rasa-server trains the shipped KB as retrieval intents for the ResponseSelector.
    result = await parse(rasa_url, text)
    assert selected_articles(result)[0][0] == article


def test_evaluate_cli_against_rasa(rasa_url: str, tmp_path: Path) -> None:
    test_set = tmp_path / "test.csv"
    test_set.write_text(
        "text,intent\nгде моя посылка,order_status\nhow do I pay with a card,payment_methods\n"
        "расскажи анекдот,out_of_scope\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nlu",
            "evaluate",
            "--test",
            str(test_set),
            "--backend",
            "rasa",
            "--rasa-url",
            rasa_url,
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["backend"] == "rasa" and result["n"] == 3
    assert result["accuracy"] >= 2 / 3 and "oos_recall" in result
    assert 0 < result["latency_ms_p50"] < 1000


async def test_customer_dialog_through_the_bot_on_rasa_then_rasa_fails_mid_dialog(
    rasa_url: str, launch: Launch, make_customer: Callable[..., Customer]
) -> None:
    bot = await launch(nlu_backend="rasa", rasa_url=rasa_url, rasa_timeout=1.0)
    rasa = bot.app.nlu.rasa
    assert rasa is not None
    alice = make_customer()
    alice.send("где мой заказ 123456?")
    await alice.receives("Заказ №123456")
    john = make_customer("John", language_code="en")
    john.send("how much does delivery cost?")
    await john.receives("Delivery times and cost")
    assert rasa.failures == 0
    healthy, body = await bot.app.health.check()
    assert healthy and body["status"] == "ok" and body["checks"]["rasa"] == "ok"

    # Rasa hangs (process stopped): the bot waits at most rasa_timeout, then answers anyway.
    pid = server_pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        alice.send("как вернуть товар?")
        await alice.receives("Возврат")
        assert rasa.failures == 1
    finally:
        os.kill(pid, signal.SIGCONT)

    # Rasa is gone: every answer still comes, from the embedded engine.
    run_script("stop")
    john.send("I forgot my password")
    await john.receives("Cannot log in to my account")
    assert rasa.failures == 2
    assert not any("wrong" in t.lower() for t in alice.texts() + john.texts())
    # The replica stays in service (the embedded engine answers) but says it is degraded.
    healthy, body = await bot.app.health.check()
    assert healthy and body["status"] == "degraded"
    assert body["checks"]["rasa"] not in ("ok", "not used")
