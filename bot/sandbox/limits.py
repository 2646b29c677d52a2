"""Telegram's flood limits, as the emulator enforces them (../notes: the Bot FAQ and a Telegram
engineer's statements): past a budget a call is refused with 429 and `retry_after`.

- a group: about 20 calls a minute, sends, copies, edits and topic operations together,
  counted in a rolling window (Telegram refuses the 21st call of any minute); an album (a
  sendMediaGroup, a copyMessages) counts each of its messages;
- a private chat: about one message a second, short bursts tolerated (a token bucket);
- the bot in all: about 30 a second.

What the bot only reads (getUpdates, getChatMember), chat actions and callback answers are
free. A call refused, or failing for another reason, costs nothing.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass, field

COUNTED_PREFIXES = ("send", "copy", "forward", "edit")
COUNTED = {
    "createforumtopic",
    "closeforumtopic",
    "reopenforumtopic",
    "pinchatmessage",
}
FREE = {"sendchataction"}


def counted(method: str) -> bool:
    method = method.lower()
    return method not in FREE and (method.startswith(COUNTED_PREFIXES) or method in COUNTED)


@dataclass
class Limits:
    group_calls: int = 20
    group_window: float = 60.0
    private_burst: int = 3
    private_per_second: float = 1.0
    overall_per_second: int = 30
    refused: int = 0  # 429s answered because of these limits
    refused_in: Counter[int] = field(default_factory=Counter)  # the same, by chat
    _groups: dict[int, deque[float]] = field(default_factory=dict)
    _private: dict[int, tuple[float, float]] = field(default_factory=dict)  # tokens, at
    _overall: deque[float] = field(default_factory=deque)

    def take(self, chat_id: int, now: float, count: int = 1) -> float:
        """Spend a call of `count` messages (an album's) into `chat_id` now if allowed (0.0),
        else say how long until it is. A group and the bot's overall budget count messages;
        a private chat's counts calls (an album of ten reaches a customer at once)."""
        wait = self._wait(chat_id, now, count)
        if wait <= 0:
            self._spend(chat_id, now, count)
        return wait

    def refund(self, chat_id: int, at: float, count: int = 1) -> None:
        """Give back a call taken at `at` that failed: a failed call costs nothing."""
        for calls in (self._overall, self._groups.get(chat_id)):
            for _ in range(count):
                if calls is not None and at in calls:
                    calls.remove(at)
        if chat_id > 0 and chat_id in self._private:
            tokens, since = self._private[chat_id]
            self._private[chat_id] = (min(float(self.private_burst), tokens + 1), since)

    def _wait(self, chat_id: int, now: float, count: int) -> float:
        waits = [self._window_wait(self._overall, self.overall_per_second, 1.0, now, count)]
        if chat_id < 0:
            calls = self._groups.setdefault(chat_id, deque())
            waits.append(self._window_wait(calls, self.group_calls, self.group_window, now, count))
        elif chat_id > 0:
            tokens = self._tokens(chat_id, now)
            if tokens < 1:
                waits.append((1 - tokens) / self.private_per_second)
        return max(waits)

    def _spend(self, chat_id: int, now: float, count: int) -> None:
        self._overall.extend([now] * count)
        if chat_id < 0:
            self._groups.setdefault(chat_id, deque()).extend([now] * count)
        elif chat_id > 0:
            self._private[chat_id] = (self._tokens(chat_id, now) - 1, now)

    def retry_after(self, chat_id: int, wait: float) -> int:
        """What Telegram answers: whole seconds, at least one."""
        self.refused += 1
        self.refused_in[chat_id] += 1
        return max(1, math.ceil(wait))

    def _tokens(self, chat_id: int, now: float) -> float:
        tokens, at = self._private.get(chat_id, (float(self.private_burst), now))
        return min(float(self.private_burst), tokens + (now - at) * self.private_per_second)

    @staticmethod
    def _window_wait(
        calls: deque[float], limit: int, window: float, now: float, count: int
    ) -> float:
        while calls and now - calls[0] >= window:
            calls.popleft()
        count = min(count, limit)
        if len(calls) + count <= limit:
            return 0.0
        return calls[len(calls) + count - limit - 1] + window - now
