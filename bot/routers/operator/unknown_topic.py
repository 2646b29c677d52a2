"""An operator writing in a topic no ticket owns is told so there, once per topic, instead of
talking to nobody. A topic whose name carries the number of an open ticket that has no topic
(made just before a crash, its thread id never recorded) becomes that ticket's topic, and the
message goes to the customer."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import InUnknownTopic
from bot.replies import Replies
from bot.routers.operator.reply import RELAYABLE
from handoff.desk import Desk
from storage.models import Ticket

TOLD_MAX = 10_000  # topics told about, remembered per process


def build_router() -> Router:
    told: set[int] = set()

    async def message_in_unknown_topic(
        message: Message, say: Replies, session: AsyncSession, desk: Desk, named: Ticket | None
    ) -> None:
        thread = message.message_thread_id
        assert thread is not None
        if named is not None:
            await desk.link_topic(session, named, thread)
            await desk.to_customer(session, named, [message])
            say(message.reply(desk.staff("staff-topic-linked", ticket=named.id)))
            return
        if thread in told:
            return
        if len(told) >= TOLD_MAX:
            told.clear()
        told.add(thread)
        # A topic deleted meanwhile refuses it: the outbox logs that; nobody is there to tell.
        say(message.reply(desk.staff("staff-topic-unknown")))

    router = Router(name="operator.unknown_topic")
    router.message.register(
        message_in_unknown_topic,
        InUnknownTopic(),
        F.content_type.in_(RELAYABLE),
        ~F.from_user.is_bot,
    )
    return router
