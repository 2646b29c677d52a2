"""Buttons on a ticket's card and the category picker."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from common.callbacks import PickCategory, TicketAction
from common.i18n import Texts
from storage.models import Ticket, TicketStatus


def card_keyboard(t: Texts, ticket: Ticket) -> InlineKeyboardMarkup | None:
    if ticket.status == TicketStatus.CLOSED:
        return None
    row = []
    if ticket.assignee_id is None:
        row.append(
            InlineKeyboardButton(
                text=t("staff-button-take"),
                callback_data=TicketAction(action="take", ticket=ticket.id).pack(),
            )
        )
    row.append(
        InlineKeyboardButton(
            text=t("staff-button-close"),
            callback_data=TicketAction(action="close", ticket=ticket.id).pack(),
        )
    )
    row.append(
        InlineKeyboardButton(
            text=t("staff-button-category"),
            callback_data=TicketAction(action="category", ticket=ticket.id).pack(),
        )
    )
    return InlineKeyboardMarkup(inline_keyboard=[row])


def category_picker(ticket_id: int, paths: Sequence[Sequence[str]]) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=" → ".join(path[1:])[:60] or path[0],
                callback_data=PickCategory(ticket=ticket_id, index=index).pack(),
            )
        ]
        for index, path in enumerate(paths)
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)
