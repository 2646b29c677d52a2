"""Only members of a staff group act as operators, and only in the groups they are in.

Telegram delivers a group's messages from its members, but a user who has just left, a
forwarded card's buttons or a crafted update must not act on tickets. Telegram tells an admin
bot of every join, leave, ban and restriction in the group (`chat_member` updates, handled by
bot.routers.operator.membership): those are the authority, at once. For a user no such update
has been seen about, getChatMember answers, remembered for a few minutes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import ClientDecodeError, TelegramAPIError
from aiogram.types import CallbackQuery, ChatMemberUnion, Message, TelegramObject, User

from common.i18n import Texts

log = logging.getLogger(__name__)
# A restricted member (muted, say) keeps reading the group but does not act as an operator.
MEMBER = {"creator", "administrator", "member"}
TTL = 300.0


def acts_as_operator(member: ChatMemberUnion) -> bool:
    return member.status in MEMBER and getattr(member, "is_member", True) is not False


Member = tuple[int, int]  # (staff group, user)


class StaffMemberMiddleware(BaseMiddleware):
    def __init__(self, texts: Texts) -> None:
        self.texts = texts
        self._known: dict[Member, tuple[bool, float]] = {}
        self._told: dict[Member, bool] = {}  # what Telegram's chat_member updates said, for good

    def learn(self, chat_id: int, member: ChatMemberUnion) -> None:
        """A chat_member update: the user's standing in that group from now on, whatever was
        cached."""
        key = (chat_id, member.user.id)
        self._told[key] = acts_as_operator(member)
        self._known.pop(key, None)

    async def is_member(self, bot: Bot, chat_id: int, user: User) -> bool:
        key = (chat_id, user.id)
        told = self._told.get(key)
        if told is not None:
            return told
        cached = self._known.get(key)
        now = time.monotonic()
        if cached is not None and now - cached[1] < TTL:
            return cached[0]
        try:
            verdict = acts_as_operator(await bot.get_chat_member(chat_id, user.id))
        except (TelegramAPIError, ClientDecodeError) as exc:
            log.warning("membership of %s unknown: %s", user.id, type(exc).__name__)
            return False  # do not cache: the next try may succeed
        self._known[key] = (verdict, now)
        return verdict

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        bot: Bot = data["bot"]
        chat = data.get("event_chat")
        if chat is None:
            return None
        if isinstance(event, Message) and event.sender_chat is not None:
            # An anonymous admin posts as the group itself.
            if event.sender_chat.id == chat.id:
                return await handler(event, data)
            return None
        if user is None or user.is_bot or not await self.is_member(bot, chat.id, user):
            log.info("ignored an update from non-member %s", user.id if user else None)
            if isinstance(event, CallbackQuery):
                await event.answer(self.texts("staff-stranger"), show_alert=True)
            return None
        return await handler(event, data)
