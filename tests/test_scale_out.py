"""Health and metrics endpoints, webhook mode, and two replicas sharing a database and Redis."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app import App, StartupError, build_app
from bot.config import Settings
from bot.sandbox.emulator import TelegramEmulator
from bot.sandbox.people import Customer, StaffGroup
from storage import quarantine
from storage.db import make_sessionmaker
from tests.conftest import FakeClock, Launch, free_port, refused_writes

SECRET = "s3cret-token_for-tests"


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus' text format."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        sample, value = line.rsplit(" ", 1)
        found = dict(re.findall(r'(\w+)="([^"]*)"', sample))
        if sample.split("{")[0] == name and all(found.get(k) == v for k, v in labels.items()):
            return float(value)
    raise AssertionError(f"no sample {name} {labels} in:\n{text}")


async def test_healthz_and_metrics_while_polling(
    launch: Launch,
    make_customer: Callable[..., Customer],
    staff: StaffGroup,
    emulator: TelegramEmulator,
) -> None:
    port = free_port()
    bot = await launch(server={"host": "127.0.0.1", "port": port})
    base = f"http://127.0.0.1:{port}"
    await asyncio.wait_for(bot.app.serving.wait(), 10)
    assert bot.app.http_port == port

    status, body = await get(f"{base}/healthz")
    assert status == 200, body
    assert '"database": "ok"' in body and '"bot_api": "ok"' in body
    assert '"rasa": "not used"' in body

    alice = make_customer()
    emulator.fail("sendmessage", code=500)  # one 5xx: delivered on the retry
    alice.send("сколько стоит доставка?")
    await alice.receives("Сроки и стоимость")
    alice.send("абракадабра фывапролд")
    await alice.receives("")
    alice.send("/operator")
    await alice.receives("обращение #")
    await bot.settled()
    status, text = await get(f"{base}/metrics")
    assert status == 200
    assert metric(text, "frontline_updates_total", type="message", outcome="ok") == 3
    assert metric(text, "frontline_update_handling_seconds_count", type="message") == 3
    assert metric(text, "frontline_handoffs_total") == 1
    assert metric(text, "frontline_nlu_fallbacks_total", reason="not_understood") >= 1
    assert metric(text, "frontline_delivery_failures_total") == 0
    assert metric(text, "frontline_delivery_retries_total") == 1

    # A Bot API that refuses the token makes the replica unhealthy.
    emulator.fail("getme", code=401, description="Unauthorized", times=5)
    bot.app.health._bot_api_ok_at = 0.0
    status, body = await get(f"{base}/healthz")
    assert status == 503 and '"status": "unhealthy"' in body
    assert "TelegramUnauthorizedError" in body


# ------------------------------------------------------------------------- webhook mode


def webhook_settings(
    port: int, set_webhook: bool = True, server_extra: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "mode": "webhook",
        "server": {"host": "127.0.0.1", "port": port, **(server_extra or {})},
        "webhook": {
            "url": "https://bot.example.com",
            "secret_token": SECRET,
            "set_webhook": set_webhook,
        },
        **extra,
    }


class Replica:
    def __init__(self, app: App) -> None:
        self.app = app
        self.task = asyncio.create_task(app.run())

    async def stop(self) -> None:
        self.app.stop()
        await self.task
        await self.app.close()


@pytest.fixture
async def replicas(
    settings_for: Callable[..., Settings], staff: StaffGroup, clock: FakeClock
) -> AsyncIterator[Callable[..., Any]]:
    started: list[Replica] = []

    async def start(**overrides: Any) -> Replica:
        port = free_port()
        app = await build_app(settings_for(staff.id, **webhook_settings(port, **overrides)), clock)
        replica = Replica(app)
        started.append(replica)
        await asyncio.wait_for(app.serving.wait(), 10)
        return replica

    try:
        yield start
    finally:
        for replica in started:
            await replica.stop()


async def test_webhook_mode_checks_the_secret_token(
    replicas: Callable[..., Any], emulator: TelegramEmulator, make_customer: Callable[..., Customer]
) -> None:
    replica = await replicas()
    await emulator.wait_until(lambda: emulator.webhook_url, what="setWebhook")
    assert emulator.webhook_url == "https://bot.example.com/telegram/webhook"
    assert emulator.webhook_secret == SECRET
    url = f"http://127.0.0.1:{replica.app.http_port}/telegram/webhook"
    emulator.balance_to = [url]
    forged = {"update_id": 999, "message": {"message_id": 1, "date": 0, "text": "/start",
              "chat": {"id": 5, "type": "private"}, "from": {"id": 5, "is_bot": False,
              "first_name": "X"}}}  # fmt: skip
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            async with http.post(url, json=forged, headers=headers) as response:
                assert response.status == 401
    alice = make_customer()
    alice.send("/start")
    update_id = emulator.pushed[-1]["update_id"]
    await alice.receives("Здравствуйте")
    # Telegram learns the update was handled only from the answer to its post: a 200.
    await emulator.wait_until(
        lambda: any(uid == update_id for _, uid, _ in emulator.webhook_posts), what="the answer"
    )
    assert all(status == 200 for _, _, status in emulator.webhook_posts)


async def test_webhook_mode_refuses_to_start_without_a_secret(
    settings_for: Callable[..., Settings], staff: StaffGroup
) -> None:
    settings = settings_for(staff.id, **webhook_settings(free_port()))
    settings.webhook.secret_token = type(settings.webhook.secret_token)("")
    with pytest.raises(StartupError, match=r"webhook\.secret_token \(.*WEBHOOK__SECRET_TOKEN"):
        await build_app(settings)


# ------------------------------------------------------------------ replicas with Redis


@pytest.fixture
async def redis_url(redis_server: str) -> AsyncIterator[str]:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_server)
    await client.flushdb()
    await client.aclose()
    yield redis_server


async def two_replicas(
    replicas: Callable[..., Any], emulator: TelegramEmulator, redis_url: str, **settings: Any
) -> tuple[Replica, Replica]:
    """Two replicas sharing the database and Redis; the first registers the webhook."""
    first = await replicas(redis_url=redis_url, **settings)
    second = await replicas(redis_url=redis_url, set_webhook=False, **settings)
    await emulator.wait_until(lambda: emulator.webhook_url, what="setWebhook")
    return first, second


@pytest.mark.redis
async def test_two_replicas_keep_order_share_dialogs_and_open_one_topic_each(
    replicas: Callable[..., Any],
    redis_url: str,
    emulator: TelegramEmulator,
    staff: StaffGroup,
    make_customer: Callable[..., Customer],
) -> None:
    # Six tickets opened at once cost 48 calls into the group: minutes at Telegram's 20 a
    # minute (the emulator's limits, and the bot's own pacing). Replicas, not pacing, are
    # what this test is about.
    emulator.limits = None
    first, second = await two_replicas(
        replicas, emulator, redis_url, delivery={"group_rate_per_minute": 0}
    )
    emulator.balance_to = [
        f"http://127.0.0.1:{r.app.http_port}/telegram/webhook" for r in (first, second)
    ]

    # A dialog whose steps land on different replicas: the FSM state lives in Redis.
    john = make_customer("John", language_code="en")
    john.send("wheres my order??")
    await john.receives("send your order number")
    john.send("#5512378")
    reply = await john.receives("Order #5512378")
    assert "delivered" in reply["text"]

    # Bursts from several customers at once: one topic each, messages in order.
    customers = [make_customer(f"Клиент{i}") for i in range(6)]
    for customer in customers:
        customer.send("позовите оператора")
        for n in range(5):
            customer.send(f"сообщение {n}")
    for i in range(len(customers)):
        topic = await staff.new_topic(name=f"Клиент{i}")

        def relayed(thread: int = topic.thread_id, who: str = f"Клиент{i}") -> list[str]:
            texts = [m.get("text", "") for m in staff.topic_messages(thread)]
            return [t for t in texts if t.startswith("сообщение")]

        await emulator.wait_until(lambda r=relayed: len(r()) == 5, what=f"Клиент{i}'s messages")
        assert relayed() == [f"сообщение {n}" for n in range(5)]
    names = [t.name for t in staff.topics()]
    for i in range(6):
        assert sum(f"Клиент{i}" in name for name in names) == 1, names
    targets = {target for target, _, _ in emulator.webhook_posts}
    assert len(targets) == 2  # both replicas did handle updates


@pytest.mark.redis
async def test_a_dialog_survives_a_restart_with_redis(
    launch: Launch, redis_url: str, make_customer: Callable[..., Customer]
) -> None:
    """The callback dialog's step lives in Redis: a restart mid-dialog loses nothing."""
    first = await launch(redis_url=redis_url)
    alice = make_customer("Алиса")
    alice.send("перезвоните мне пожалуйста")
    await alice.receives("Как к вам обращаться")
    await first.settled()
    first.app.stop()
    await first.task

    await launch(redis_url=redis_url)  # a new process knows nothing but what Redis kept
    alice.send("Алиса")  # the answer to the question asked before the restart
    await alice.receives("номер телефона")


