"""The knowledge base as Rasa training data: each article a retrieval intent `kb/<id>` whose
examples are its title and questions in every language, for Rasa's ResponseSelector
(nlu/config.yml). The bot renders the article itself from its own KB, so an article's
response is only its title, which makes the model readable on its own.

`scripts/rasa-server` writes this beside the Rasa project's data before training, so
NLU_BACKEND=rasa picks articles the way the embedded search does (bot.policy reads the
selection through `nlu.rasa_client.selected_articles`).
"""

from __future__ import annotations

import json
import re

from kb.model import KnowledgeBase
from nlu.rasa_client import RETRIEVAL_INTENT

# Rasa reads `[text](entity)` and `{...}` inside an example as entity annotations.
_ANNOTATION = str.maketrans({"[": "(", "]": ")", "{": "(", "}": ")"})
_SPACE = re.compile(r"\s+")


def _example(text: str) -> str:
    return _SPACE.sub(" ", text.translate(_ANNOTATION)).strip()


def to_rasa_yaml(kb: KnowledgeBase) -> str:
    """Rasa 3.x YAML: the `nlu:` retrieval intents and their `responses:`, articles by id."""
    examples: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    for article in kb.articles:
        phrases = examples.setdefault(article.id, [])
        for phrase in (article.title, *article.aliases):
            text = _example(phrase)
            if text and text not in phrases:
                phrases.append(text)
        titles.setdefault(article.id, article.title)
    lines = [
        "# Made by `python -m kb rasa` from the knowledge base; not edited by hand.",
        'version: "3.1"',
    ]
    if not examples:
        return "\n".join(lines) + "\n"
    lines.append("nlu:")
    for article_id, phrases in examples.items():
        lines += [f"- intent: {RETRIEVAL_INTENT}/{article_id}", "  examples: |"]
        lines += [f"    - {phrase}" for phrase in phrases]
    lines.append("responses:")
    for article_id, title in titles.items():
        text = json.dumps(_SPACE.sub(" ", title), ensure_ascii=False)
        lines += [f"  utter_{RETRIEVAL_INTENT}/{article_id}:", f"  - text: {text}"]
    return "\n".join(lines) + "\n"
