"""What a handler says goes out through the outbox, in the update's own transaction.

A handler builds the call with aiogram's usual shortcuts and hands it over without awaiting
it: `say(message.answer(t("start-greeting")))`. The outbox sends it once the update commits
(handoff.outbox), so a handler never waits for Telegram's limits, a reply is never sent for an
update whose handling failed, and an update retried or redelivered after a crash does not
greet the customer twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram.client.default import Default
from aiogram.methods import TelegramMethod
from pydantic_core import to_jsonable_python
from sqlalchemy.ext.asyncio import AsyncSession

from common.clock import Clock
from storage import outbox


def params_of(method: TelegramMethod[Any]) -> dict[str, Any]:
    """A call's parameters as JSON, without aiogram's unresolved defaults (the bot fills those
    in when the outbox makes the call)."""
    return dict(to_jsonable_python(_strip(method.model_dump(exclude_none=True, warnings=False))))


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _strip(v) for k, v in value.items() if v is not None and not isinstance(v, Default)
        }
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


class Replies:
    def __init__(self, session: AsyncSession, clock: Clock, wake: Callable[[], None]) -> None:
        self.session = session
        self.clock = clock
        self.wake = wake

    def __call__(
        self,
        method: TelegramMethod[Any],
        *,
        ticket_id: int | None = None,
        failure_notice: str | None = None,
    ) -> None:
        """Queue `method`; with a ticket and a failure notice ("staff", say), the outbox tells
        that side if it cannot be delivered."""
        params = params_of(method)
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise TypeError(f"{type(method).__name__} needs a numeric chat_id to be queued")
        outbox.enqueue(
            self.session,
            chat_id=chat_id,
            method=type(method).__name__,
            params=params,
            now=self.clock.now(),
            ticket_id=ticket_id,
            failure_notice=failure_notice,
            wake=self.wake,
        )
