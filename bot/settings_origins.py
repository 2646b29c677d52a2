"""Where each setting came from — a variable, a `.env` line or a config-file line — so that
an error can point there, and the `.env` source that takes only our settings' names."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic_settings import DotEnvSettingsSource


class KnownKeysDotEnv(DotEnvSettingsSource):
    """A `.env` file shared with docker compose holds its keys too (POSTGRES_PASSWORD): only
    the names of our settings are taken from it."""

    def __call__(self) -> dict[str, Any]:
        data = super().__call__()
        return {key: value for key, value in data.items() if key in self.settings_cls.model_fields}


def env_name(loc: tuple[str, ...]) -> str:
    return "__".join(loc).upper()


@dataclass(frozen=True)
class Origins:
    """Where each setting came from: the environment, a `.env` line or a config-file line."""

    config_file: Path | None = None
    config_lines: dict[tuple[str, ...], int] = field(default_factory=dict)
    env_file: Path | None = None
    env_file_lines: dict[str, int] = field(default_factory=dict)
    environ: frozenset[str] = frozenset()

    def of(self, loc: tuple[str, ...]) -> str | None:
        """`env NAME`, `FILE:LINE`, or None for a default (or a value passed in code)."""
        # A nested key may also come whole, as JSON in its parent's variable (KB='{...}').
        prefixes = [loc[:n] for n in range(len(loc), 0, -1)]
        for prefix in prefixes:
            if env_name(prefix) in self.environ:
                return f"env {env_name(prefix)}"
        for prefix in prefixes:
            line = self.env_file_lines.get(env_name(prefix))
            if line is not None:
                return f"{self.env_file}:{line}"
        for prefix in prefixes:
            line = self.config_lines.get(prefix)
            if line is not None:
                return f"{self.config_file}:{line}"
        return None


def yaml_key_lines(text: str) -> dict[tuple[str, ...], int]:
    """1-based line of every mapping key, by its path of keys."""
    lines: dict[tuple[str, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    here = (*path, str(key.value))
                    lines[here] = key.start_mark.line + 1
                    walk(value, here)

    root = yaml.compose(text)
    if root is not None:
        walk(root, ())
    return lines


def env_file_lines(path: Path) -> dict[str, int]:
    lines: dict[str, int] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return lines
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=", line)
        if match:
            lines[match.group(1).upper()] = number
    return lines
