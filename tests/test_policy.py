"""The dialogue policy on its own: tables of turns (intent, confidence, retrieval) and the one
decision each must give."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.policy import Action, Decision, Thresholds, Turn, decide
from kb.model import Article
from kb.search import Match

LIMITS = Thresholds(confident=0.5, answer=55, suggest=30, suggestions=3)


def article(article_id: str, *intents: str) -> Article:
    return Article(
        article_id, "en", article_id.title(), "Body.", Path(f"{article_id}.md"), intents=intents
    )


PRICES = article("prices", "prices_plans")
PROMO = article("promo")
DELIVERY = article("delivery", "delivery")
PICKUP = article("pickup", "delivery")
DEPOSIT = article("deposit")
CARD = article("card")
CALLBACK = article("callback", "callback_request")


def turn(intent: str, confidence: float, *matches: tuple[Article, float]) -> Turn:
    found = [Match(a, s) for a, s in matches]
    intents = [
        a for a in (PRICES, PROMO, DELIVERY, PICKUP, DEPOSIT, CARD, CALLBACK) if intent in a.intents
    ]
    return Turn(intent, confidence, found, intents)


def shown(decision: Decision) -> tuple[str, str]:
    if decision.article is not None:
        return decision.action.value, decision.article.id
    if decision.suggestions:
        return decision.action.value, ",".join(a.id for a in decision.suggestions)
    return decision.action.value, decision.flow


@pytest.mark.parametrize(
    ("case", "given", "expected"),
    [
        (
            "a sure intent answers with its article",
            turn("prices_plans", 0.9, (PRICES, 40)),
            ("answer", "prices"),
        ),
        (
            "a narrow article named outright beats the broad intent",
            turn("prices_plans", 0.9, (PROMO, 90), (PRICES, 45)),
            ("answer", "promo"),
        ),
        (
            "a close rival does not",
            turn("prices_plans", 0.9, (PROMO, 60), (PRICES, 55)),
            ("answer", "prices"),
        ),
        (
            "articles sharing an intent: the question's words pick",
            turn("delivery", 0.9, (PICKUP, 50), (DELIVERY, 20)),
            ("answer", "pickup"),
        ),
        (
            "a sure intent with no article never vetoes a strong match",
            turn("delivery", 0.58, (DEPOSIT, 72)),
            ("answer", "deposit"),
        ),
        (
            "a sure intent with no article and nothing relevant cannot help",
            turn("refund", 1.0),
            ("cant_help", ""),
        ),
        (
            "a sure intent for words its article does not share is no answer",
            turn("delivery", 0.58, (PROMO, 20)),
            ("cant_help", ""),
        ),
        (
            "unsure: plausible articles are suggested",
            turn("account", 0.3, (CARD, 40), (DEPOSIT, 35), (PROMO, 10)),
            ("suggest", "card,deposit"),
        ),
        (
            "one article far ahead of any other is the answer",
            turn("account", 0.3, (CARD, 47), (DEPOSIT, 9)),
            ("answer", "card"),
        ),
        (
            "noise is not suggested",
            turn("account", 0.3, (CARD, 15), (DEPOSIT, 12)),
            ("cant_help", ""),
        ),
        (
            "a faint request for a person is no hand-off",
            turn("talk_to_operator", 0.65),
            ("cant_help", ""),
        ),
        (
            "a request for a person hands off",
            turn("talk_to_operator", 0.8, (CARD, 90)),
            ("hand_off", ""),
        ),
        (
            "an order's status starts its dialog",
            turn("order_status", 0.9),
            ("flow", "order_status"),
        ),
        (
            "a greeting with a real question in it is answered",
            turn("greet", 0.9, (CARD, 80)),
            ("answer", "card"),
        ),
        (
            "a flow's own article does not stop the flow",
            turn("callback_request", 0.9, (CALLBACK, 95)),
            ("flow", "callback"),
        ),
        ("small talk", turn("thanks", 0.95), ("smalltalk", "")),
    ],
)
def test_the_policy_decides(case: str, given: Turn, expected: tuple[str, str]) -> None:
    assert shown(decide(given, LIMITS)) == expected, case


def test_out_of_scope_is_marked_so_only_when_the_nlu_is_sure() -> None:
    assert decide(turn("out_of_scope", 0.9), LIMITS) == Decision(
        Action.CANT_HELP, out_of_scope=True
    )
    assert decide(turn("out_of_scope", 0.2), LIMITS).out_of_scope is False
    # A sure "out of scope" still lets a strong article answer: the words win.
    assert shown(decide(turn("out_of_scope", 0.9, (CARD, 70)), LIMITS)) == ("answer", "card")
