"""The emulator behaves like the Bot API where the bot depends on it."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from bot.sandbox.emulator import TelegramEmulator
from bot.sandbox.html_entities import ParseError, parse_html


async def call(
    emulator: TelegramEmulator, method: str, token: str | None = None, **params: Any
) -> tuple[int, dict[str, Any]]:
    url = f"{emulator.base_url}/bot{token or emulator.token}/{method}"
    async with aiohttp.ClientSession() as session, session.post(url, json=params) as response:
        return response.status, await response.json()


def test_html_parsing_matches_telegram() -> None:
    text, entities = parse_html("<b>Hi</b> &lt;you&gt; 👋 <a href='https://x.y'>link</a>")
    assert text == "Hi <you> 👋 link"
    assert entities[0] == {"type": "bold", "offset": 0, "length": 2}
    assert entities[1] == {
        "type": "text_link",
        "offset": 12,
        "length": 4,
        "url": "https://x.y",
    }  # 👋 is 2 UTF-16 units
    for bad in ("<b>open", "<script>x</script>", "a <b>c</i>"):
        with pytest.raises(ParseError):
            parse_html(bad)


async def test_errors_look_like_telegram(emulator: TelegramEmulator) -> None:
    status, body = await call(emulator, "getMe", token="1:bad")
    assert status == 401 and body == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    status, body = await call(emulator, "sendMessage", chat_id=5, text="x")
    assert status == 400 and body["description"] == "Bad Request: chat not found"
    user = emulator.add_user("A")
    emulator.blocked_by.add(user["id"])
    status, body = await call(emulator, "sendMessage", chat_id=user["id"], text="x")
    assert status == 403 and body["description"] == "Forbidden: bot was blocked by the user"
    emulator.blocked_by.clear()
    emulator.fail("sendMessage", retry_after=3)
    status, body = await call(emulator, "sendMessage", chat_id=user["id"], text="x")
    assert status == 429 and body["parameters"] == {"retry_after": 3}
    status, body = await call(
        emulator, "sendMessage", chat_id=user["id"], text="<b>x", parse_mode="HTML"
    )
    assert status == 400 and body["description"].startswith("Bad Request: can't parse entities")
    status, body = await call(emulator, "noSuchMethod")
    assert status == 404


async def test_forum_topics_follow_telegram_quirks(emulator: TelegramEmulator) -> None:
    group = emulator.add_group("Desk")
    _, body = await call(emulator, "createForumTopic", chat_id=group["id"], name="#1 · Anna")
    thread = body["result"]["message_thread_id"]
    created = emulator.messages[(group["id"], thread)]
    assert "forum_topic_created" in created  # the thread id is its service message's id
    operator = emulator.add_user("Op")
    emulator.join(group["id"], operator["id"])
    message = emulator.user_message(group["id"], operator["id"], {"text": "hi"}, thread_id=thread)
    assert message["is_topic_message"] and message["message_thread_id"] == thread
    assert message["reply_to_message"]["message_id"] == thread
    _, body = await call(emulator, "closeForumTopic", chat_id=group["id"], message_thread_id=thread)
    assert body["ok"]
    _, body = await call(emulator, "closeForumTopic", chat_id=group["id"], message_thread_id=thread)
    assert body["description"] == "Bad Request: TOPIC_NOT_MODIFIED"
    emulator.delete_topic(group["id"], thread)
    _, body = await call(
        emulator, "sendMessage", chat_id=group["id"], text="x", message_thread_id=thread
    )
    assert body["description"] == "Bad Request: message thread not found"
    plain = emulator.add_group("Plain", forum=False)
    _, body = await call(emulator, "createForumTopic", chat_id=plain["id"], name="x")
    assert body["description"] == "Bad Request: the chat is not a forum"


async def test_long_polling_confirms_with_offset(emulator: TelegramEmulator) -> None:
    user = emulator.add_user("A")
    emulator.user_message(user["id"], user["id"], {"text": "one"})
    emulator.user_message(user["id"], user["id"], {"text": "two"})
    _, body = await call(emulator, "getUpdates")
    ids = [u["update_id"] for u in body["result"]]
    assert len(ids) == 2
    _, body = await call(emulator, "getUpdates", offset=ids[1])
    assert [u["update_id"] for u in body["result"]] == [ids[1]]
    _, body = await call(emulator, "getUpdates", offset=ids[1] + 1, timeout=0)
    assert body["result"] == []
