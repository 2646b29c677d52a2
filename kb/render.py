"""Render an article's Markdown into the HTML subset Telegram accepts."""

from __future__ import annotations

import html
import re

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])_(.+?)_(?!\w)")
_CODE = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*+]\s+")


def markdown_to_telegram_html(text: str) -> str:
    """Escape everything first, then turn the few Markdown constructs we support into tags."""
    lines = []
    for raw in text.splitlines():
        line = html.escape(raw, quote=False)
        if heading := _HEADING.match(line):
            line = f"<b>{heading.group(1)}</b>"
        line = _BULLET.sub("• ", line)
        line = _LINK.sub(lambda m: f'<a href="{m.group(2)}">{m.group(1)}</a>', line)
        line = _BOLD.sub(r"<b>\1</b>", line)
        line = _ITALIC.sub(r"<i>\1</i>", line)
        line = _CODE.sub(r"<code>\1</code>", line)
        lines.append(line)
    return "\n".join(lines).strip()


TELEGRAM_TEXT_LIMIT = 4096


def split_message(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split at line boundaries into parts Telegram accepts, never cutting text off.

    Tags produced by `markdown_to_telegram_html` never span lines, so each part stays valid
    HTML; a single line longer than the limit is cut hard (the delivery layer then falls back
    to plain text if a tag was split).
    """
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return parts
