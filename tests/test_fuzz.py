"""Property-based: random updates of every kind through the real dispatcher and the emulator.

Whatever arrives (any content type, empty or 10,000-character texts, odd Unicode, HTML in names,
chats the bot does not know, callbacks with forged data, edits of unknown messages), nothing
raises, nothing reaches the errors router, every HTML message the bot sends is well-formed,
and no reply shows an error to the person.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import App, build_app
from bot.config import Settings
from bot.sandbox.emulator import TelegramEmulator
from bot.sandbox.people import StaffGroup
from tests.conftest import FakeClock

JSON = dict[str, Any]
UNKNOWN_GROUP = -1009999999999
LEAKS = ("Traceback", "Exception", "Error:", "sqlalchemy", "aiogram", "NoneType", "KeyError")

# Any Unicode a client can send (no lone surrogates: those cannot be encoded in JSON text).
odd_text = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=300),
    st.just(""),
    st.just("x" * 10_000),
    st.just("<b>жирный</b> &amp; <script>alert(1)</script> </i> &#0;"),
    st.just("\u202eRTL\u200d\u0301 👨‍👩‍👧 \x00\x1f 🏳️‍🌈"),
    st.sampled_from(["/start", "/operator", "/cancel", "/language", "/stats", "/reload", "/kb x"]),
    st.sampled_from(["где мой заказ", "позовите оператора", "перезвоните мне", "12345678"]),
)
names = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=64),
    st.just("<b>Admin</b> & <a href='x'>"),
)
file_ref = st.builds(
    lambda n: {"file_id": f"f{n}", "file_unique_id": f"u{n}"}, st.integers(0, 10**6)
)
contents = st.one_of(
    odd_text.map(lambda t: {"text": t}),
    st.builds(
        lambda f, c: {"photo": [{**f, "width": 90, "height": 90}], "caption": c}, file_ref, odd_text
    ),
    file_ref.map(
        lambda f: {
            "sticker": {
                **f,
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            }
        }
    ),
    file_ref.map(lambda f: {"voice": {**f, "duration": 3}}),
    file_ref.map(lambda f: {"video_note": {**f, "length": 240, "duration": 3}}),
    file_ref.map(lambda f: {"video": {**f, "width": 1, "height": 1, "duration": 1}}),
    file_ref.map(lambda f: {"animation": {**f, "width": 1, "height": 1, "duration": 1}}),
    file_ref.map(lambda f: {"audio": {**f, "duration": 1}}),
    file_ref.map(lambda f: {"document": {**f, "file_name": "<x>.pdf"}}),
    st.just({"location": {"latitude": 55.75, "longitude": 37.61}}),
    st.builds(lambda p, n: {"contact": {"phone_number": p, "first_name": n}}, odd_text, names),
    st.just({"dice": {"emoji": "🎲", "value": 3}}),
    st.just(
        {
            "poll": {
                "id": "p",
                "question": "?",
                "options": [],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
                "allows_revoting": False,
                "members_only": False,
            }
        }
    ),
    st.just(
        {"venue": {"location": {"latitude": 1.0, "longitude": 2.0}, "title": "<t>", "address": "a"}}
    ),
    st.just({"new_chat_members": [{"id": 77, "is_bot": False, "first_name": "N"}]}),
)


@pytest.fixture
async def app(
    settings_for: Any, staff: StaffGroup, clock: FakeClock, emulator: TelegramEmulator
) -> AsyncIterator[App]:
    settings: Settings = settings_for(staff.id, admin_ids=[4242])
    # Hundreds of updates from two people in seconds: this is about surviving any input, and
    # Telegram's flood limits would only make it wait (tests/test_e2e_desk.py keeps to them).
    emulator.limits = None
    app = await build_app(settings, clock)
    yield app
    await app.close()


ids = itertools.count(10_000)


@st.composite
def updates(draw: st.DrawFn, people: list[JSON], staff_id: int) -> JSON:
    person = dict(draw(st.sampled_from(people)))
    person["first_name"] = draw(names)
    where = draw(st.sampled_from(["private", "private", "staff", "unknown_group", "channel"]))
    if where == "private":
        chat: JSON = {"id": person["id"], "type": "private", "first_name": person["first_name"]}
    elif where == "staff":
        chat = {"id": staff_id, "type": "supergroup", "title": "Desk", "is_forum": True}
    elif where == "unknown_group":
        chat = {"id": UNKNOWN_GROUP, "type": "supergroup", "title": "<Spam>"}
    else:
        chat = {"id": UNKNOWN_GROUP - 1, "type": "channel", "title": "news"}
    message: JSON = {
        "message_id": draw(st.integers(1, 10**6)),
        "date": 1_780_000_000,
        "chat": chat,
        **draw(contents),
    }
    if where != "channel":
        message["from"] = person
    if where == "staff" and draw(st.booleans()):
        message["message_thread_id"] = draw(st.integers(1, 50))
        message["is_topic_message"] = True
    if draw(st.booleans()):
        message["reply_to_message"] = {
            "message_id": draw(st.integers(1, 10**6)),
            "date": 1_780_000_000,
            "chat": chat,
            "text": "earlier",
        }
    kind = draw(st.sampled_from(["message"] * 5 + ["edited_message", "callback_query"]))
    if kind == "edited_message":
        return {"update_id": next(ids), "edited_message": {**message, "edit_date": 1_780_000_100}}
    if kind == "callback_query":
        data = draw(
            st.one_of(
                st.text(max_size=64),
                st.sampled_from(["take:1", "close:999", "rate:1:9", "kb:yes:zz", "lang:xx"]),
                st.builds(lambda a, b: f"{a}:{b}", st.text(max_size=10), st.integers()),
            )
        )
        return {
            "update_id": next(ids),
            "callback_query": {
                "id": str(next(ids)),
                "from": person,
                "chat_instance": "ci",
                "message": message if "text" in message else {**message, "text": "x"},
                "data": data,
            },
        }
    return {"update_id": next(ids), kind: message}


@pytest.fixture
def people(emulator: TelegramEmulator, staff: StaffGroup) -> list[JSON]:
    customers = [emulator.add_user(n, language_code=lc) for n, lc in (("A", "ru"), ("B", "en"))]
    operator = staff.operator("Оля").user
    admin = emulator.add_user("Админ", user_id=4242)
    return [*customers, operator, admin]


class ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,  # the same examples every run: tests stay deterministic
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_random_updates_never_break_the_bot_or_leak_an_error(
    data: st.DataObject,
    app: App,
    emulator: TelegramEmulator,
    staff: StaffGroup,
    people: list[JSON],
) -> None:
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    try:
        update = data.draw(updates(people, staff.id))
        sent_before = len(emulator.calls)
        await app.dispatcher.feed_raw_update(app.bot, update)
    finally:
        logging.getLogger().removeHandler(errors)
    assert not errors.records, [r.getMessage() for r in errors.records]
    assert app.delivery.stats.plain_text_fallbacks == 0  # every HTML message was well-formed
    for call in emulator.calls[sent_before:]:
        shown = " ".join(str(call.params.get(k) or "") for k in ("text", "caption"))
        assert not any(leak in shown for leak in LEAKS), shown


# Our own payloads' prefixes with any values, numbers far past any row id, negative or empty
# fields, and the separator inside them: what a stale client or a forger could send.
PREFIXES = ["rate", "handoff", "kb", "fb", "cbw", "cbd", "lang", "tk", "tc", "zz", ""]
fields = st.one_of(
    st.integers(min_value=-(10**60), max_value=10**60).map(str),
    st.sampled_from(["", "0", "-1", "take", "close", "category", "ru", "1", "true", "9" * 58]),
    st.text(max_size=12),
)
callback_data = st.builds(
    lambda prefix, values: ":".join([prefix, *values])[:64],
    st.sampled_from(PREFIXES),
    st.lists(fields, max_size=3),
)


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=callback_data, where=st.sampled_from(["private", "staff", "unknown_group"]))
async def test_every_callback_is_answered_and_none_raises(
    data: str,
    where: str,
    app: App,
    emulator: TelegramEmulator,
    staff: StaffGroup,
    people: list[JSON],
) -> None:
    person = people[0] if where == "private" else people[2]  # a customer, or the operator
    chat = {
        "private": {"id": person["id"], "type": "private", "first_name": person["first_name"]},
        "staff": {"id": staff.id, "type": "supergroup", "title": "Desk", "is_forum": True},
        "unknown_group": {"id": UNKNOWN_GROUP, "type": "supergroup", "title": "x"},
    }[where]
    query_id = str(next(ids))
    update = {
        "update_id": next(ids),
        "callback_query": {
            "id": query_id,
            "from": person,
            "chat_instance": "ci",
            "message": {"message_id": 1, "date": 1_780_000_000, "chat": chat, "text": "x"},
            "data": data,
        },
    }
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    try:
        await app.dispatcher.feed_raw_update(app.bot, update)
    finally:
        logging.getLogger().removeHandler(errors)
    assert not errors.records, [r.getMessage() for r in errors.records]
    assert query_id in emulator.callback_answers, f"{data!r} in {where} left the button spinning"
