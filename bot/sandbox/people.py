"""The test-side API: customers and operators who send, press and read, as people do."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.sandbox.emulator import JSON, TelegramEmulator

DEFAULT_TIMEOUT = 10.0


def _matches(message: JSON, text: str | re.Pattern[str] | None) -> bool:
    if text is None:
        return True
    body = message.get("text") or message.get("caption") or ""
    if isinstance(text, re.Pattern):
        return text.search(body) is not None
    return text.lower() in body.lower()


def buttons(message: JSON) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


class Person:
    def __init__(self, emulator: TelegramEmulator, user: JSON) -> None:
        self.emulator = emulator
        self.user = user

    @property
    def id(self) -> int:
        return int(self.user["id"])

    @property
    def name(self) -> str:
        return str(self.user["first_name"])


class Customer(Person):
    """A customer in a private chat with the bot."""

    def __init__(self, emulator: TelegramEmulator, user: JSON) -> None:
        super().__init__(emulator, user)
        self._seen = 0  # how many bot messages the customer has already read

    # --- doing
    def send(self, text: str) -> JSON:
        return self.emulator.user_message(self.id, self.id, {"text": text})

    def send_content(self, content: JSON) -> JSON:
        return self.emulator.user_message(self.id, self.id, content)

    def send_sticker(self) -> JSON:
        return self.send_content({"sticker": self.emulator._media_object("sticker", "sticker-1")})

    def send_voice(self) -> JSON:
        return self.send_content({"voice": self.emulator._media_object("voice", "voice-1")})

    def send_photo(self, caption: str | None = None) -> JSON:
        content: JSON = {"photo": self.emulator._media_object("photo", "photo-1")}
        if caption:
            content["caption"] = caption
        return self.send_content(content)

    def shares_contact(self, phone: str) -> JSON:
        return self.send_content(
            {"contact": {"phone_number": phone, "first_name": self.name, "user_id": self.id}}
        )

    def keyboard(self) -> JSON:
        """The reply keyboard the bot last showed (buttons under the input field)."""
        return self.emulator.reply_keyboards.get(self.id, {})

    def press(self, button_text: str, message: JSON | None = None) -> str:
        """Press the inline button whose text contains `button_text` (newest message first)."""
        candidates = [message] if message else reversed(self.messages())
        for candidate in candidates:
            markup = candidate.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if button_text.lower() in button["text"].lower() and "callback_data" in button:
                        return self.emulator.user_presses(
                            self.id, candidate, button["callback_data"]
                        )
        raise AssertionError(
            f"{self.name} sees no button {button_text!r}; buttons: "
            f"{[buttons(m) for m in self.messages()]}"
        )

    def blocks_bot(self) -> None:
        self.emulator.user_blocks_bot(self.id)

    # --- seeing
    def messages(self) -> list[JSON]:
        """Every message the bot has sent to this customer, oldest first."""
        return self.emulator.chat_messages(self.id, from_bot=True)

    def texts(self) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.messages()]

    async def receives(
        self,
        text: str | re.Pattern[str] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        where: Callable[[JSON], bool] | None = None,
    ) -> JSON:
        """Wait for the next unread bot message (matching `text`); it and those before are read."""

        def find() -> JSON | None:
            unread = self.messages()[self._seen :]
            for index, message in enumerate(unread):
                if _matches(message, text) and (where is None or where(message)):
                    self._seen += index + 1
                    return message
            return None

        found: JSON = await self.emulator.wait_until(
            find, timeout, f"{self.name} to receive {text!r}"
        )
        return found

    async def sees(self, text: str | re.Pattern[str], *, timeout: float = DEFAULT_TIMEOUT) -> JSON:
        """Wait until any message in the chat, in its current (possibly edited) form, matches."""

        def find() -> JSON | None:
            return next((m for m in reversed(self.messages()) if _matches(m, text)), None)

        found: JSON = await self.emulator.wait_until(find, timeout, f"{self.name} to see {text!r}")
        return found


class Operator(Person):
    """A member of the staff group."""

    def __init__(self, emulator: TelegramEmulator, user: JSON, group: StaffGroup) -> None:
        super().__init__(emulator, user)
        self.group = group

    def says_in(self, thread_id: int, text: str, *, reply_to: int | None = None) -> JSON:
        return self.emulator.user_message(
            self.group.id, self.id, {"text": text}, thread_id=thread_id, reply_to=reply_to
        )

    def sends_in(self, thread_id: int, content: JSON) -> JSON:
        return self.emulator.user_message(self.group.id, self.id, content, thread_id=thread_id)

    def says_in_general(self, text: str) -> JSON:
        return self.emulator.user_message(self.group.id, self.id, {"text": text})

    def press(self, message: JSON, button_text: str) -> str:
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if button_text.lower() in button["text"].lower():
                    return self.emulator.user_presses(self.id, message, button["callback_data"])
        raise AssertionError(f"no button {button_text!r} on the message")


class StaffGroup:
    """The operators' forum supergroup."""

    def __init__(self, emulator: TelegramEmulator, chat: JSON) -> None:
        self.emulator = emulator
        self.chat = chat

    @property
    def id(self) -> int:
        return int(self.chat["id"])

    def operator(self, first_name: str, **kwargs: Any) -> Operator:
        user = self.emulator.add_user(first_name, **kwargs)
        self.emulator.join(self.id, user["id"])
        return Operator(self.emulator, user, self)

    def topics(self) -> list[Any]:
        return [t for (cid, _), t in self.emulator.topics.items() if cid == self.id]

    def topic_messages(self, thread_id: int, *, from_bot: bool | None = True) -> list[JSON]:
        return [
            m
            for m in self.emulator.chat_messages(self.id, thread_id=thread_id, from_bot=from_bot)
            if "forum_topic_created" not in m
        ]

    async def new_topic(self, *, timeout: float = DEFAULT_TIMEOUT, name: str | None = None) -> Any:
        """Wait for a topic (whose name contains `name`) and its first bot message (the card)."""

        def find() -> Any:
            for topic in self.topics():
                if (name is None or name in topic.name) and self.topic_messages(topic.thread_id):
                    return topic
            return None

        return await self.emulator.wait_until(find, timeout, f"a topic {name or ''} with its card")

    async def receives_in(
        self,
        thread_id: int,
        text: str | re.Pattern[str] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        where: Callable[[JSON], bool] | None = None,
    ) -> JSON:
        def find() -> JSON | None:
            for message in self.topic_messages(thread_id):
                if _matches(message, text) and (where is None or where(message)):
                    return message
            return None

        found: JSON = await self.emulator.wait_until(
            find, timeout, f"{text!r} in topic {thread_id}"
        )
        return found
