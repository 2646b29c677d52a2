"""An operator's message in a ticket's topic goes to that ticket's customer only."""

import logging

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import InTicketTopic
from handoff.desk import Desk
from storage.models import Ticket, TicketStatus

log = logging.getLogger(__name__)

# Service messages (topic created, pinned, members joined) are never relayed.
RELAYABLE = {
    "text",
    "photo",
    "video",
    "animation",
    "document",
    "audio",
    "voice",
    "video_note",
    "sticker",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
}


async def operator_reply_in_topic(
    message: Message, session: AsyncSession, ticket: Ticket, desk: Desk
) -> None:
    if ticket.status == TicketStatus.CLOSED:
        await message.reply(desk.staff("staff-ticket-not-open", ticket=ticket.id))
        return
    try:
        await desk.to_customer(session, ticket, message)
    except TelegramAPIError as exc:
        log.error("relay to customer of ticket %s failed: %s", ticket.id, type(exc).__name__)
        await message.reply(desk.staff("staff-delivery-failed", error=type(exc).__name__))


def build_router() -> Router:
    router = Router(name="operator.reply")
    router.message.register(
        operator_reply_in_topic,
        InTicketTopic(),
        F.content_type.in_(RELAYABLE),
        ~(F.text.startswith("/")),
        ~F.from_user.is_bot,
    )
    return router
