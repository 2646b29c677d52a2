"""The delivery layer, driven by a fake transport and a fake clock (no real waiting)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    CopyMessages,
    CreateForumTopic,
    EditForumTopic,
    EditMessageText,
    PinChatMessage,
    SendMessage,
    TelegramMethod,
)

from bot.delivery import DeliveryMiddleware
from bot.sandbox.limits import Limits
from handoff.pacing import Priority, priority


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def middleware(clock: FakeTime, **kwargs: Any) -> DeliveryMiddleware:
    return DeliveryMiddleware(sleep=clock.sleep, monotonic=clock.monotonic, **kwargs)


class Transport:
    """Fails with the queued errors first, then succeeds, recording what was sent."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.sent: list[TelegramMethod[Any]] = []

    async def __call__(self, bot: Any, method: TelegramMethod[Any]) -> str:
        self.sent.append(method)
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def msg(chat_id: int = 1, text: str = "hi", parse_mode: str | None = None) -> SendMessage:
    return SendMessage(chat_id=chat_id, text=text, parse_mode=parse_mode)


async def test_429_waits_retry_after_and_sends_once_more() -> None:
    clock = FakeTime()
    method = msg()
    transport = Transport(TelegramRetryAfter(method, "Too Many Requests", 7))
    assert await middleware(clock)(transport, None, method) == "ok"  # type: ignore[arg-type]
    assert clock.slept == [7] and len(transport.sent) == 2


async def test_429s_never_use_up_the_attempts() -> None:
    clock = FakeTime()
    method = msg()
    transport = Transport(*[TelegramRetryAfter(method, "Too Many Requests", 3) for _ in range(20)])
    layer = middleware(clock, max_attempts=5)
    assert await layer(transport, None, method) == "ok"  # type: ignore[arg-type]
    assert clock.slept == [3] * 20 and len(transport.sent) == 21 and layer.stats.failures == 0


async def test_server_errors_back_off_exponentially_and_give_up_after_max_attempts() -> None:
    clock = FakeTime()
    method = msg()
    transport = Transport(*[TelegramServerError(method, "Internal") for _ in range(5)])
    layer = middleware(clock, max_attempts=4)
    with pytest.raises(TelegramServerError):
        await layer(transport, None, method)  # type: ignore[arg-type]
    assert clock.slept == [0.5, 1.0, 2.0] and len(transport.sent) == 4
    assert layer.stats.failures == 1 and layer.stats.retries == 3


async def test_a_parse_error_is_resent_as_plain_text() -> None:
    clock = FakeTime()
    method = msg(text="<b>Order</b> &lt;42&gt; <i>broken", parse_mode="HTML")
    transport = Transport(TelegramBadRequest(method, "Bad Request: can't parse entities: ..."))
    await middleware(clock)(transport, None, method)  # type: ignore[arg-type]
    resent = transport.sent[-1]
    assert isinstance(resent, SendMessage)
    assert resent.text == "Order <42> broken" and resent.parse_mode is None


async def test_other_errors_are_not_retried() -> None:
    clock = FakeTime()
    method = msg()
    transport = Transport(TelegramForbiddenError(method, "Forbidden: bot was blocked by the user"))
    with pytest.raises(TelegramForbiddenError):
        await middleware(clock)(transport, None, method)  # type: ignore[arg-type]
    assert len(transport.sent) == 1 and clock.slept == []


async def test_a_group_is_paced_under_its_rate() -> None:
    clock = FakeTime()
    layer = middleware(clock, group_rate_per_minute=20)
    transport = Transport()
    for _ in range(25):
        await layer(transport, None, msg(chat_id=-100))  # type: ignore[arg-type]
    # 20 go at once; the next five wait for the window, never 21 in any minute.
    assert clock.slept == pytest.approx([61.0]) and len(transport.sent) == 25


async def test_a_private_chat_gets_a_burst_then_one_a_second() -> None:
    clock = FakeTime()
    layer = middleware(clock, private_per_second=1.0, private_burst=3)
    transport = Transport()
    times = []
    for _ in range(6):
        await layer(transport, None, msg(chat_id=42))  # type: ignore[arg-type]
        times.append(clock.now)
    assert times == pytest.approx([0.0, 0.0, 0.0, 1.0, 2.0, 3.0])
    await layer(transport, None, msg(chat_id=43))  # type: ignore[arg-type]
    assert clock.now == pytest.approx(3.0)  # another customer's chat has its own budget
    clock.now += 10  # a quiet chat has its burst again
    for _ in range(3):
        await layer(transport, None, msg(chat_id=42))  # type: ignore[arg-type]
    assert clock.now == pytest.approx(13.0)


