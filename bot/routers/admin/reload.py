"""/reload: re-read the knowledge base now and report the result."""

from __future__ import annotations

import asyncio

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.admins import AdminNotifier, describe_reload
from bot.replies import Replies
from kb.service import KnowledgeBaseService


async def cmd_reload(
    message: Message, say: Replies, kb: KnowledgeBaseService, admin_notifier: AdminNotifier
) -> None:
    result = await asyncio.to_thread(kb.reload)
    assert message.from_user is not None  # the admin filter matched their id
    t = await admin_notifier.texts_for(message.from_user.id)
    say(message.answer(describe_reload(t, result, str(kb.directory)), parse_mode="HTML"))


def build_router() -> Router:
    router = Router(name="admin.reload")
    router.message.register(cmd_reload, Command("reload"))
    return router
