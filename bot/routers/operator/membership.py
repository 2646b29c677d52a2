"""Joins, leaves, bans and restrictions in a staff group: an operator's rights there follow them
at once (Telegram sends these `chat_member` updates to a bot that is an admin there and asks
for them; registering this handler makes the bot ask)."""

import logging

from aiogram import F, Router
from aiogram.types import ChatMemberUpdated

from bot.middlewares.staff_member import StaffMemberMiddleware, acts_as_operator

log = logging.getLogger(__name__)


def build_router(staff_chat_ids: frozenset[int], members: StaffMemberMiddleware) -> Router:
    router = Router(name="operator.membership")

    async def staff_member_changed(event: ChatMemberUpdated) -> None:
        members.learn(event.chat.id, event.new_chat_member)
        log.info(
            "staff member %s of %s is now %s (operator: %s)",
            event.new_chat_member.user.id,
            event.chat.id,
            event.new_chat_member.status,
            acts_as_operator(event.new_chat_member),
        )

    router.chat_member.register(staff_member_changed, F.chat.id.in_(staff_chat_ids))
    return router
