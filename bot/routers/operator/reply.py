"""An operator's message in a ticket's topic goes to that ticket's customer only; notes
("!text" or /note) stay in the topic; edits are mirrored."""

import logging

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import InTicketTopic
from bot.replies import Replies
from common.clock import Clock
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
    say: Replies,
    session: AsyncSession,
    ticket: Ticket,
    desk: Desk,
    album: list[Message] | None = None,
) -> None:
    if ticket.status == TicketStatus.CLOSED:
        say(message.reply(desk.staff("staff-ticket-not-open", ticket=ticket.id)))
        return
    # Queued with this update's writes; if it cannot be delivered, the topic is told
    # (handoff.outbox).
    await desk.to_customer(session, ticket, album or [message])


async def internal_note(
    message: Message, say: Replies, session: AsyncSession, ticket: Ticket, desk: Desk, clock: Clock
) -> None:
    events.ticket_event(
        session,
        "note",
        clock.now(),
        ticket,
        operator_id=message.from_user.id if message.from_user else None,
    )
    await session.commit()
    say(message.reply(desk.staff("staff-note-saved")))


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