@pytest.mark.redis
async def test_one_customer_at_two_replicas_at_once_gets_one_ticket(
    replicas: Callable[..., Any],
    redis_url: str,
    emulator: TelegramEmulator,
    staff: StaffGroup,
    make_customer: Callable[..., Customer],
) -> None:
    """A proxy's retry or a slow replica can put one customer's updates on two replicas at
    the same moment; the Redis lock serialises them, so one ticket and one topic open."""
    first, second = await two_replicas(replicas, emulator, redis_url)
    emulator.webhook_url = ""  # this test posts the updates itself
    alice = make_customer()
    updates = []
    for text in ("позовите оператора", "оператор, пожалуйста"):
        alice.send(text)
        updates.append(emulator.pushed[-1])
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with aiohttp.ClientSession() as http:

        async def post(replica: Replica, update: dict[str, Any]) -> int:
            url = f"http://127.0.0.1:{replica.app.http_port}/telegram/webhook"
            async with http.post(url, json=update, headers=headers) as response:
                return response.status

        statuses = await asyncio.gather(post(first, updates[0]), post(second, updates[1]))
    assert statuses == [200, 200]  # stored; handled from the inboxes

    def quiet() -> bool:
        apps = (first.app, second.app)
        return not any(a.inbox.busy or a.outbox.busy or a.in_flight.count for a in apps)

    await emulator.wait_until(lambda: staff.topics() and quiet(), what="the topic")
    names = [t.name for t in staff.topics()]
    assert len(names) == 1, names


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2, 3]",
        b'{"update_id": "x"}',
        b"[" * 100_000 + b"]" * 100_000,  # nested past any parser's recursion limit
    ],
)
async def test_a_webhook_body_that_is_not_an_update_gets_400_and_one_log_line(
    replicas: Callable[..., Any],
    emulator: TelegramEmulator,
    caplog: pytest.LogCaptureFixture,
    make_customer: Callable[..., Customer],
    body: bytes,
) -> None:
    replica = await replicas()
    url = f"http://127.0.0.1:{replica.app.http_port}/telegram/webhook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    with caplog.at_level(logging.WARNING):
        async with aiohttp.ClientSession() as http, http.post(url, data=body, headers=headers) as r:
            assert r.status == 400
    refused = [r for r in caplog.records if "not a Telegram update" in r.getMessage()]
    assert len(refused) == 1 and refused[0].exc_info is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # The next real update is handled as usual.
    await emulator.wait_until(lambda: emulator.webhook_url, what="setWebhook")
    emulator.balance_to = [url]
    alice = make_customer()
    alice.send("/start")
    await alice.receives("Здравствуйте")


