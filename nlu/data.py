"""Training and test data: Rasa 3 YAML (`nlu.yml`) or CSV with `text,intent` columns."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

# Rasa's inline entity annotation: [text](entity) or [text]{"entity": "x", ...}
_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<entity>[^)]+)\)|\{[^}]*\})")


class DataError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str


@dataclass(slots=True)
class TrainingData:
    examples: list[Example] = field(default_factory=list)
    regexes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples})


def strip_annotations(text: str) -> str:
    return _ANNOTATION.sub(lambda m: m.group("text"), text)


def _items(block: str) -> list[str]:
    return [
        line.strip()[2:].strip() for line in block.splitlines() if line.strip().startswith("- ")
    ]


def load_yaml(path: Path) -> TrainingData:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise DataError(f"{path}:{line}: invalid YAML: {exc.problem}") from exc
    data = TrainingData()
    for block in document.get("nlu") or []:
        if "intent" in block:
            for text in _items(str(block.get("examples", ""))):
                data.examples.append(Example(strip_annotations(text), str(block["intent"])))
        elif "regex" in block:
            data.regexes.setdefault(str(block["regex"]), []).extend(_items(str(block["examples"])))
    if not data.examples:
        raise DataError(f"{path}: no intent examples found")
    return data


def load_csv(path: Path) -> TrainingData:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"text", "intent"} <= set(reader.fieldnames):
            raise DataError(f"{path}:1: expected a header with 'text' and 'intent' columns")
        examples = [Example(row["text"], row["intent"]) for row in reader if row["text"]]
    return TrainingData(examples=examples)


def load(path: Path) -> TrainingData:
    """Load a file or a directory of Rasa YAML files."""
    if path.is_dir():
        merged = TrainingData()
        for file in sorted(path.rglob("*.yml")):
            part = load_yaml(file)
            merged.examples.extend(part.examples)
            for name, patterns in part.regexes.items():
                merged.regexes.setdefault(name, []).extend(patterns)
        return merged
    if path.suffix.lower() == ".csv":
        return load_csv(path)
    return load_yaml(path)
