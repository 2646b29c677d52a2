"""Which of the bot's calls into a group go first when its budget (~20 a minute) is short.

The desk says what a call is for; the delivery layer (bot/delivery.py) orders the calls
waiting for a group's budget by it. A context variable carries it down, so the desk's code
calls the Bot API as usual.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from enum import IntEnum


class Priority(IntEnum):
    CONTENT = 0  # a customer's message, an operator's reply, a notice: people wait for these
    OPENING = 1  # a new ticket's topic, card and pin
    COSMETIC = 2  # a card refresh, a topic rename: only the latest state matters, and late


_current: ContextVar[Priority] = ContextVar("frontline_priority", default=Priority.CONTENT)


def current() -> Priority:
    return _current.get()


@contextlib.contextmanager
def priority(value: Priority) -> Iterator[None]:
    token = _current.set(value)
    try:
        yield
    finally:
        _current.reset(token)
