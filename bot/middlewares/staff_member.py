"""Only members of the staff group act as operators.

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


class StaffMemberMiddleware(BaseMiddleware):
    def __init__(self, staff_chat_id: int, texts: Texts) -> None:
        self.staff_chat_id = staff_chat_id
        self.texts = texts
        self._known: dict[int, tuple[bool, float]] = {}
        self._told: dict[int, bool] = {}  # what Telegram's chat_member updates said, for good

    def learn(self, member: ChatMemberUnion) -> None:
        """A chat_member update: the user's standing from now on, whatever was cached."""
        self._told[member.user.id] = acts_as_operator(member)
        self._known.pop(member.user.id, None)

    async def is_member(self, bot: Bot, user: User) -> bool:
        told = self._told.get(user.id)
        if told is not None:
            return told
        cached = self._known.get(user.id)
        now = time.monotonic()
        if cached is not None and now - cached[1] < TTL:
            return cached[0]
        try:
            verdict = acts_as_operator(await bot.get_chat_member(self.staff_chat_id, user.id))
        except (TelegramAPIError, ClientDecodeError) as exc:
            log.warning("membership of %s unknown: %s", user.id, type(exc).__name__)
            return False  # do not cache: the next try may succeed
        self._known[user.id] = (verdict, now)
        return verdict

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        bot: Bot = data["bot"]
        if isinstance(event, Message) and event.sender_chat is not None:
            # An anonymous admin posts as the group itself.
            if event.sender_chat.id == self.staff_chat_id:
                return await handler(event, data)
            return None
        if user is None or user.is_bot or not await self.is_member(bot, user):
            log.info("ignored an update from non-member %s", user.id if user else None)
            if isinstance(event, CallbackQuery):
                await event.answer(self.texts("staff-stranger"), show_alert=True)
            return None
        return await handler(event, data)
