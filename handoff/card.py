"""The context card operators see at the top of each ticket's topic."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from common.i18n import Texts
from handoff.plain import one_line, plain
from storage.models import Customer, Direction, Message, Ticket, TicketStatus

LINE_LIMIT = 300
CARD_LIMIT = 3800  # below Telegram's 4096 so tags and the help line always fit


def _line(message: Message) -> str:
    arrow = "👤" if message.direction == Direction.IN else "🤖"
    body = message.text if message.text else f"[{message.content_type}]"
    if len(body) > LINE_LIMIT:
        body = body[:LINE_LIMIT] + "…"
    return f"{arrow} {html.escape(plain(body), quote=False)}"


@dataclass(frozen=True, slots=True)
class CardExtras:
    """What the bot already did for the customer."""

    order_number: str = ""
    order_result: str = ""  # the order's status, or not_found / backend_down / no_number
    articles: list[str] = field(default_factory=list)
    callback: str = ""  # "phone, window" of a callback request, if any
    previous_count: int = 0
    previous_last: str = ""  # date of the latest earlier ticket
    previous_subjects: list[str] = field(default_factory=list)
    repeat: bool = False  # the same category within 7 days
    sla_due: str = ""  # local time of the first-reply deadline


def _classification(t: Texts, ticket: Ticket) -> list[str]:
    lines = []
    if ticket.category1:
        path = " → ".join(c for c in (ticket.category1, ticket.category2, ticket.category3) if c)
        lines.append(t("staff-card-category", path=html.escape(path, quote=False)))
    if ticket.intent:
        confidence = f"{ticket.confidence:.2f}" if ticket.confidence is not None else "—"
        lines.append(t("staff-card-intent", intent=ticket.intent, confidence=confidence))
    return lines


def _order_status(t: Texts, result: str) -> str:
    """The order's status (or why there is none) in the staff's language."""
    for key in (f"order-status-{result}", f"staff-order-{result}"):
        text = t(key)
        if result and text != key:
            return text
    return html.escape(result, quote=False) or "—"


def _bot_work(t: Texts, extras: CardExtras) -> list[str]:
    lines = []
    if extras.order_number:
        lines.append(
            t(
                "staff-card-order",
                number=html.escape(extras.order_number, quote=False),
                status=_order_status(t, extras.order_result),
            )
        )
    if extras.articles:
        lines.append(t("staff-card-articles", articles=", ".join(extras.articles)))
    if extras.callback:
        lines.append(t("staff-card-callback", details=html.escape(extras.callback, quote=False)))
    if extras.previous_count:
        subjects = html.escape("; ".join(extras.previous_subjects[:3]), quote=False)
        lines.append(
            t(
                "staff-card-previous",
                count=extras.previous_count,
                last=extras.previous_last,
                subjects=subjects or "—",
            )
        )
    if extras.repeat:
        lines.append(t("staff-card-repeat"))
    return lines


def shown_status(ticket: Ticket) -> str:
    """The state operators see on the card and the topic: new, in progress or closed. Whose
    turn it is (waiting for the customer or not) changes with every message, and showing it
    would spend the group's ~20 Bot API calls a minute on edits instead of messages."""
    if ticket.status in (TicketStatus.NEW, TicketStatus.CLOSED):
        return str(ticket.status)
    return str(TicketStatus.IN_PROGRESS)


def _state(t: Texts, ticket: Ticket, extras: CardExtras) -> list[str]:
    lines = [
        t(
            "staff-card-state",
            status=t(f"staff-status-{shown_status(ticket)}"),
            priority=t(f"staff-priority-{ticket.priority}"),
        )
    ]
    if ticket.assignee_name:
        lines.append(t("staff-card-assignee", name=html.escape(ticket.assignee_name, quote=False)))
    if extras.sla_due and ticket.first_reply_at is None:
        lines.append(t("staff-card-sla", due=extras.sla_due))
    return lines


def render_card(
    t: Texts,
    ticket: Ticket,
    customer: Customer,
    dialog: Sequence[Message],
    extras: CardExtras | None = None,
) -> str:
    """HTML card; every piece of customer-supplied text is escaped."""
    username = f"@{customer.username}" if customer.username else ""
    head = [
        t("staff-card-title", ticket=ticket.id),
        t(
            "staff-card-customer",
            name=html.escape(one_line(customer.full_name or "") or "—", quote=False),
            username=username,
            user_id=customer.telegram_id,
            language=customer.language,
        ),
        *_state(t, ticket, extras or CardExtras()),
        t("staff-card-reason", reason=t(f"staff-reason-{ticket.reason}")),
        *_classification(t, ticket),
        *_bot_work(t, extras or CardExtras()),
        "",
    ]
    lines = [_line(m) for m in dialog]
    body = [t("staff-card-dialog"), *lines] if lines else [t("staff-card-no-dialog")]
    # A group without topics answers by replies, not "in this topic".
    tail = ["", t("staff-card-help" if ticket.thread_id is not None else "staff-card-help-replies")]
    text = "\n".join([*head, *body, *tail])
    # Drop the oldest dialog lines until the card fits in one message.
    while len(text) > CARD_LIMIT and lines:
        lines.pop(0)
        body = [t("staff-card-dialog"), "…", *lines]
        text = "\n".join([*head, *body, *tail])
    return text
