"""Knowledge base: loading, validation with file:line, search, rendering."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.loader import load_dir
from kb.model import KBError
from kb.render import markdown_to_telegram_html
from kb.search import KBIndex

ROOT = Path(__file__).resolve().parents[1]

GOOD = """---
id: delivery
title: Delivery
language: en
category: [Orders, Delivery, Times]
aliases: [how long does shipping take]
---
Two to five days.
"""


def test_starter_kb_loads_in_both_languages() -> None:
    kb = load_dir(ROOT / "kb" / "articles")
    ru = {a.id for a in kb.by_language("ru")}
    en = {a.id for a in kb.by_language("en")}
    assert ru == en and len(ru) >= 6
    assert all(len(a.category) == 3 for a in kb.articles)


@pytest.mark.parametrize(
    ("query", "language", "article"),
    [
        ("сколько стоит доставка?", "ru", "delivery-terms"),
        ("скока идет доставка", "ru", "delivery-terms"),
        ("забыл пароль от аккаунта", "ru", "account-login"),
        ("как оплатить картой", "ru", "payment-methods"),
        ("how do I return a jacket", "en", "refund-return"),
        ("where is my order", "en", "order-tracking"),
    ],
)
def test_search_finds_the_right_article(query: str, language: str, article: str) -> None:
    index = KBIndex(load_dir(ROOT / "kb" / "articles"))
    best = index.search(query, language)[0]
    assert best.article.id == article
    assert best.score >= 30  # at least offered; the intent makes it the answer


def test_search_does_not_answer_nonsense_confidently() -> None:
    index = KBIndex(load_dir(ROOT / "kb" / "articles"))
    for query in ("у меня на кухне завелись фиолетовые ежи", "привет", ""):
        hits = index.search(query, "ru")
        assert not hits or hits[0].score < 30


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path) -> list[str]:
    with pytest.raises(KBError) as caught:
        load_dir(tmp_path)
    return [str(p) for p in caught.value.problems]


def test_broken_front_matter_names_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\nid: a\ntitle: [unclosed\nlanguage: en\n---\nbody\n")
    found = problems(tmp_path)
    assert (
        len(found) == 1
        and found[0].startswith(f"{tmp_path / 'a.md'}:")
        and "bad front matter" in found[0]
    )


@pytest.mark.parametrize(
    "front",
    [
        "id: a\ntitle Delivery\nlanguage: en\n",  # no colon: noticed on the next line
        'id: a\ntitle: "Delivery\nlanguage: en\ncategory: [a, b, c]\n',  # an unclosed quote
        "id: a\ntitle: x: y\nlanguage: en\n",
    ],
)
def test_a_front_matter_error_names_its_own_line(tmp_path: Path, front: str) -> None:
    # Line 1 is the opening '---', so the front matter's second line is the file's line 3.
    write(tmp_path, "a.md", f"---\n{front}---\nbody\n")
    found = problems(tmp_path)
    assert len(found) == 1 and found[0].startswith(f"{tmp_path / 'a.md'}:3: bad front matter")


def test_a_missing_directory_has_no_line(tmp_path: Path) -> None:
    found = problems(tmp_path / "nowhere")
    assert found == [f"{tmp_path / 'nowhere'}: knowledge-base directory not found"]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    write(tmp_path, "en/ok.md", GOOD)
    write(tmp_path, "en/dup.md", GOOD)
    write(
        tmp_path,
        "en/lang.md",
        GOOD.replace("id: delivery", "id: x").replace("language: en", "language: de"),
    )
    write(
        tmp_path,
        "en/cat.md",
        GOOD.replace("id: delivery", "id: y").replace("[Orders, Delivery, Times]", "[a, b, c, d]"),
    )
    write(tmp_path, "en/nofm.md", "Just text\n")
    found = problems(tmp_path)
    text = "\n".join(found)
    assert "duplicate id 'delivery'" in text
    assert f"{tmp_path / 'en/lang.md'}:4: language must be one of ru, en" in text
    assert f"{tmp_path / 'en/cat.md'}:5: category must have 1 to 3 levels" in text
    assert f"{tmp_path / 'en/nofm.md'}:1: missing front matter" in text


def test_markdown_renders_to_safe_telegram_html() -> None:
    html = markdown_to_telegram_html(
        "**Bold** and <script>x</script>\n- item\n[site](https://e.com)"
    )
    assert (
        html
        == '<b>Bold</b> and &lt;script&gt;x&lt;/script&gt;\n• item\n<a href="https://e.com">site</a>'
    )


def test_intents_are_checked_against_the_nlu_data(tmp_path: Path) -> None:
    write(tmp_path, "en/a.md", GOOD.replace("aliases:", "intents: [delivery, teleport]\naliases:"))
    with pytest.raises(KBError) as caught:
        load_dir(tmp_path, {"delivery", "refund"})
    text = str(caught.value)
    assert f"{tmp_path / 'en/a.md'}:6: unknown intent 'teleport'" in text
    assert "delivery" not in text.replace("intents: [delivery", "")  # one language is enough


def test_a_teams_own_front_matter_loads_with_warnings(tmp_path: Path) -> None:
    """An FAQ as teams keep it: one category level, `questions:`, a shared intent, one
    language only, and columns of their own, which are kept out and reported."""
    for number in (1, 2):
        write(
            tmp_path,
            f"faq/{number}.md",
            f"---\nid: card-{number}\ntitle: Card question {number}\nlanguage: en\n"
            f"category: [Cards]\nintents: [delivery]\nowner: Maria\n"
            f"questions:\n  - card question number {number}\n---\nAnswer {number}.\n",
        )
    kb = load_dir(tmp_path, {"delivery"})
    assert [a.id for a in kb.all_for_intent("delivery", "en")] == ["card-1", "card-2"]
    assert kb.articles[0].aliases == ("card question number 1",)
    assert kb.articles[0].category == ("Cards",)
    assert [str(w) for w in kb.warnings] == [
        f"{tmp_path / 'faq/1.md'}:7: unknown key 'owner' (ignored)",
        f"{tmp_path / 'faq/2.md'}:7: unknown key 'owner' (ignored)",
    ]


async def test_kb_check_cli(tmp_path: Path) -> None:
    import asyncio
    import sys

    async def check(*args: str) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "kb",
            "check",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        assert process.returncode is not None
        return process.returncode, out.decode(), err.decode()

    code, out, _ = await check()
    assert code == 0 and "articles OK" in out
    write(
        tmp_path, "ru/broken.md", "---\nid: x\ntitle: X\nlanguage: ru\nintents: [nope]\n---\ntext\n"
    )
    code, _, err = await check(str(tmp_path))
    assert code == 1
    assert f"{tmp_path / 'ru/broken.md'}:5: unknown intent 'nope'" in err


def test_long_text_is_split_at_lines_never_cut() -> None:
    from kb.render import split_message

    lines = [f"<b>{i}</b> " + "x" * 90 for i in range(100)]
    text = "\n".join(lines)
    parts = split_message(text, limit=1000)
    assert all(len(p) <= 1000 for p in parts)
    assert "\n".join(parts) == text
    assert all(p.count("<b>") == p.count("</b>") for p in parts)
    assert split_message("y" * 2500, limit=1000) == ["y" * 1000, "y" * 1000, "y" * 500]
    assert split_message("") == [""]
