"""Facts about a message, independent of where it goes."""

from collections.abc import Sequence
from datetime import datetime
from enum import Enum

from aiogram.types import Message

from storage import messages
from storage.models import Direction


def content_type(message: Message) -> str:
    kind = message.content_type
    return str(kind.value) if isinstance(kind, Enum) else str(kind)


def text_of(message: Message) -> str | None:
    return message.text if message.text is not None else message.caption


def inbound_rows(
    parts: Sequence[Message],
    logged_at: datetime,
    *,
    customer_id: int | None,
    ticket_id: int | None,
) -> list[messages.Row]:
    """Log rows for an inbound message, one per part of an album."""
    return [
        messages.new(
            chat_id=part.chat.id,
            telegram_message_id=part.message_id,
            direction=Direction.IN,
            content_type=content_type(part),
            text=text_of(part),
            sent_at=part.date,
            logged_at=logged_at,
            thread_id=part.message_thread_id,
            sender_id=part.from_user.id if part.from_user else None,
            customer_id=customer_id,
            ticket_id=ticket_id,
        )
        for part in parts
    ]
