"""The sandbox's world: the emulator with a staff forum, a few customers and operators, and
what the page may do in it on their behalf."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.emulator import JSON, TelegramEmulator

SANDBOX_TOKEN = "700000001:SANDBOX-frontline-not-a-real-token"
MEDIA_KINDS = ("photo", "video", "document", "voice", "audio", "sticker", "animation", "video_note")
# Service messages a Telegram client shows as a grey line in the chat, not as a bubble.
SERVICE = ("pinned_message", "forum_topic_edited", "forum_topic_closed", "forum_topic_reopened")


@dataclass
class World:
    emulator: TelegramEmulator
    group_id: int
    admin_id: int
    customers: list[int] = field(default_factory=list)
    operators: list[int] = field(default_factory=list)

    @classmethod
    def create(cls, emulator: TelegramEmulator) -> World:
        group = emulator.add_group("Support desk · sandbox", forum=True)
        admin = emulator.add_user("Анна", last_name="(admin)", language_code="ru")
        world = cls(emulator, int(group["id"]), int(admin["id"]))
        world.customers.append(world.admin_id)
        world.add_customer("Алиса", "ru")
        world.add_customer("John", "en")
        world.add_operator("Ольга")
        world.add_operator("Oliver")
        return world

    # ------------------------------------------------------------------ people

    def add_customer(self, name: str, language: str) -> int:
        user = self.emulator.add_user(name[:64] or "?", language_code=language)
        self.customers.append(int(user["id"]))
        self.emulator._notify()
        return int(user["id"])

    def add_operator(self, name: str) -> int:
        user = self.emulator.add_user(name[:64] or "?")
        self.emulator.join(self.group_id, int(user["id"]))
        self.operators.append(int(user["id"]))
        self.emulator._notify()
        return int(user["id"])

    # ----------------------------------------------------------------- actions

    def customer_sends(self, user_id: int, content: JSON) -> None:
        self._check(user_id, self.customers)
        self.emulator.user_message(user_id, user_id, content)

    def operator_sends(
        self, user_id: int, thread_id: int | None, content: JSON, reply_to: int | None = None
    ) -> None:
        self._check(user_id, self.operators)
        self.emulator.user_message(
            self.group_id, user_id, content, thread_id=thread_id, reply_to=reply_to
        )

    def press(self, user_id: int, chat_id: int, message_id: int, data: str) -> None:
        self._check(user_id, [*self.customers, *self.operators])
        message = self.emulator.messages.get((chat_id, message_id))
        if message is None:
            raise ValueError("no such message")
        self.emulator.user_presses(user_id, message, data)

    def media(self, kind: str, caption: str = "") -> JSON:
        if kind not in MEDIA_KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        content: JSON = {kind: self.emulator._media_object(kind, f"sandbox-{kind}")}
        if caption and kind not in ("sticker", "video_note"):
            content["caption"] = caption
        return content

    def contact(self, user_id: int) -> JSON:
        user = self.emulator.users[user_id]
        return {
            "contact": {
                "phone_number": f"7916{user_id % 10_000_000:07d}",
                "first_name": user["first_name"],
                "user_id": user_id,
            }
        }

    @staticmethod
    def _check(user_id: int, allowed: list[int]) -> None:
        if user_id not in allowed:
            raise ValueError("no such person here")

    # ------------------------------------------------------------------- state

    def state(self) -> dict[str, Any]:
        emu = self.emulator
        customers = []
        for uid in self.customers:
            user = emu.users[uid]
            customers.append(
                {
                    "id": uid,
                    "name": " ".join(filter(None, [user["first_name"], user.get("last_name")])),
                    "language": user.get("language_code"),
                    "admin": uid == self.admin_id,
                    "keyboard": emu.reply_keyboards.get(uid),
                    "messages": [self._message(m) for m in emu.chat_messages(uid)],
                }
            )
        group = emu.chats[self.group_id]
        topics = []
        for (cid, thread_id), topic in sorted(emu.topics.items(), key=lambda kv: -kv[0][1]):
            if cid != self.group_id or topic.deleted:
                continue
            messages = [
                self._message(m)
                for m in emu.chat_messages(cid, thread_id=thread_id)
                if "forum_topic_created" not in m
            ]
            pinned = [m for m in group.pinned if (cid, m) in emu.messages]
            card = next((m for m in pinned if emu.messages[(cid, m)].get(
                "message_thread_id") == thread_id), None)  # fmt: skip
            topics.append(
                {
                    "thread_id": thread_id,
                    "name": topic.name,
                    "icon_color": topic.icon_color,
                    "closed": topic.closed,
                    "pinned": card,
                    "messages": messages,
                }
            )
        general = [
            self._message(m)
            for m in emu.chat_messages(self.group_id)
            if "message_thread_id" not in m and "forum_topic_created" not in m
        ]
        return {
            "bot": {"name": emu.bot_user["first_name"], "username": emu.bot_user["username"]},
            "group": {"id": self.group_id, "title": group.chat.get("title")},
            "customers": customers,
            "operators": [
                {"id": uid, "name": emu.users[uid]["first_name"]} for uid in self.operators
            ],
            "topics": topics,
            "general": general,
        }

    def _message(self, message: JSON) -> dict[str, Any]:
        emu = self.emulator
        chat_id = int(message["chat"]["id"])
        sender = message.get("from") or {}
        kind = next(
            (k for k in (*SERVICE, *MEDIA_KINDS, "contact", "location") if k in message), "text"
        )
        edited = message.get("forum_topic_edited") or {}
        markup = message.get("reply_markup") or {}
        reply = message.get("reply_to_message") or {}
        return {
            "id": message["message_id"],
            "chat_id": chat_id,
            "from_bot": sender.get("id") == emu.bot_user["id"],
            "sender": sender.get("first_name", ""),
            "kind": kind,
            "text": message.get("text") or message.get("caption") or "",
            "entities": message.get("entities") or message.get("caption_entities") or [],
            "contact": (message.get("contact") or {}).get("phone_number"),
            "service": kind in SERVICE,
            "renamed_to": edited.get("name"),
            "buttons": markup.get("inline_keyboard") or [],
            # A topic message's "reply" to the topic's creation is a quirk, not a reply.
            "reply_to": reply.get("message_id")
            if reply and "forum_topic_created" not in reply
            else None,
            "at": emu.stored_at.get((chat_id, message["message_id"])),
            "edited": "edit_date" in message,
        }
