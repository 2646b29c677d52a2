"""The dialogue policy for a customer's free-text question: a pure function from the turn to
one decision, which the question handler then carries out (and logs).

Two sources meet here. The NLU's intent says what kind of turn it is (a request for a person,
an order's status, a greeting, a kind of question); the knowledge base's retrieval says which
articles the question resembles, by their titles and example questions (kb.search, relevance
0-100). An article answers because the question resembles it: an intent only picks among
the articles it names, and an intent with no article never silences a strong match.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from kb.model import Article, KnowledgeBase
from kb.search import Match
from nlu.rasa_client import RETRIEVAL_INTENT

SMALLTALK = frozenset({"greet", "thanks", "goodbye"})
OUT_OF_SCOPE = frozenset({"out_of_scope", "nlu_fallback"})
FLOWS = {"order_status": "order_status", "callback_request": "callback"}
PERSON = "talk_to_operator"
# Handing off costs an operator's time: the NLU must be surer of it than of other intents
# ("book a flight to Paris" came out as a request for a person at 0.65). Words like
# «оператор» hand off before the NLU is asked (bot.filters.AsksForPerson).
PERSON_CONFIDENT = 0.8
# A rival article must beat the intent's own one by this much to answer instead of it.
MARGIN = 10.0
# An article this many times as relevant as any other, and halfway from the suggestion
# threshold to the answer threshold, is the answer: one candidate is not a choice.
DOMINANCE = 2.5


class Action(Enum):
    ANSWER = "answer"  # send `article`
    SUGGEST = "suggest"  # offer `suggestions`
    CANT_HELP = "cant_help"  # nothing relevant: say so, offer a person
    HAND_OFF = "hand_off"  # to a person now
    FLOW = "flow"  # start the dialog `flow`
    SMALLTALK = "smalltalk"  # a short reply to `intent`


@dataclass(frozen=True, slots=True)
class Thresholds:
    confident: float  # NLU confidence (0-1) to act on an intent
    answer: float  # relevance (0-100) to answer with an article on the question's words alone
    suggest: float  # relevance to offer an article as a suggestion
    suggestions: int  # how many at most


@dataclass(frozen=True, slots=True)
class Turn:
    intent: str
    confidence: float
    matches: Sequence[Match]  # retrieval, best first (enough to hold the intent's articles)
    intent_articles: Sequence[Article]  # the articles naming `intent`, in the customer's language


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    article: Article | None = None
    via: str = ""  # how the article was chosen: "intent" or "search"
    suggestions: tuple[Article, ...] = field(default_factory=tuple)
    flow: str = ""
    out_of_scope: bool = False  # the NLU itself said it is not our business


QUESTION_WORDS = frozenset(
    """как где когда куда почему зачем сколько какой какая какое какие каким можно ли есть
    кто что чем подскажите скажите how where when why what which who whom can could do does
    did is are will would should may""".split()  # noqa: SIM905
)
_WORDS = re.compile(r"\w+")
NLU_INPUT_LIMIT = 1000  # the start of a huge message carries its question


def is_confident(intent: str, confidence: float, threshold: float) -> bool:
    """An intent the bot acts on: sure enough, and not the NLU's "not ours"."""
    return confidence >= threshold and intent not in OUT_OF_SCOPE


def looks_like_question(text: str) -> bool:
    """A question mark, or a first word that asks («как вернуть деньги», "where is it")."""
    words = _WORDS.findall(text.lower())
    return text.rstrip().endswith("?") or (bool(words) and words[0] in QUESTION_WORDS)


def intent_articles(
    kb: KnowledgeBase,
    intent: str,
    selected: Sequence[tuple[str, float]],
    language: str,
    confident: float,
) -> list[Article]:
    """The articles an intent points at, in the customer's language: for Rasa's retrieval
    intent the one its ResponseSelector chose (`selected`, best first) if it is `confident`
    of it, else those naming the intent. An unsure selector's pick answered a wrong article
    for 12 % of a public FAQ's questions (docs/benchmarks.md); the search decides those."""
    if intent != RETRIEVAL_INTENT:
        return kb.all_for_intent(intent, language)
    if not selected or selected[0][1] < confident:
        return []
    chosen = kb.get(selected[0][0], language)
    return [chosen] if chosen is not None else []


def decide(turn: Turn, limits: Thresholds) -> Decision:
    confident = is_confident(turn.intent, turn.confidence, limits.confident)
    best = turn.matches[0] if turn.matches else None
    runner_up = turn.matches[1].score if len(turn.matches) > 1 else 0.0
    dominant = (
        best is not None
        and best.score >= (limits.suggest + limits.answer) / 2
        and best.score >= DOMINANCE * runner_up
    )
    strong = best if best is not None and (best.score >= limits.answer or dominant) else None
    suggestions = tuple(
        m.article for m in turn.matches[: limits.suggestions] if m.score >= limits.suggest
    )
    if turn.intent == PERSON and turn.confidence >= max(limits.confident, PERSON_CONFIDENT):
        return Decision(Action.HAND_OFF)
    if confident and (turn.intent in FLOWS or turn.intent in SMALLTALK):
        # "привет, не проходит оплата картой" is a question, not a greeting: a strong match
        # to an article that is not this flow's own answers it.
        if strong is None or turn.intent in strong.article.intents:
            if turn.intent in FLOWS:
                return Decision(Action.FLOW, flow=FLOWS[turn.intent])
            return Decision(Action.SMALLTALK)
        return Decision(Action.ANSWER, strong.article, "search")
    if confident and turn.intent_articles:
        scores = {m.article.id: m.score for m in turn.matches}
        own = max(turn.intent_articles, key=lambda a: scores.get(a.id, 0.0))
        relevance = scores.get(own.id, 0.0)
        if strong is not None and strong.score > relevance + MARGIN:
            return Decision(Action.ANSWER, strong.article, "search")
        # A sure intent for words the article shares nothing with ("Какая процентная ставка?"
        # → delivery) is a classifier forced to choose, not an answer.
        if relevance >= limits.suggest / 2:
            return Decision(Action.ANSWER, own, "intent")
    if strong is not None:
        return Decision(Action.ANSWER, strong.article, "search")
    if suggestions:
        return Decision(Action.SUGGEST, suggestions=suggestions)
    out_of_scope = turn.intent in OUT_OF_SCOPE and turn.confidence >= limits.confident
    return Decision(Action.CANT_HELP, out_of_scope=out_of_scope)
