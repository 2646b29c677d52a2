"""Customer-supplied text made safe to show inside the bot's own layout (topic titles, cards).

A name or message can carry Unicode bidi controls (RLO U+202E and friends) that reverse the
text after them, so "#12 · Алиса · Оплата" could show as anything; and control characters
that some clients render as boxes or line breaks. Both are dropped; letters of every script,
right-to-left ones included, are kept.
"""

from __future__ import annotations

import re

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile(f"[{BIDI_CONTROLS}\\x00-\\x08\\x0b-\\x1f\\x7f]")
_LINE_BREAKS = re.compile(r"[\r\n\t\u2028\u2029]+")


def plain(text: str) -> str:
    """For running text (a dialog line): bidi and control characters dropped."""
    return _UNSAFE.sub("", text)


def one_line(text: str) -> str:
    """For a title or a name: also on one line, spaces collapsed."""
    return " ".join(_LINE_BREAKS.sub(" ", plain(text)).split())