async def test_a_webhook_update_in_an_unknown_shape_is_quarantined_and_acknowledged(
    replicas: Callable[..., Any],
    emulator: TelegramEmulator,
) -> None:
    """Telegram's (the secret token says so) but unreadable to this aiogram: answered 200 so
    Telegram does not send it again and again, and kept for a replay."""
    replica = await replicas()
    url = f"http://127.0.0.1:{replica.app.http_port}/telegram/webhook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    body = b'{"update_id": 5, "message": {"text": 7}}'
    async with aiohttp.ClientSession() as http, http.post(url, data=body, headers=headers) as r:
        assert r.status == 200
    await emulator.wait_until(lambda: not replica.app.inbox.busy, what="the inbox")
    async with make_sessionmaker(replica.app.engine)() as session:
        kept = await quarantine.listing(session)
    assert [row.update_id for row in kept] == [5] and "cannot be parsed" in kept[0].error


async def test_health_and_metrics_on_a_port_of_their_own(
    replicas: Callable[..., Any],
) -> None:
    metrics_port = free_port()
    replica = await replicas(server_extra={"metrics_port": metrics_port})
    webhook_base = f"http://127.0.0.1:{replica.app.http_port}"
    assert replica.app.metrics_port == metrics_port
    assert (await get(f"{webhook_base}/healthz"))[0] == 404
    assert (await get(f"{webhook_base}/metrics"))[0] == 404
    status, body = await get(f"http://127.0.0.1:{metrics_port}/healthz")
    assert status == 200 and '"database": "ok"' in body
    status, body = await get(f"http://127.0.0.1:{metrics_port}/metrics")
    assert status == 200 and "frontline_updates_total" in body


