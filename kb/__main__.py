"""`python -m kb check [DIR]`: validate the knowledge base as the bot would at start.
`python -m kb import FILE --out DIR`: make articles from an FAQ spreadsheet (kb.importer).
`python -m kb rasa [DIR] --out FILE`: the articles as Rasa retrieval intents (kb.rasa_export)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from kb.importer import UnusableFAQ, import_faq
from kb.loader import load_dir
from kb.model import KBError
from kb.rasa_export import to_rasa_yaml
from nlu.data import DataError, load
from nlu.service import PROJECT_DIR, training_dir

PACKAGED = Path(__file__).resolve().parent / "articles"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kb")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate articles; print file:line: problem for each")
    check.add_argument(
        "directory",
        nargs="?",
        type=Path,
        default=None,
        help="default: KB_DIR or the shipped articles",
    )
    check.add_argument(
        "--nlu-data",
        type=Path,
        default=None,
        help="the Rasa project or data that defines the intents (default: NLU_DIR or nlu/)",
    )
    make = sub.add_parser("import", help="make Markdown articles from an FAQ's CSV or XLSX")
    make.add_argument("file", type=Path, help="CSV or XLSX with question and answer columns")
    make.add_argument("--out", type=Path, required=True, help="directory for the articles")
    rasa = sub.add_parser("rasa", help="write the articles as Rasa retrieval intents kb/<id>")
    rasa.add_argument(
        "directory", nargs="?", type=Path, default=None, help="default: KB_DIR or the shipped"
    )
    rasa.add_argument("--out", type=Path, required=True, help="the YAML file to write")
    args = parser.parse_args(argv)
    if args.command == "import":
        return run_import(args.file, args.out)

    if args.directory is not None:
        directory, source = args.directory, "the DIR argument"
    elif os.environ.get("KB_DIR"):
        directory, source = Path(os.environ["KB_DIR"]), "env KB_DIR"
    else:
        directory, source = PACKAGED, "the shipped articles"
    if args.command == "rasa":
        return run_rasa_export(directory, source, args.out)
    try:
        nlu_data = args.nlu_data or training_dir(Path(os.environ.get("NLU_DIR") or PROJECT_DIR))
        intents = set(load(training_dir(nlu_data)).intents)
        kb = load_dir(directory, intents)
    except KBError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in {directory} ({source})", file=sys.stderr)
        return 1
    except DataError as exc:
        print(exc, file=sys.stderr)
        return 1
    for warning in kb.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    languages = sorted({a.language for a in kb.articles})
    counts = ", ".join(f"{lang}: {len(kb.by_language(lang))}" for lang in languages)
    print(f"{directory}: {len(kb.articles)} articles OK ({counts})")
    return 0


def run_rasa_export(directory: Path, source: str, out: Path) -> int:
    try:
        kb = load_dir(directory)  # intents unchecked: Rasa's project may be another one
    except KBError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in {directory} ({source})", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(to_rasa_yaml(kb), encoding="utf-8")
    ids = {a.id for a in kb.articles}
    print(f"{out}: {len(ids)} article(s) of {directory} as retrieval intents kb/<id>")
    return 0


def run_import(source: Path, out: Path) -> int:
    try:
        report = import_faq(source, out)
    except UnusableFAQ as exc:
        print(exc, file=sys.stderr)
        return 1
    for path, draft in report.made:
        rows = ", ".join(map(str, draft.rows))
        questions = len(draft.questions) + 1
        print(f"{path}: {draft.title!r} ({questions} question(s), row(s) {rows})")
    for number, why in report.skipped:
        print(f"row {number}: skipped: {why}", file=sys.stderr)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    try:
        kb = load_dir(out)
    except KBError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    counts = ", ".join(f"{lang}: {len(kb.by_language(lang))}" for lang in ("ru", "en"))
    print(
        f"{len(report.made)} article(s) made in {out}, {len(report.skipped)} row(s) skipped;"
        f" {out} now holds {len(kb.articles)} ({counts}). Serve it with KB_DIR={out}"
    )
    return 0 if report.made else 1


if __name__ == "__main__":
    sys.exit(main())
