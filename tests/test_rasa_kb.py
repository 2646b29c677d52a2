"""The knowledge base on Rasa: the articles exported as retrieval intents for Rasa's
ResponseSelector (`python -m kb rasa`), and the bot answering the article Rasa selects.
The real server trains and serves them in tests/test_rasa.py; here a stand-in answers with
the JSON Rasa 3.6 returns."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from bot.policy import intent_articles
from bot.sandbox.people import Customer
from kb.loader import load_dir
from kb.model import Article, KnowledgeBase
from kb.rasa_export import to_rasa_yaml
from nlu.rasa_client import selected_articles
from tests.conftest import ROOT, Launch

SHIPPED = ROOT / "kb" / "articles"


def rasa_examples(document: dict[str, Any]) -> dict[str, list[str]]:
    return {
        block["intent"]: [line.removeprefix("- ") for line in block["examples"].splitlines()]
        for block in document["nlu"]
    }


def test_every_article_is_a_retrieval_intent_with_its_questions_in_every_language() -> None:
    kb = load_dir(SHIPPED)
    document = yaml.safe_load(to_rasa_yaml(kb))
    examples = rasa_examples(document)
    assert set(examples) == {f"kb/{a.id}" for a in kb.articles}
    delivery = examples["kb/delivery-terms"]
    for article in (kb.get("delivery-terms", "ru"), kb.get("delivery-terms", "en")):
        assert article is not None
        assert article.title in delivery and set(article.aliases) <= set(delivery)
    assert set(document["responses"]) == {f"utter_kb/{a.id}" for a in kb.articles}
    assert document["version"] == "3.1"


def test_annotation_marks_and_quotes_do_not_become_entities_or_break_the_yaml() -> None:
    tricky = Article(
        "promo",
        "ru",
        'Что такое [акция] {"скидка"}: #1?',
        "Body.",
        Path("promo.md"),
        aliases=("где\n  промокод   взять", "где промокод взять", "- дефис: и двоеточие"),
    )
    document = yaml.safe_load(to_rasa_yaml(KnowledgeBase([tricky])))
    assert rasa_examples(document)["kb/promo"] == [
        'Что такое (акция) ("скидка"): #1?',
        "где промокод взять",  # one line, once
        "- дефис: и двоеточие",
    ]
    assert document["responses"]["utter_kb/promo"] == [{"text": tricky.title}]


def test_an_empty_knowledge_base_is_valid_rasa_data_with_nothing_in_it() -> None:
    assert yaml.safe_load(to_rasa_yaml(KnowledgeBase())) == {"version": "3.1"}


async def run_kb(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kb",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_command_writes_a_teams_kb_as_rasa_data(tmp_path: Path) -> None:
    out = tmp_path / "data" / "kb.yml"
    code, printed, err = await run_kb("rasa", str(ROOT / "tests" / "faq"), "--out", str(out))
    assert code == 0, err
    ids = {a.id for a in load_dir(ROOT / "tests" / "faq").articles}
    assert f"{len(ids)} article(s)" in printed
    assert set(rasa_examples(yaml.safe_load(out.read_text(encoding="utf-8")))) == {
        f"kb/{i}" for i in ids
    }


async def test_the_command_names_the_broken_file_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "broken.md").write_text("---\nid: [x\n---\nBody\n", encoding="utf-8")
    out = tmp_path / "kb.yml"
    code, _, err = await run_kb("rasa", str(tmp_path / "kb"), "--out", str(out))
    assert code == 1 and "broken.md" in err
    assert not out.exists()


RASA_KB_RESULT: dict[str, Any] = {
    "intent": {"name": "kb", "confidence": 0.93},
    "intent_ranking": [{"name": "kb", "confidence": 0.93}],
    "entities": [],
    "response_selector": {
        "all_retrieval_intents": ["kb"],
        "default": {"response": {}, "ranking": []},
        "kb": {
            "response": {
                "responses": [{"text": "Where is my order"}],
                "confidence": 0.81,
                "intent_response_key": "kb/order-tracking",
                "utter_action": "utter_kb/order-tracking",
            },
            "ranking": [
                {"id": 1, "confidence": 0.81, "intent_response_key": "kb/order-tracking"},
                {"id": 2, "confidence": 0.12, "intent_response_key": "kb/damaged-item"},
            ],
        },
    },
}


@pytest.mark.parametrize(
    ("parsed", "expected"),
    [
        (RASA_KB_RESULT, [("order-tracking", 0.81), ("damaged-item", 0.12)]),
        ({"intent": {"name": "delivery", "confidence": 0.9}}, []),  # the embedded engine's
        ({"response_selector": {"kb": {"ranking": "nonsense"}}}, []),
        ({"response_selector": {"kb": {"ranking": [{"intent_response_key": "other/x"}]}}}, []),
        ({"response_selector": {"kb": {"ranking": [None, {"confidence": 0.5}]}}}, []),
        ({"response_selector": []}, []),
    ],
)
def test_the_selection_is_read_from_rasas_answer_and_garbage_is_ignored(
    parsed: dict[str, Any], expected: list[tuple[str, float]]
) -> None:
    assert selected_articles(parsed) == expected


def test_the_selected_article_is_taken_in_the_customers_language() -> None:
    kb = load_dir(SHIPPED)
    chosen = intent_articles(kb, "kb", [("order-tracking", 0.8)], "ru", 0.5)
    assert [(a.id, a.language) for a in chosen] == [("order-tracking", "ru")]
    assert intent_articles(kb, "kb", [("order-tracking", 0.4)], "ru", 0.5) == []  # unsure
    assert intent_articles(kb, "kb", [("no-such-article", 0.9)], "en", 0.5) == []
    assert intent_articles(kb, "kb", [], "en", 0.5) == []
    by_intent = intent_articles(kb, "delivery", [("order-tracking", 0.8)], "en", 0.5)
    assert by_intent == kb.all_for_intent("delivery", "en")


@pytest.fixture
async def rasa_selecting() -> AsyncIterator[str]:
    """A stand-in Rasa server whose ResponseSelector picks the order-tracking article."""

    async def parse(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"text": body["text"], **RASA_KB_RESULT})

    app = web.Application()
    app.router.add_post("/model/parse", parse)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_the_bot_on_rasa_answers_the_article_rasas_selector_chose(
    rasa_selecting: str, launch: Launch, make_customer: Callable[..., Customer]
) -> None:
    # Two articles are about as close in words, so the bot alone would only suggest them.
    await launch(nlu_backend="rasa", rasa_url=rasa_selecting, rasa_timeout=5.0)
    john = make_customer("John", language_code="en")
    john.send("it has been a week and nothing arrived")
    await john.receives("Where is my order")
    anna = make_customer("Анна")
    anna.send("неделю жду и ничего не пришло")
    await anna.receives("Где мой заказ")