json_leaves = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
)
# Deferred rather than st.recursive, which some hypothesis releases wrongly warn about.
json_values: st.SearchStrategy[Any] = st.deferred(
    lambda: (
        json_leaves
        | st.lists(json_values, max_size=4)
        | st.dictionaries(st.text(max_size=10), json_values, max_size=4)
    )
)
UPDATE_KEYS = ["update_id", "message", "edited_message", "callback_query", "chat_member", "poll"]
webhook_bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.sampled_from(UPDATE_KEYS), json_values, max_size=3).map(
        lambda v: json.dumps(v).encode()
    ),
    st.binary(max_size=200),
)


def sample(strategy: st.SearchStrategy[bytes], count: int) -> list[bytes]:
    """The bodies hypothesis generates, the same every run (it cannot drive an async test
    that shares one running replica, so they are drawn first and posted after)."""
    drawn: list[bytes] = []

    @settings(max_examples=count, deadline=None, derandomize=True, database=None)
    @given(body=strategy)
    def collect(body: bytes) -> None:
        drawn.append(body)

    collect()
    return drawn


async def test_any_webhook_body_gets_200_or_400_never_a_server_error(
    replicas: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    replica = await replicas()
    url = f"http://127.0.0.1:{replica.app.http_port}/telegram/webhook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    statuses = []
    with caplog.at_level(logging.ERROR):
        async with aiohttp.ClientSession() as http:
            for body in sample(webhook_bodies, 200):
                async with http.post(url, data=body, headers=headers) as response:
                    assert response.status in (200, 400), (response.status, body[:200])
                    statuses.append(response.status)
    assert 400 in statuses
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_healthz_is_unhealthy_while_updates_wait_for_the_database(launch: Launch) -> None:
    port = free_port()
    bot = await launch(server={"host": "127.0.0.1", "port": port})
    await asyncio.wait_for(bot.app.serving.wait(), 10)
    # What the update loop records when an update fails for want of the database.
    bot.app.health.outage.failed(asyncio.get_running_loop().time())
    status, body = await get(f"http://127.0.0.1:{port}/healthz")
    assert status == 503 and "unavailable" in body and '"status": "unhealthy"' in body
    bot.app.health.outage.recovered()
    status, _ = await get(f"http://127.0.0.1:{port}/healthz")
    assert status == 200


async def test_a_webhook_update_the_database_refused_gets_503_and_comes_again(
    replicas: Callable[..., Any],
    emulator: TelegramEmulator,
    staff: StaffGroup,
    make_customer: Callable[..., Customer],
) -> None:
    replica = await replicas()
    await emulator.wait_until(lambda: emulator.webhook_url, what="setWebhook")
    emulator.balance_to = [f"http://127.0.0.1:{replica.app.http_port}/telegram/webhook"]
    with refused_writes(replica.app.engine, 3):
        alice = make_customer()
        alice.send("позовите оператора")
        await staff.new_topic(name="Алиса")
        await emulator.wait_until(
            lambda: any(status == 200 for _, _, status in emulator.webhook_posts), what="a 200"
        )
    statuses = [status for _, _, status in emulator.webhook_posts]
    assert 503 in statuses and statuses[-1] == 200 and 500 not in statuses
    assert len(staff.topics()) == 1
