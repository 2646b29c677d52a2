"""Which answer a customer's question gets: the policy (bot.policy) over the KB's retrieval
(kb.search) and the embedded NLU, against the previous design in the same run — rapidfuzz's
`token_set_ratio` over titles, aliases and body sentences (thresholds 75 / 50), a confident
intent's article first and a confident intent without one vetoing any match.

    .venv/bin/pip install -e ".[dev,bench]"
    .venv/bin/python bench/kb_policy.py

Three knowledge bases: the shipped shop KB, the bank FAQ of the tests (tests/faq) and the
mobile operator's FAQ imported from tests/faq_sheet/telecom-faq.csv, each with questions
worded as customers word them (none of them an article's own example) and questions the KB
does not cover. Printed per KB and design: the right article answered, the right article first
among the suggestions, a wrong article answered, and, for uncovered questions, an honest "I
cannot help" (no article, no suggestion).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.policy import Thresholds, Turn, decide, intent_articles  # noqa: E402
from kb.importer import import_faq  # noqa: E402
from kb.loader import load_dir  # noqa: E402
from kb.model import Article, KnowledgeBase  # noqa: E402
from kb.search import KBIndex, body_phrases  # noqa: E402
from nlu.embeddings import load_embeddings  # noqa: E402
from nlu.rasa_client import selected_articles  # noqa: E402
from nlu.service import NLU  # noqa: E402

Case = tuple[str, str, str | None]  # language, question, the right article's id (None: not covered)

SHOP: list[Case] = [
    ("ru", "скока идет доставка до казани", "delivery-terms"),
    ("ru", "забыл пароль, не могу зайти", "account-login"),
    ("ru", "можно оплатить картой при получении?", "payment-methods"),
    ("ru", "не проходит оплата картой", "payment-failed"),
    ("ru", "можно ли вернуть деньги за куртку", "refund-return"),
    ("ru", "промокод не работает", "promo-codes"),
    ("ru", "куда потратить бонусы", "bonus-points"),
    ("ru", "доставляете в казахстан?", "international"),
    ("ru", "удалите мой аккаунт", "delete-account"),
    ("ru", "хочу отменить заказ", "cancel-order"),
    ("ru", "поменять адрес доставки в заказе", "change-order"),
    ("ru", "во сколько вы открываетесь", "working-hours"),
    ("en", "how do I return a jacket", "refund-return"),
    ("en", "my promo code is not accepted", "promo-codes"),
    ("en", "do you ship to germany", "international"),
    ("en", "delete all my data and my account", "delete-account"),
    ("en", "what time are you open", "working-hours"),
    ("en", "i need a receipt for my purchase", "receipts"),
    ("ru", "сколько стоит биткоин", None),
    ("ru", "хочу вернуть мужа", None),
    ("ru", "подписку на журнал отменить", None),
    ("ru", "какой курс доллара", None),
    ("ru", "Какая процентная ставка?", None),
    ("en", "recommend a good pizza place", None),
    ("en", "what is the weather tomorrow", None),
    ("en", "who won the football match", None),
    ("en", "how do I", None),
    # Written on 2026-12-04 before out_of_scope gained its examples of shop words about other
    # things (nlu/data), and kept out of them: products the data never names, and shop verbs
    # about what a shop does not do.
    ("ru", "хочу вернуть кроссовки", "refund-return"),
    ("ru", "как вернуть телевизор", "refund-return"),
    ("ru", "можно сдать обратно наушники", "refund-return"),
    ("ru", "отменить заказ на ноутбук", "cancel-order"),
    ("ru", "сколько стоит доставка холодильника", "delivery-terms"),
    ("ru", "можно оплатить диван в рассрочку", "installments"),
    ("ru", "сколько стоит доставка", "delivery-terms"),
    ("ru", "хочу отменить заказ, передумал", "cancel-order"),
    ("en", "how do I return my sneakers", "refund-return"),
    ("en", "cancel my order for the headphones", "cancel-order"),
    ("en", "how much is shipping for a fridge", "delivery-terms"),
    ("en", "can I pay for the sofa in installments", "installments"),
    ("ru", "сколько стоит квартира в москве", None),
    ("ru", "как вернуть бывшую", None),
    ("ru", "отменить свадьбу", None),
    ("ru", "цена на бензин", None),
    ("ru", "верните мне молодость", None),
    ("ru", "как оплатить штраф гибдд", None),
    ("ru", "когда доставят пенсию", None),
    ("ru", "сколько стоит билет в театр", None),
    ("ru", "вернуть долг другу", None),
    ("ru", "курс евро на завтра", None),
    ("ru", "как записаться к врачу", None),
    ("ru", "сколько стоит обучение в вузе", None),
    ("ru", "отменить подписку на нетфликс", None),
    ("ru", "статус заявки на визу", None),
    ("en", "how much is a flight to Paris", None),
    ("en", "cancel my gym membership", None),
    ("en", "I want to return to my home country", None),
    ("en", "price of gold today", None),
    ("en", "how do I pay my taxes", None),
    ("en", "where can I buy cheap tickets to the concert", None),
    ("en", "track my fitness progress", None),
    ("en", "delivery of my baby is due next week", None),
    ("en", "refund my parking ticket", None),
    ("en", "what's the status of my visa application", None),
    ("en", "I'd like to buy a flight to Paris", None),
    ("en", "how much does a bitcoin cost", None),
]
BANK: list[Case] = [
    ("ru", "у меня украли кошелёк с картой, что делать?", "card-block"),
    ("ru", "какие сейчас проценты по депозиту", "deposit-rate"),
    ("ru", "какие бумаги нужны чтобы взять ипотеку", "mortgage-docs"),
    ("ru", "сколько денег можно перевести за день", "transfer-limits"),
    ("ru", "карта скоро закончится, как получить новую", "card-reissue"),
    ("ru", "не приходит код в смс, не могу зайти", "app-login"),
    ("ru", "банкомат съел карту", "card-block"),
    ("ru", "Какая процентная ставка?", "deposit-rate"),
    ("en", "I lost my card", "card-block"),
    ("en", "what interest do you pay on deposits", "deposit-rate"),
    ("en", "is there a daily transfer limit", "transfer-limits"),
    ("en", "I can't log into the app", "app-login"),
    ("en", "my card expires next month", "card-reissue"),
    ("ru", "сколько стоит доставка пиццы", None),
    ("ru", "кто выиграл матч вчера", None),
    ("ru", "хочу вернуть товар", None),
    ("en", "what documents do I need for a mortgage", None),  # in Russian only
    ("en", "recommend a good pizza place", None),
]
TELECOM: list[Case] = [
    ("ru", "сколько у меня осталось денег на балансе", "kak-proverit-balans"),
    ("ru", "как закинуть деньги на номер", "kak-popolnit-schet"),
    ("ru", "интернет на телефоне не работает", "ne-rabotaet-mobil-nyy-internet"),
    ("ru", "хочу другой тариф", "kak-smenit-tarif"),
    ("ru", "можно перейти к вам и сохранить номер?", "kak-perenesti-nomer-k-vam"),
    ("en", "what's my balance", "how-do-i-check-my-balance"),
    ("en", "how can I add money to my phone", "how-do-i-top-up"),
    ("en", "no internet on my phone", "mobile-internet-does-not-work"),
    ("ru", "сколько стоит биткоин", None),
    ("en", "book a flight to Paris", None),
    ("ru", "какая погода завтра", None),
]
# The defaults (kb.match_threshold, kb.suggest_threshold); without embeddings the relevance of
# unrelated questions runs higher, and 30 was its suggestion threshold.
NEW = Thresholds(confident=0.5, answer=55, suggest=20, suggestions=3)
SPARSE = Thresholds(confident=0.5, answer=55, suggest=30, suggestions=3)


@dataclass
class Tally:
    answered: int = 0
    first_suggested: int = 0
    wrong: int = 0
    covered: int = 0
    honest: int = 0
    uncovered: int = 0

    def add(self, right: str | None, article: str | None, suggestions: list[str]) -> None:
        if right is None:
            self.uncovered += 1
            self.honest += article is None and not suggestions
            return
        self.covered += 1
        self.answered += article == right
        self.first_suggested += article is None and suggestions[:1] == [right]
        self.wrong += article is not None and article != right

    def row(self, name: str, design: str) -> str:
        c, u = self.covered or 1, self.uncovered or 1
        return (
            f"| {name} | {design} | {self.answered / c:.0%} | "
            f"{(self.answered + self.first_suggested) / c:.0%} | {self.wrong / c:.0%} | "
            f"{self.honest / u:.0%} |"
        )


def answer(
    parsed: dict[str, Any],
    question: str,
    language: str,
    kb: KnowledgeBase,
    index: KBIndex,
    thresholds: Thresholds,
) -> tuple[str | None, list[str]]:
    """What the bot does with a parsed question: the article it answers, the ones it suggests."""
    intent, confidence = str(parsed["intent"]["name"]), float(parsed["intent"]["confidence"])
    matches = index.search(question, language, 3)
    own = intent_articles(kb, intent, selected_articles(parsed), language, thresholds.confident)
    turn = Turn(intent, confidence, matches, own)
    decision = decide(turn, thresholds)
    article = decision.article.id if decision.article else None
    return article, [a.id for a in decision.suggestions]


class FuzzyBaseline:
    """The previous design, kept here to be measured against."""

    def __init__(self, kb: KnowledgeBase) -> None:
        from rapidfuzz import utils

        self.kb = kb
        self.choices: dict[str, list[tuple[str, Article, float]]] = {}
        for a in kb.articles:
            bucket = self.choices.setdefault(a.language, [])
            for phrase in (a.title, *a.aliases):
                bucket.append((utils.default_process(phrase), a, 1.0))
            for phrase in body_phrases(a.body):
                bucket.append((utils.default_process(phrase), a, 0.85))

    def search(self, query: str, language: str) -> list[tuple[Article, float]]:
        from rapidfuzz import fuzz, process, utils

        choices = self.choices.get(language, [])
        text = utils.default_process(query)
        if not text or not choices:
            return []
        hits = process.extract(
            text, [c[0] for c in choices], scorer=fuzz.token_set_ratio, processor=None, limit=12
        )
        best: dict[str, tuple[Article, float]] = {}
        for _phrase, raw, index in hits:
            _t, article, weight = choices[index]
            if article.id not in best or best[article.id][1] < raw * weight:
                best[article.id] = (article, float(raw) * weight)
        return sorted(best.values(), key=lambda m: -m[1])[:3]

    def decide(
        self, parsed: dict[str, Any], text: str, language: str
    ) -> tuple[str | None, list[str]]:
        intent, confidence = str(parsed["intent"]["name"]), float(parsed["intent"]["confidence"])
        matches = self.search(text, language)
        confident = confidence >= 0.5 and intent not in ("out_of_scope", "nlu_fallback")
        if confident and intent in ("talk_to_operator", "order_status", "callback_request"):
            return None, []
        own = self.kb.for_intent(intent, language) if confident else None
        if matches and matches[0][1] >= 75:
            best = matches[0][0]
            if own is None and not confident:
                return best.id, []
            if own is not None and not best.intents and best.id != own.id:
                rival = next((s for a, s in matches if a.id == own.id), 0.0)
                if matches[0][1] > rival:
                    return best.id, []
        if confident and intent in ("greet", "thanks", "goodbye"):
            return None, []
        if own is not None:
            return own.id, []
        return None, [a.id for a, s in matches if s >= 50]


async def run(name: str, directory: Path, cases: list[Case], nlu: NLU, dense_nlu: NLU) -> list[str]:
    kb = load_dir(directory)
    baseline = FuzzyBaseline(kb)
    designs = [
        ("TF-IDF relevance, bot.policy", nlu, KBIndex(kb), SPARSE),
        ("the same + embeddings (the default)", dense_nlu, KBIndex(kb, load_embeddings()), NEW),
    ]
    old, new = Tally(), [Tally() for _ in designs]
    for language, question, right in cases:
        for (_, parser, index, thresholds), tally in zip(designs, new, strict=True):
            parsed = await parser.parse(question)
            tally.add(right, *answer(parsed, question, language, kb, index, thresholds))
        old.add(right, *baseline.decide(await nlu.parse(question), question, language))
    return [old.row(name, "before: rapidfuzz, intent first")] + [
        tally.row(name, design) for (design, *_), tally in zip(designs, new, strict=True)
    ]


async def main() -> None:
    nlu, dense_nlu = NLU.build(), NLU.build(embeddings=load_embeddings())
    with tempfile.TemporaryDirectory() as tmp:
        import_faq(ROOT / "tests" / "faq_sheet" / "telecom-faq.csv", Path(tmp))
        rows = []
        for name, directory, cases in (
            ("shop (shipped)", ROOT / "kb" / "articles", SHOP),
            ("bank (tests/faq)", ROOT / "tests" / "faq", BANK),
            ("telecom (imported)", Path(tmp), TELECOM),
        ):
            rows += await run(name, directory, cases, nlu, dense_nlu)
    print(
        "| KB | design | right answered | right answered or first suggested | wrong article | uncovered: honest |"
    )
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    asyncio.run(main())
