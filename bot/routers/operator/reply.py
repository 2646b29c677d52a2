"""An operator's message in a ticket's topic goes to that ticket's customer only; notes
("!text" or /note) stay in the topic; edits are mirrored."""

import logging

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.content import content_type
from bot.filters import InTicketTopic
from handoff.desk import Desk
from storage import events
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
NOTE_PREFIX = "!"


async def operator_reply_in_topic(
    message: Message,
    session: AsyncSession,
    ticket: Ticket,
    desk: Desk,
    album: list[Message] | None = None,
) -> None:
    if ticket.status == TicketStatus.CLOSED:
        await message.reply(desk.staff("staff-ticket-not-open", ticket=ticket.id))
        return
    try:
        await desk.to_customer(session, ticket, album or [message])
    except TelegramBadRequest as exc:
        if "can't be copied" in exc.message.lower():
            await message.reply(desk.staff("staff-not-copyable", kind=content_type(message)))
            return
        log.error("relay to customer of ticket %s failed: %s", ticket.id, exc.message)
        await message.reply(desk.staff("staff-delivery-failed", error=type(exc).__name__))
    except TelegramAPIError as exc:
        log.error("relay to customer of ticket %s failed: %s", ticket.id, type(exc).__name__)
        await message.reply(desk.staff("staff-delivery-failed", error=type(exc).__name__))


async def internal_note(
    message: Message, session: AsyncSession, ticket: Ticket, desk: Desk, clock: Clock
) -> None:
    events.ticket_event(
        session,
        "note",
        clock.now(),
        ticket,
        operator_id=message.from_user.id if message.from_user else None,
    )
    await session.commit()
    await message.reply(desk.staff("staff-note-saved"))


async def operator_edit_in_topic(
    message: Message, session: AsyncSession, ticket: Ticket, desk: Desk
) -> None:
    try:
        await desk.mirror_edit(session, message, ticket.customer.telegram_id)
    except TelegramAPIError as exc:
        log.warning("edit in ticket %s not mirrored: %s", ticket.id, type(exc).__name__)


def build_router() -> Router:
    router = Router(name="operator.reply")
    router.message.register(internal_note, InTicketTopic(), Command("note"))
    router.message.register(internal_note, InTicketTopic(), F.text.startswith(NOTE_PREFIX))
    router.message.register(
        operator_reply_in_topic,
        InTicketTopic(),
        F.content_type.in_(RELAYABLE),
        ~(F.text.startswith("/")),
        ~F.from_user.is_bot | F.sender_chat,  # anonymous admins post via a bot account
    )
    router.edited_message.register(
        operator_edit_in_topic,
        InTicketTopic(),
        ~(F.text.startswith(NOTE_PREFIX)),
        ~F.from_user.is_bot,
    )
    return router
