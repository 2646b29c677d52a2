"""`python -m kb import FILE --out DIR`: an FAQ spreadsheet, as support teams keep them, becomes
Markdown articles the bot can serve.

Columns (a header row; English or Russian names, any order): `question` and `answer` are needed;
`category` (levels separated by " / "), `title`, `id`, `language` and `questions` (more
phrasings separated by "|") are optional. Rows with the same answer in the same language are one
article with several questions. The language, when not given, is told by the alphabet; an id,
when not given, is made from the title in Latin letters (any script is transliterated).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from anyascii import anyascii

from kb.loader import ID_RE, LANGUAGES, MAX_CATEGORY_LEVELS

COLUMNS = {
    "question": ("question", "вопрос"),
    "answer": ("answer", "ответ"),
    "category": ("category", "категория", "раздел"),
    "title": ("title", "заголовок", "название"),
    "id": ("id",),
    "language": ("language", "lang", "язык"),
    "questions": ("questions", "вопросы", "формулировки"),
}
CATEGORY_SEPARATOR = re.compile(r"\s+/\s+")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
LATIN = re.compile(r"[A-Za-z]")
SLUG = re.compile(r"[^a-z0-9]+")
MAX_ID = 40


class UnusableFAQ(Exception):
    """The file cannot be read as an FAQ at all (not a row's problem)."""


@dataclass
class Draft:
    """One article being assembled from one or more rows."""

    language: str
    answer: str
    title: str
    questions: list[str] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    id: str = ""
    rows: list[int] = field(default_factory=list)


@dataclass
class Report:
    made: list[tuple[Path, Draft]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (row number, why)
    notes: list[str] = field(default_factory=list)


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number as a spreadsheet shows it, {column: text}) for every row after the header."""
    spreadsheet = path.suffix.lower() in (".xlsx", ".xlsm")
    table = list(_xlsx(path) if spreadsheet else _csv(path))
    header_at = next((i for i, row in enumerate(table) if any(c.strip() for c in row)), None)
    if header_at is None:
        raise UnusableFAQ(f"{path}: the file is empty")
    header = [c.strip().lower() for c in table[header_at]]
    for number, row in enumerate(table[header_at + 1 :], start=header_at + 2):
        cells = {header[i]: (row[i] if i < len(row) else "") for i in range(len(header))}
        if any(v.strip() for v in cells.values()):
            yield number, cells


def _csv(path: Path) -> Iterator[list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="cp1251")  # Excel's "CSV" on a Russian Windows
    except OSError as exc:
        raise UnusableFAQ(f"{path}: {exc.strerror or exc}") from exc
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ",;\t")
    except csv.Error:
        dialect = csv.excel
    yield from csv.reader(text.splitlines(), dialect)


def _xlsx(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise UnusableFAQ(f"{path}: not a readable XLSX file ({exc})") from exc
    try:
        for row in book.worksheets[0].iter_rows(values_only=True):
            yield ["" if v is None else str(v) for v in row]
    finally:
        book.close()


def _column(cells: dict[str, str], name: str) -> str:
    for header in COLUMNS[name]:
        if cells.get(header, "").strip():
            return " ".join(cells[header].split()) if name != "answer" else cells[header].strip()
    return ""


def detect_language(text: str) -> str:
    return "ru" if len(CYRILLIC.findall(text)) >= len(LATIN.findall(text)) else "en"


def make_id(title: str) -> str:
    slug = SLUG.sub("-", anyascii(title).lower()).strip("-")
    return slug[:MAX_ID].rstrip("-") or "article"


def collect(rows: Iterator[tuple[int, dict[str, str]]], report: Report) -> list[Draft]:
    drafts: dict[tuple[str, str], Draft] = {}
    known = {h for names in COLUMNS.values() for h in names}
    seen_header = False
    for number, cells in rows:
        if not seen_header:
            seen_header = True
            present = set(cells)
            if not present & set(COLUMNS["answer"]) or not present & set(
                COLUMNS["question"] + COLUMNS["title"]
            ):
                raise UnusableFAQ(
                    "the header needs a 'question' (or 'title') and an 'answer' column"
                    f" (found: {', '.join(sorted(present)) or 'none'})"
                )
            for column in sorted(present - known):
                if column:
                    report.notes.append(f"column '{column}' is not imported")
        question, answer = _column(cells, "question"), _column(cells, "answer")
        title = _column(cells, "title")
        extra = [q.strip() for q in _column(cells, "questions").split("|") if q.strip()]
        if not answer:
            report.skipped.append((number, "no answer"))
            continue
        if not (question or title or extra):
            report.skipped.append((number, "no question"))
            continue
        language = _column(cells, "language").lower() or detect_language(
            " ".join((question, title, answer))
        )
        if language not in LANGUAGES:
            report.skipped.append((number, f"language '{language}' is not one of ru, en"))
            continue
        key = (language, " ".join(answer.split()).lower())
        draft = drafts.get(key)
        if draft is None:
            draft = drafts[key] = Draft(language, answer, title or question or extra[0])
        draft.rows.append(number)
        for q in (question, *extra):
            if q and q not in draft.questions and q != draft.title:
                draft.questions.append(q)
        if not draft.category and (category := _column(cells, "category")):
            levels = [c.strip() for c in CATEGORY_SEPARATOR.split(category) if c.strip()]
            if len(levels) > MAX_CATEGORY_LEVELS:
                report.notes.append(
                    f"row {number}: category has {len(levels)} levels; the first 3 are kept"
                )
            draft.category = levels[:MAX_CATEGORY_LEVELS]
        if not draft.id and (given := _column(cells, "id")):
            if ID_RE.match(given):
                draft.id = given
            else:
                report.notes.append(
                    f"row {number}: id '{given}' is not a-z, 0-9, - and _: made one"
                )
    taken: set[tuple[str, str]] = set()
    for draft in drafts.values():
        base = draft.id or make_id(draft.title)
        candidate, n = base, 2
        while (draft.language, candidate) in taken:
            suffix = f"-{n}"
            candidate, n = base[: MAX_ID - len(suffix)] + suffix, n + 1
        draft.id = candidate
        taken.add((draft.language, candidate))
    return list(drafts.values())


def render(draft: Draft) -> str:
    front: dict[str, object] = {"id": draft.id, "title": draft.title, "language": draft.language}
    if draft.category:
        front["category"] = draft.category
    if draft.questions:
        front["questions"] = draft.questions
    meta = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{meta}---\n{draft.answer.strip()}\n"


def import_faq(source: Path, out: Path) -> Report:
    """Write one Markdown file per article under `out/<language>/`; raise UnusableFAQ when the
    file cannot be used at all."""
    if not source.is_file():
        raise UnusableFAQ(f"{source}: file not found")
    report = Report()
    drafts = collect(read_rows(source), report)
    for draft in drafts:
        path = out / draft.language / f"{draft.id}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(draft), encoding="utf-8")
        report.made.append((path, draft))
    return report
