"""Joins, leaves, bans and restrictions in the staff group: an operator's rights follow them
at once (Telegram sends these `chat_member` updates to a bot that is an admin there and asks
for them; registering this handler makes the bot ask)."""

import logging

from aiogram import F, Router
from aiogram.types import ChatMemberUpdated

from bot.middlewares.staff_member import StaffMemberMiddleware, acts_as_operator

log = logging.getLogger(__name__)


def build_router(staff_chat_id: int, members: StaffMemberMiddleware) -> Router:
    router = Router(name="operator.membership")

    async def staff_member_changed(event: ChatMemberUpdated) -> None:
        members.learn(event.new_chat_member)
        log.info(
            "staff member %s is now %s (operator: %s)",
            event.new_chat_member.user.id,
            event.new_chat_member.status,
            acts_as_operator(event.new_chat_member),
        )

    router.chat_member.register(staff_member_changed, F.chat.id == staff_chat_id)
    return router
