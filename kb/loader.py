"""Load `*.md` articles with YAML front matter from a directory tree.

Every problem is collected (not just the first) and reported as `file:line: message`, so an
admin can fix a broken edit in one pass.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from kb.model import Article, KBError, KnowledgeBase, Problem
from kb.yaml_errors import locate

LANGUAGES = ("ru", "en")
REQUIRED = ("id", "title", "language")
MAX_BUTTONS = 8
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
KNOWN_KEYS = {"id", "title", "language", "category", "intents", "questions", "aliases", "buttons"}
MAX_CATEGORY_LEVELS = 3


def _key_lines(front: str) -> dict[str, int]:
    """Line offset (within the front matter) of each top-level key, for error messages."""
    lines: dict[str, int] = {}
    for number, line in enumerate(front.splitlines(), start=1):
        if line and not line[0].isspace() and ":" in line and not line.startswith("#"):
            lines.setdefault(line.split(":", 1)[0].strip(), number)
    return lines


def _str_list(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def parse_article(
    path: Path, text: str, warnings: list[Problem] | None = None
) -> tuple[Article | None, list[Problem]]:
    """The article in `text`, or the problems that keep it out; keys the loader does not
    know are kept out of the article and reported in `warnings`."""
    problems: list[Problem] = []
    if not text.startswith("---"):
        return None, [Problem(path, 1, "missing front matter: the file must start with '---'")]
    lines = text.splitlines()
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    except StopIteration:
        return None, [Problem(path, 1, "front matter is not closed with '---'")]
    front = "\n".join(lines[1:end])
    body = "\n".join(lines[end + 1 :]).strip()
    try:
        meta = yaml.safe_load(front) or {}
    except yaml.MarkedYAMLError as exc:
        index, problem = locate(exc)
        # The front matter starts on the file's second line, after the opening '---'.
        line = index + 2 if index is not None else 1
        return None, [Problem(path, line, f"bad front matter: {problem}")]
    if not isinstance(meta, dict):
        return None, [Problem(path, 2, "bad front matter: expected 'key: value' lines")]
    where = _key_lines(front)

    def line_of(key: str) -> int:
        return where.get(key, 0) + 1 if key in where else 1

    for key in REQUIRED:
        if not meta.get(key):
            problems.append(Problem(path, 1, f"missing required key '{key}'"))
    if meta.get("id") and not ID_RE.match(str(meta["id"])):
        # Ids travel in Telegram's 64-byte callback data and in operators' /kb commands.
        problems.append(Problem(path, line_of("id"), "id must be 1-40 of a-z, 0-9, '-' and '_'"))
    for key in meta:
        if key not in KNOWN_KEYS and warnings is not None:
            # A team's own columns (an owner, a review date) are theirs to keep.
            warnings.append(Problem(path, line_of(str(key)), f"unknown key '{key}' (ignored)"))
    language = meta.get("language")
    if language and language not in LANGUAGES:
        problems.append(
            Problem(path, line_of("language"), f"language must be one of {', '.join(LANGUAGES)}")
        )
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("category", "intents", "questions", "aliases"):
        value = _str_list(meta.get(key))
        if value is None:
            problems.append(Problem(path, line_of(key), f"'{key}' must be a list of strings"))
            value = ()
        lists[key] = value
    if len(lists["category"]) > MAX_CATEGORY_LEVELS:
        problems.append(
            Problem(
                path, line_of("category"), "category must have 1 to 3 levels: [area, type, topic]"
            )
        )
    buttons = _buttons(meta.get("buttons"))
    if buttons is None:
        problems.append(
            Problem(
                path,
                line_of("buttons"),
                "'buttons' must be a list of {text: ..., url: https://...} (at most 8)",
            )
        )
        buttons = ()
    if not body:
        problems.append(Problem(path, end + 1, "the article has no text after the front matter"))
    if problems:
        return None, problems
    article = Article(
        id=str(meta["id"]),
        language=str(language),
        title=str(meta["title"]),
        body=body,
        path=path,
        category=lists["category"],
        intents=lists["intents"],
        # `questions` and `aliases` are the same thing: how customers ask for this article.
        aliases=tuple(dict.fromkeys(lists["questions"] + lists["aliases"])),
        intents_line=line_of("intents"),
        buttons=buttons,
    )
    return article, []


def _buttons(value: Any) -> tuple[tuple[str, str], ...] | None:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_BUTTONS:
        return None
    result = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"text", "url"}:
            return None
        text, url = item["text"], item["url"]
        if not isinstance(text, str) or not text.strip() or len(text) > 64:
            return None
        if not isinstance(url, str) or not url.startswith(("https://", "http://", "tg://")):
            return None
        result.append((text.strip(), url))
    return tuple(result)


def _check_intents(articles: list[Article], known: set[str]) -> list[Problem]:
    """Every intent an article names must exist in the NLU data. Several articles may share an
    intent (the question's words pick among them), and an article may exist in one language."""
    return [
        Problem(article.path, article.intents_line, f"unknown intent '{intent}' (not in nlu/data)")
        for article in articles
        for intent in article.intents
        if intent not in known
    ]


def load_dir(directory: Path, known_intents: set[str] | None = None) -> KnowledgeBase:
    """Load every article under `directory`; raise KBError listing all problems.

    With `known_intents`, also check each article's intents exist. What does not stop loading
    (a key the loader does not know) is in the result's `warnings`.
    """
    if not directory.is_dir():
        raise KBError([Problem(directory, 0, "knowledge-base directory not found")])
    problems: list[Problem] = []
    warnings: list[Problem] = []
    articles: list[Article] = []
    seen: dict[tuple[str, str], Path] = {}
    for path in sorted(directory.rglob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(path, 1, f"cannot read: {exc}"))
            continue
        article, found = parse_article(path, text, warnings)
        problems.extend(found)
        if article is None:
            continue
        key = (article.id, article.language)
        if key in seen:
            problems.append(
                Problem(
                    path,
                    2,
                    f"duplicate id '{article.id}' ({article.language}), also in {seen[key]}",
                )
            )
            continue
        seen[key] = path
        articles.append(article)
    if known_intents is not None:
        problems.extend(_check_intents(articles, known_intents))
    if problems:
        raise KBError(problems)
    return KnowledgeBase(articles, warnings)
