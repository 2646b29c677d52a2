"""The environment variables `python -m bot --help` lists, read off the settings model."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from bot.config import PACKAGED_KB, Settings


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    value: Any = info.default
    if value is PydanticUndefined and info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
    if isinstance(value, BaseModel):
        return ""
    if isinstance(value, list | dict) and not value:
        return "empty"
    if isinstance(value, list | dict):
        return "see config.yml"
    if value == PACKAGED_KB:
        return "the shipped kb/articles"
    text = str(value)
    return "empty" if text == "" else text


def environment_help() -> str:
    rows: list[tuple[str, str, str]] = [
        ("CONFIG_FILE", "the YAML config file", "./config.yml if present"),
        ("ENV_FILE", "a file of NAME=value lines", "./.env if present"),
    ]
    for name, info in Settings.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys = ", ".join(f"{name}__{sub}".upper() for sub in annotation.model_fields)
            rows.append((f"{name.upper()}__*", info.description or "", keys))
            continue
        rows.append((name.upper(), info.description or "", _default(info)))
    width = max(len(row[0]) for row in rows) + 2
    lines = ["environment variables (config.yml comments every key; nested keys join with __):"]
    for env, what, default in rows:
        if env.endswith("__*"):
            lines.append(f"  {env:<{width}}{what}:")
            lines.extend(_wrap(default, width + 4))
        else:
            lines.append(f"  {env:<{width}}{what}" + (f" [{default}]" if default else ""))
    return "\n".join(lines) + "\n"


def _wrap(text: str, indent: int, limit: int = 96) -> list[str]:
    lines, current = [], ""
    for word in text.split(" "):
        if current and len(current) + len(word) + 1 > limit - indent:
            lines.append(" " * indent + current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(" " * indent + current)
    return lines
