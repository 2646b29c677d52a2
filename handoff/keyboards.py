"""Buttons on a ticket's card and the category picker."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from common.callbacks import PickCategory, PickGroup, TicketAction
from common.i18n import Texts
from storage.models import Ticket, TicketStatus


def card_keyboard(t: Texts, ticket: Ticket, transfer: bool = False) -> InlineKeyboardMarkup | None:
    """`transfer`: there are other staff groups to move the ticket to (🔀)."""
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
    if transfer:
        row.append(
            InlineKeyboardButton(
                text=t("staff-button-transfer"),
                callback_data=TicketAction(action="transfer", ticket=ticket.id).pack(),
            )
        )
    return InlineKeyboardMarkup(inline_keyboard=[row])


def group_picker(ticket_id: int, names: Sequence[str], current: int) -> InlineKeyboardMarkup:
    """The staff groups but the ticket's own (`current`, an index into `names`)."""
    rows = [
        [
            InlineKeyboardButton(
                text=name[:60], callback_data=PickGroup(ticket=ticket_id, index=index).pack()
            )
        ]
        for index, name in enumerate(names)
        if index != current
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


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
