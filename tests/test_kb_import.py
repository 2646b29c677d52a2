"""`python -m kb import`: an FAQ spreadsheet becomes articles, and the bot serves them with
KB_DIR alone."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import xlsxwriter

from bot.sandbox.people import Customer, buttons
from kb.importer import UnusableFAQ, import_faq
from kb.loader import load_dir
from tests.conftest import ROOT, Launch

SHEET = ROOT / "tests" / "faq_sheet" / "telecom-faq.csv"


def test_rows_become_articles_merged_by_answer_with_ids_in_latin(tmp_path: Path) -> None:
    source = tmp_path / "faq.csv"
    source.write_text(
        "Вопрос;Ответ;Категория;Владелец\n"
        "Как заблокировать карту?;Заблокируйте карту в приложении.;Карты / Блокировка;Мария\n"
        "Потерял карту, что делать?;Заблокируйте карту в  приложении.;;Мария\n"
        "How do I block my card?;Block it in the app.;Cards;Anna\n"
        ";Ответ без вопроса;;\n"
        "Вопрос без ответа;;;\n"
        "Quelle heure est-il ?;Il est midi.;;\n",
        encoding="utf-8",
    )
    report = import_faq(source, tmp_path / "kb")
    kb = load_dir(tmp_path / "kb")
    card = kb.get("kak-zablokirovat-kartu", "ru")
    assert card is not None and card.title == "Как заблокировать карту?"
    assert card.aliases == ("Потерял карту, что делать?",)  # one answer, one article
    assert card.category == ("Карты", "Блокировка")
    assert kb.get("how-do-i-block-my-card", "en") is not None  # the language told by alphabet
    assert report.skipped == [(5, "no question"), (6, "no answer")]
    assert "column 'владелец' is not imported" in report.notes
    # French is neither ru nor en: detected as en by its alphabet, it still loads.
    assert len(kb.articles) == 3


def test_an_xlsx_with_given_ids_languages_and_extra_phrasings(tmp_path: Path) -> None:
    source = tmp_path / "faq.xlsx"
    book = xlsxwriter.Workbook(str(source))
    sheet = book.add_worksheet()
    rows = [
        ["id", "title", "question", "answer", "language", "questions", "category"],
        [
            "limits",
            "Transfer limits",
            "how much can I send",
            "Up to 150,000 a day.",
            "en",
            "daily limit | maximum transfer",
            "Transfers / Limits / Daily / Extra",
        ],
        ["Лимиты", "Лимиты", "сколько можно перевести", "До 150 000 в день.", "ru", "", ""],
    ]
    for number, row in enumerate(rows):
        sheet.write_row(number, 0, row)
    book.close()
    report = import_faq(source, tmp_path / "kb")
    kb = load_dir(tmp_path / "kb")
    limits = kb.get("limits", "en")
    assert limits is not None
    assert limits.aliases == ("how much can I send", "daily limit", "maximum transfer")
    assert limits.category == ("Transfers", "Limits", "Daily")
    assert kb.get("limity", "ru") is not None  # a Cyrillic id is made Latin
    assert any("first 3 are kept" in n for n in report.notes)
    assert any("id 'Лимиты'" in n for n in report.notes)


def test_a_file_without_the_needed_columns_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "faq.csv"
    source.write_text("name,text\na,b\n", encoding="utf-8")
    with pytest.raises(UnusableFAQ, match=r"'question'.*'answer'"):
        import_faq(source, tmp_path / "kb")


async def test_the_command_prints_what_it_made_and_skipped(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kb",
        "import",
        str(SHEET),
        "--out",
        str(tmp_path / "kb"),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert "9 article(s) made" in out.decode() and "KB_DIR=" in out.decode()


@pytest.mark.parametrize(
    ("language", "question", "title"),
    [
        ("ru", "сколько у меня осталось денег на балансе", "Как проверить баланс?"),
        ("ru", "интернет на телефоне не работает", "Не работает мобильный интернет"),
        ("ru", "хочу другой тариф", "Как сменить тариф?"),
        ("en", "what's my balance", "How do I check my balance?"),
    ],
)
async def test_an_imported_faq_serves_customers_with_kb_dir_alone(
    launch: Launch,
    make_customer: Callable[..., Customer],
    tmp_path: Path,
    language: str,
    question: str,
    title: str,
) -> None:
    import_faq(SHEET, tmp_path / "kb")
    await launch(kb_dir=tmp_path / "kb")
    customer = make_customer(language_code=language)
    customer.send(question)
    answer = await customer.receives(title)
    assert len(buttons(answer)) == 2


async def test_an_imported_faq_finds_close_articles_and_admits_the_rest(
    launch: Launch, make_customer: Callable[..., Customer], tmp_path: Path
) -> None:
    import_faq(SHEET, tmp_path / "kb")
    await launch(kb_dir=tmp_path / "kb")
    john = make_customer(language_code="en")
    john.send("how can I add money to my phone")
    reply = await john.receives(where=lambda m: bool(buttons(m)))
    if "Top up by card in the app" not in reply["text"]:
        assert buttons(reply)[0] == "How do I top up?"  # not sure enough: offered first
    anna = make_customer(language_code="ru")
    anna.send("какая погода завтра")
    reply = await anna.receives(where=lambda m: bool(buttons(m)))
    assert "С этим я не помогу" in reply["text"] and "Баланс" in reply["text"]
    assert len(buttons(reply)) == 1