async def test_the_bot_sends_at_most_its_overall_rate() -> None:
    clock = FakeTime()
    layer = middleware(clock, overall_per_second=30)
    transport = Transport()
    for chat in range(1, 46):
        await layer(transport, None, msg(chat_id=chat))  # type: ignore[arg-type]
    assert clock.now == pytest.approx(1.0) and len(transport.sent) == 45


async def test_edits_and_topic_operations_share_the_groups_budget() -> None:
    clock = FakeTime()
    layer = middleware(clock, group_rate_per_minute=20)
    transport = Transport()
    calls: list[TelegramMethod[Any]] = [
        CreateForumTopic(chat_id=-100, name="#1"),
        EditForumTopic(chat_id=-100, message_thread_id=2, name="#1 ✅"),
        EditMessageText(chat_id=-100, message_id=3, text="card"),
        PinChatMessage(chat_id=-100, message_id=3),
    ] * 5 + [msg(chat_id=-100)]
    times = []
    for call in calls:
        await layer(transport, None, call)  # type: ignore[arg-type]
        times.append(clock.now)
    assert times[:20] == [0.0] * 20 and times[20] == 61.0  # the 21st call waits its minute


async def test_each_message_of_an_album_spends_a_place() -> None:
    """Telegram counts an album's messages, not the call: three places for three photos."""
    clock = FakeTime()
    layer = middleware(clock, group_rate_per_minute=20)
    transport = Transport()
    for _ in range(18):
        await layer(transport, None, msg(chat_id=-100))  # type: ignore[arg-type]
    album = CopyMessages(chat_id=-100, from_chat_id=42, message_ids=[1, 2, 3])
    await layer(transport, None, album)  # type: ignore[arg-type]
    assert clock.now == 61.0  # two places were left: it waits for the minute
    # The emulator counts the same way: 18 calls and this album are 21 messages.
    limits = Limits()
    assert [limits.take(-100, 0.0) for _ in range(18)] == [0.0] * 18
    assert limits.take(-100, 1.0, count=3) > 0 and limits.take(-100, 1.0, count=2) == 0.0


class Sleepers:
    """A clock whose sleeps end only when the test moves time on (calls wait side by side)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waiting: list[tuple[float, asyncio.Future[None]]] = []

    async def sleep(self, seconds: float) -> None:
        done = asyncio.get_running_loop().create_future()
        self.waiting.append((self.now + seconds, done))
        await done

    def monotonic(self) -> float:
        return self.now

    async def advance(self, to: float) -> None:
        self.now = to
        for at, done in self.waiting:
            if at <= to and not done.done():
                done.set_result(None)
        for _ in range(20):  # let the woken calls run to their next wait
            await asyncio.sleep(0)


async def test_people_go_before_card_refreshes_which_leave_places_free() -> None:
    clock = Sleepers()
    layer = DeliveryMiddleware(
        sleep=clock.sleep, monotonic=clock.monotonic, group_rate_per_minute=20, cosmetic_reserve=3
    )
    transport = Transport()
    for _ in range(16):
        await layer(transport, None, msg(chat_id=-100))  # type: ignore[arg-type]

    async def cosmetic() -> None:
        with priority(Priority.COSMETIC):
            await layer(transport, None, EditMessageText(chat_id=-100, message_id=1, text="card"))  # type: ignore[arg-type]

    refresh = asyncio.create_task(cosmetic())
    await asyncio.sleep(0)
    assert len(transport.sent) == 17  # 16 + 1: three places stay free for people
    second = asyncio.create_task(cosmetic())
    await asyncio.sleep(0)
    assert len(transport.sent) == 17
    for n in range(3):  # the last places of the minute go to people
        await layer(transport, None, msg(chat_id=-100, text=f"m{n}"))  # type: ignore[arg-type]
    queued = asyncio.create_task(layer(transport, None, msg(chat_id=-100, text="late")))  # type: ignore[arg-type]
    await asyncio.sleep(0)
    assert len(transport.sent) == 20
    await clock.advance(61.0)  # the minute turns: the waiting message first, then the card
    await asyncio.gather(refresh, second, queued)
    assert [getattr(m, "text", None) for m in transport.sent[20:]] == ["late", "card"]
