"""Prometheus metrics: one registry per app, filled by a middleware (updates and their
latency) and read at scrape time from the counters the components already keep."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from aiogram.types.update import UpdateTypeLookupError
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.delivery import DeliveryStats
from bot.middlewares.journal import UpdateJournalMiddleware
from handoff.desk import Desk
from handoff.outbox import OutboxSender
from nlu.service import NLU

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Handling latency buckets, seconds: most updates take milliseconds, NLU over HTTP and
# relays with retries take longer.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics(BaseMiddleware):
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter(
            "frontline_updates",
            "Telegram updates handled, by type and outcome.",
            ["type", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "frontline_update_handling_seconds",
            "Time from an update's arrival to the end of its handling.",
            ["type"],
            buckets=BUCKETS,
            registry=self.registry,
        )

    def watch(
        self,
        desk: Desk,
        nlu: NLU,
        delivery: DeliveryStats,
        journal: UpdateJournalMiddleware,
        outbox: OutboxSender,
    ) -> None:
        self.registry.register(_Components(desk, nlu, delivery, journal, outbox))

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        kind = _kind(event)
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await handler(event, data)
            outcome = "ok"
            return result
        finally:
            self.latency.labels(kind).observe(time.perf_counter() - started)
            self.updates.labels(kind, outcome).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _Components(Collector):
    def __init__(
        self,
        desk: Desk,
        nlu: NLU,
        delivery: DeliveryStats,
        journal: UpdateJournalMiddleware,
        outbox: OutboxSender,
    ) -> None:
        self.desk, self.nlu, self.delivery, self.journal = desk, nlu, delivery, journal
        self.outbox = outbox

    def collect(self) -> Iterator[Metric]:
        yield _counter(
            "frontline_handoffs",
            "Tickets opened (handoffs to operators).",
            [({}, self.desk.handoffs)],
        )
        yield _counter(
            "frontline_nlu_fallbacks",
            "NLU fallbacks: Rasa unavailable (the embedded engine answered), or not understood.",
            [
                ({"reason": "rasa_unavailable"}, self.nlu.fallbacks),
                ({"reason": "not_understood"}, self.nlu.not_understood),
            ],
        )
        yield _counter(
            "frontline_delivery_retries",
            "Bot API calls repeated after 429, 5xx or a network error.",
            [({}, self.delivery.retries)],
        )
        yield _counter(
            "frontline_delivery_failures",
            "Bot API calls that failed after every attempt.",
            [({}, self.delivery.failures)],
        )
        yield _counter(
            "frontline_delivery_plain_text_fallbacks",
            "Messages resent as plain text after Telegram rejected their HTML.",
            [({}, self.delivery.plain_text_fallbacks)],
        )
        yield _counter(
            "frontline_outbox_messages",
            "Queued messages (relays, notices) by outcome: sent, retried later, failed for good.",
            [
                ({"outcome": "sent"}, self.outbox.sent),
                ({"outcome": "retried"}, self.outbox.retried),
                ({"outcome": "failed"}, self.outbox.failed),
            ],
        )
        yield _counter(
            "frontline_redelivered_updates_skipped",
            "Updates Telegram delivered again that had been handled already.",
            [({}, self.journal.skipped)],
        )


def _counter(
    name: str, documentation: str, samples: list[tuple[dict[str, str], float]]
) -> CounterMetricFamily:
    labels = sorted(samples[0][0]) if samples else []
    family = CounterMetricFamily(name, documentation, labels=labels)
    for values, value in samples:
        family.add_metric([values[k] for k in labels], value)
    return family


def _kind(event: TelegramObject) -> str:
    """The update's type, or "unknown" for one of a type this aiogram does not know."""
    if not isinstance(event, Update):
        return "unknown"
    try:
        return event.event_type or "unknown"
    except UpdateTypeLookupError:
        return "unknown"
