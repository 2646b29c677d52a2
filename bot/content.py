"""Facts about a message, independent of where it goes."""

from enum import Enum

from aiogram.types import Message


def content_type(message: Message) -> str:
    kind = message.content_type
    return str(kind.value) if isinstance(kind, Enum) else str(kind)


def text_of(message: Message) -> str | None:
    return message.text if message.text is not None else message.caption
