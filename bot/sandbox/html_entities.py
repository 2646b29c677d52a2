"""Telegram's HTML parse mode: validate like the Bot API and produce plain text + entities.

Errors mimic the real ones ("Bad Request: can't parse entities: ..."), so the bot's handling
of a refused message can be tested.
"""

from __future__ import annotations

import html
import re
from typing import Any

TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))*)\s*(/?)>"
)
_ATTR = re.compile(r"([a-zA-Z-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot|apos|nbsp);")


class ParseError(Exception):
    pass


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    out: list[str] = []
    entities: list[dict[str, Any]] = []
    stack: list[tuple[str, int, dict[str, str]]] = []
    position = 0  # in UTF-16 units of the output
    i = 0
    while i < len(source):
        ch = source[i]
        if ch == "<":
            match = _TAG.match(source, i)
            if match is None:
                raise ParseError(f"Unsupported start tag at byte offset {len(source[:i].encode())}")
            closing, name, attrs, _self = match.groups()
            name = name.lower()
            if name not in TAGS:
                raise ParseError(
                    f'Unsupported start tag "{name}" at byte offset {len(source[:i].encode())}'
                )
            if closing:
                if not stack or stack[-1][0] != name:
                    raise ParseError(
                        f'Unmatched end tag at byte offset {len(source[:i].encode())}, expected "</{stack[-1][0]}>", found "</{name}>"'
                        if stack
                        else f"Unexpected end tag at byte offset {len(source[:i].encode())}"
                    )
                open_name, start, attributes = stack.pop()
                length = position - start
                if length > 0:
                    entity: dict[str, Any] = {
                        "type": TAGS[open_name],
                        "offset": start,
                        "length": length,
                    }
                    if open_name == "a":
                        entity["url"] = attributes.get("href", "")
                    entities.append(entity)
            else:
                attributes = {
                    m.group(1): m.group(2) or m.group(3) or m.group(4) or ""
                    for m in _ATTR.finditer(attrs)
                }
                stack.append((name, position, attributes))
            i = match.end()
            continue
        if ch == "&":
            match = _ENTITY.match(source, i)
            if match is None:
                # Telegram tolerates a bare "&" followed by a space, but not an unknown entity.
                end = source.find(";", i)
                if end != -1 and re.fullmatch(r"&[a-zA-Z0-9#]+;", source[i : end + 1]):
                    raise ParseError(
                        f"Unsupported HTML entity at byte offset {len(source[:i].encode())}"
                    )
                out.append("&")
                position += 1
                i += 1
                continue
            decoded = html.unescape(match.group(0))
            out.append(decoded)
            position += utf16_len(decoded)
            i = match.end()
            continue
        out.append(ch)
        position += utf16_len(ch)
        i += 1
    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities
