"""The operator desk: tickets with a forum topic (or a reply chain when the staff group is not a
forum), relay both ways, take / close / reopen, ratings.

Relays, notices and the closing messages are queued in the outbox (storage.outbox) with the
change that causes them and sent by handoff.outbox; cards and topic names follow in the
background (handoff.refresher). Only opening a topic talks to Telegram from here, and it
commits first: SQLite allows one writer at a time, so no transaction is held across network
I/O.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import InlineKeyboardMarkup, Message, ReplyParameters, User
from sqlalchemy.ext.asyncio import AsyncSession

from common.clock import Clock
from common.content import content_type
from common.i18n import Texts, Translator
from handoff.card import CardExtras, render_card, shown_status
from handoff.hours import WorkingHours
from handoff.keyboards import card_keyboard
from handoff.pacing import Priority, priority
from handoff.plain import one_line
from handoff.priority import Prioritiser
from handoff.routing import Routing
from nlu.categories import Classification
from storage import contacts, events, messages, outbox, pending, tickets
from storage.models import Customer, Direction, Ticket, TicketStatus

log = logging.getLogger(__name__)

TOPIC_NAME_LIMIT = 128
# What the bot did for the customer within this window goes on the ticket's card.
CONTEXT_WINDOW = timedelta(hours=24)
REPEAT_WINDOW = timedelta(days=7)
THREAD_GONE = ("message thread not found", "topic_id_invalid", "topic_deleted")
T = TypeVar("T")
# An outbox row the desk carries out itself, not a Bot API method: the topic and card of a
# new ticket (and a pin), made in the background so the customer's update never waits for them.
OPEN_TOPIC = "OpenTopic"
MOVES_WHILE_OPENING = 3  # attempts to give a ticket moved mid-opening its topic in a new place
# Answers that say a call was not carried out (unlike a 5xx or a timeout, which may hide one
# that was).
REFUSED = (TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter)


def card_digest(text: str, keyboard: InlineKeyboardMarkup | None) -> str:
    """What a card shows, in 64 characters: a refresh that changes nothing is not sent."""
    shown = text + (keyboard.model_dump_json(exclude_none=True) if keyboard else "")
    return hashlib.sha256(shown.encode()).hexdigest()


def _thread_gone(exc: TelegramBadRequest) -> bool:
    return any(marker in exc.message.lower() for marker in THREAD_GONE)


class Desk:
    def __init__(
        self,
        bot: Bot,
        *,
        staff_chat_id: int,
        translator: Translator,
        staff_language: str,
        history_messages: int,
        clock: Clock,
        hours: WorkingHours | None = None,
        prioritiser: Prioritiser | None = None,
        sign_replies: bool = False,
        routing: Routing | None = None,
    ) -> None:
        self.bot = bot
        self.staff_chat_id = staff_chat_id  # the default group
        self.routing = routing or Routing(staff_chat_id)
        self.translator = translator
        self.staff: Texts = translator.texts(staff_language)
        self.history_messages = history_messages
        self.clock = clock
        self.hours = hours or WorkingHours.always_open()
        self.prioritiser = prioritiser or Prioritiser()
        self.forum: dict[int, bool] = {}  # by group: learnt on the first topic opened there
        self.sign_replies = sign_replies
        self.handoffs = 0  # tickets opened by this process, for /metrics
        # Set when a card or topic name must change: handoff.refresher sends it.
        self.displays_changed = asyncio.Event()
        # Called once a transaction that queued messages commits (handoff.outbox sets it).
        self.outbox_wake: Callable[[], None] = lambda: None

    def now(self) -> datetime:
        return self.clock.now()

    # ------------------------------------------------------------------ opening

    async def open_ticket(
        self, session: AsyncSession, customer: Customer, reason: str, contact: Classification
    ) -> tuple[Ticket, bool]:
        """The customer's open ticket, created with its topic and card if there was none."""
        # The update's messages so far, deferred (storage.pending), belong in the card.
        await pending.flush(session)
        now = self.now()
        ticket, created = await tickets.open_or_get(
            session,
            customer.id,
            reason,
            now,
            intent=contact.intent,
            confidence=contact.confidence,
            category=contact.category,
        )
        if created:
            self.handoffs += 1
            dialog = await messages.dialog(session, customer.telegram_id, self.history_messages)
            said = [m.text or "" for m in dialog if m.direction == Direction.IN]
            ticket.priority = self.prioritiser.priority(contact.intent, said)
            ticket.staff_chat_id = self.routing.group_for(
                customer.language,
                (ticket.category1, ticket.category2, ticket.category3),
                ticket.priority,
            )
            target = self._first_reply_target(ticket)
            hours = self.hours_of(ticket)
            ticket.sla_due_at = hours.add_working_time(now, target) if target else None
            events.ticket_event(
                session,
                "ticket_opened",
                now,
                ticket,
                reason=reason,
                priority=ticket.priority,
            )
            await contacts.escalate(session, customer.id, ticket.id, reason, contact.category)
        if ticket.card_message_id is None and (
            created or not await outbox.waiting_in_ticket(session, ticket.id, OPEN_TOPIC)
        ):
            # The topic and card are made by the outbox, in the ticket's place before anything
            # queued there after them; again for a ticket whose topic failed to open earlier.
            self._queue_in_ticket(
                session,
                ticket,
                OPEN_TOPIC,
                {"_customer": customer.telegram_id, "_language": customer.language},
                failure_notice="opening",
            )
        await session.commit()
        return ticket, created

    async def ensure_topic(self, session: AsyncSession, ticket: Ticket) -> None:
        """Open the ticket's topic and post its card, unless done (the outbox's OPEN_TOPIC).
        A ticket moved to another group while its topic was being opened gets one there."""
        for _ in range(MOVES_WHILE_OPENING):
            if ticket.card_message_id is not None:
                return
            await self._open_topic(session, ticket, ticket.customer)

    def reply_expected(self, at: datetime, ticket: Ticket | None = None) -> datetime | None:
        """None while the desk (the ticket's group) works; otherwise when it opens next."""
        hours = self.hours_of(ticket) if ticket is not None else self.hours
        return None if hours.is_open(at) else hours.next_open(at)

    def hours_of(self, ticket: Ticket) -> WorkingHours:
        group = self.routing.group(self.group_of(ticket))
        return group.hours if group is not None and group.hours is not None else self.hours

    def _first_reply_target(self, ticket: Ticket) -> timedelta | None:
        group = self.routing.group(self.group_of(ticket))
        if group is not None and group.first_reply_minutes is not None:
            minutes = group.first_reply_minutes.get(ticket.priority)
            return timedelta(minutes=minutes) if minutes else None
        return self.prioritiser.first_reply_target(ticket.priority)

    async def _open_topic(
        self, session: AsyncSession, ticket: Ticket, customer: Customer, recreated: bool = False
    ) -> None:
        with priority(Priority.OPENING):
            await self._open_topic_now(session, ticket, customer, recreated)
        if recreated and ticket.card_message_id is not None:
            await self.bot.send_message(
                self.group_of(ticket),
                self.staff("staff-topic-recreated"),
                message_thread_id=ticket.thread_id,
            )

    async def _open_topic_now(
        self, session: AsyncSession, ticket: Ticket, customer: Customer, recreated: bool
    ) -> None:
        # A topic made before the card failed (or a crash cut in) is used, not made twice.
        thread_id = None if recreated else ticket.thread_id
        name = self.topic_name(ticket, customer)
        # An earlier attempt whose answer never came (a crash, a gateway error) may have made
        # a topic the bot cannot find: the Bot API cannot list a group's topics.
        maybe_left = thread_id is None and not recreated and ticket.topic_requested_at is not None
        group = self.group_of(ticket)
        if thread_id is None and self.forum.get(group) is not False:
            ticket.topic_requested_at = self.now()
            await session.commit()
            try:
                topic = await self.bot.create_forum_topic(group, name)
                thread_id = topic.message_thread_id
                self.forum[group] = True
            except REFUSED as exc:
                ticket.topic_requested_at = None  # refused: no topic was made
                await session.commit()
                if (
                    not isinstance(exc, TelegramBadRequest)
                    or "not a forum" not in exc.message.lower()
                ):
                    raise
                log.warning("staff chat %s is not a forum: tickets go as reply chains", group)
                self.forum[group] = False
        if thread_id != ticket.thread_id or recreated:
            shown = name if thread_id is not None else None
            if not await tickets.set_if_in(
                session, ticket, group, thread_id=thread_id, topic_shown=shown
            ):
                await session.commit()
                return  # moved meanwhile (/transfer): the move's farewell goes to this place
            if maybe_left and thread_id is not None:
                log.warning("ticket %s: a topic from an unanswered attempt may be left", ticket.id)
                # Queued with the thread id: it follows the card even if a crash comes first.
                note = self.staff("staff-topic-maybe-left", name=html.escape(name))
                self.say_later(session, ticket, note)
            await session.commit()
        text = await self.card_text(session, ticket, customer)
        keyboard = card_keyboard(self.staff, ticket, len(self.routing.names) > 1)
        card = await self.bot.send_message(
            group,
            text,
            message_thread_id=thread_id,
            parse_mode="HTML",
            reply_markup=keyboard,
        )
        digest = card_digest(text, keyboard)
        if not await tickets.set_if_in(
            session, ticket, group, card_message_id=card.message_id, card_shown=digest
        ):
            await session.commit()
            return  # moved meanwhile: this card stays behind in the old place
        events.ticket_event(
            session,
            "topic_recreated" if recreated else "topic_opened",
            self.now(),
            ticket,
            thread_id=thread_id,
        )
        await session.commit()
        if thread_id is not None:
            try:
                await self.bot.pin_chat_message(group, card.message_id, disable_notification=True)
            except TelegramBadRequest as exc:  # no pin right: the card still leads the topic
                log.warning("cannot pin card of ticket %s: %s", ticket.id, exc.message)

    async def link_topic(self, session: AsyncSession, ticket: Ticket, thread_id: int) -> None:
        """Make an existing topic the ticket's (found by the number in its name)."""
        ticket.thread_id, ticket.topic_shown = thread_id, None
        events.ticket_event(session, "topic_linked", self.now(), ticket, thread_id=thread_id)
        await self.refresh(session, ticket)  # the name shows the ticket's state again

    def topic_name(self, ticket: Ticket, customer: Customer) -> str:
        name = self.staff(
            "staff-topic-name",
            icon=self.staff(f"staff-topic-icon-{shown_status(ticket)}"),
            ticket=ticket.id,
            name=one_line(customer.full_name or "") or str(customer.telegram_id),
            category=one_line(ticket.category3 or ticket.category2 or "") or "—",
        )
        return name[:TOPIC_NAME_LIMIT]

    async def card_text(self, session: AsyncSession, ticket: Ticket, customer: Customer) -> str:
        # The dialog as it was when the ticket opened: what came after (logged as the ticket's)
        # is relayed to the topic.
        if ticket.transferred_at is not None:
            # Moved from another group: the conversation so far, the ticket's own included.
            dialog = await messages.dialog(
                session, customer.telegram_id, self.history_messages, until=ticket.transferred_at
            )
        else:
            dialog = await messages.dialog(
                session,
                customer.telegram_id,
                self.history_messages,
                until=ticket.opened_at,
                before_ticket=ticket.id,
            )
        extras = await self._card_extras(session, ticket, customer)
        return render_card(self.staff, ticket, customer, dialog, extras)

    async def _card_extras(
        self, session: AsyncSession, ticket: Ticket, customer: Customer
    ) -> CardExtras:
        since = ticket.opened_at - CONTEXT_WINDOW
        order = await events.latest(session, customer.id, "order_lookup", since)
        callback = await events.latest(session, customer.id, "callback_requested", since)
        earlier = await tickets.history(session, customer.id, ticket.id)
        path = (ticket.category1, ticket.category2, ticket.category3)
        repeat = any(
            (t.category1, t.category2, t.category3) == path
            and t.opened_at >= ticket.opened_at - REPEAT_WINDOW
            for t in earlier
        )
        zone = self.hours_of(ticket).timezone
        return CardExtras(
            order_number=str(order.data.get("number") or "") if order else "",
            order_result=str(order.data.get("status") or order.data.get("result") or "")
            if order
            else "",
            articles=await events.articles_shown(session, customer.id, since),
            callback=f"{callback.data.get('phone')}, {callback.data.get('window')}"
            if callback
            else "",
            previous_count=len(earlier),
            previous_last=earlier[0].opened_at.astimezone(zone).strftime("%d.%m.%Y")
            if earlier
            else "",
            previous_subjects=[
                " → ".join(p for p in (t.category2, t.category3) if p) or f"#{t.id}"
                for t in earlier
            ],
            repeat=repeat and path[0] is not None,
            sla_due=ticket.sla_due_at.astimezone(zone).strftime("%d.%m %H:%M %Z")
            if ticket.sla_due_at
            else "",
        )

    async def refresh(self, session: AsyncSession, ticket: Ticket) -> None:
        """Have the card and the topic's name show the ticket's state: recorded with the
        change and committed now, sent in the background (handoff.refresher)."""
        tickets.display_changed(ticket)
        await session.commit()
        self.displays_changed.set()

    async def show(self, session: AsyncSession, ticket: Ticket) -> tuple[str | None, str | None]:
        """Edit the card and rename the topic where they differ from what they showed; returns
        what they show now (the card's digest, the topic's name)."""
        customer = ticket.customer
        card, topic = ticket.card_shown, ticket.topic_shown
        if ticket.card_message_id is not None:
            text = await self.card_text(session, ticket, customer)
            keyboard = card_keyboard(self.staff, ticket, len(self.routing.names) > 1)
            digest = card_digest(text, keyboard)
            if digest != card:
                try:
                    await self.bot.edit_message_text(
                        text,
                        chat_id=self.group_of(ticket),
                        message_id=ticket.card_message_id,
                        parse_mode="HTML",
                        reply_markup=keyboard,
                    )
                except TelegramBadRequest as exc:
                    if "not modified" not in exc.message.lower():
                        log.warning("card of ticket %s not updated: %s", ticket.id, exc.message)
                card = digest
        if ticket.thread_id is not None:
            name = self.topic_name(ticket, customer)
            if name != topic:
                try:
                    await self.bot.edit_forum_topic(
                        self.group_of(ticket), ticket.thread_id, name=name
                    )
                except TelegramBadRequest as exc:
                    if "not_modified" not in exc.message.lower().replace(" ", "_"):
                        log.warning("topic of ticket %s not renamed: %s", ticket.id, exc.message)
                topic = name
        return card, topic

    # ----------------------------------------------------------------- sending

    async def post(
        self,
        session: AsyncSession,
        ticket: Ticket,
        send: Callable[[int | None, ReplyParameters | None], Awaitable[T]],
        reply_to: int | None = None,
    ) -> T:
        """Send something into the ticket's place in the staff chat.

        Forum: into its topic; a topic that was deleted is recreated with its card and the
        message goes there. No forum: as a reply to the ticket's card (or to `reply_to`).
        """
        await self.ensure_topic(session, ticket)
        target = reply_to or (ticket.card_message_id if ticket.thread_id is None else None)
        reply = (
            ReplyParameters(message_id=target, allow_sending_without_reply=True) if target else None
        )
        try:
            return await send(ticket.thread_id, reply)
        except TelegramBadRequest as exc:
            if ticket.thread_id is None or not _thread_gone(exc):
                raise
        log.warning("topic of ticket %s is gone; recreating it", ticket.id)
        await self._open_topic(session, ticket, ticket.customer, recreated=True)
        return await send(ticket.thread_id, None)

    async def say(self, session: AsyncSession, ticket: Ticket, html_text: str) -> None:
        """A bot notice in the ticket's place (HTML), queued after what is queued there."""
        self.say_later(session, ticket, html_text)

    def say_later(self, session: AsyncSession, ticket: Ticket, html_text: str) -> None:
        self._queue_in_ticket(
            session, ticket, "SendMessage", {"text": html_text, "parse_mode": "HTML"}
        )

    def group_of(self, ticket: Ticket) -> int:
        """The staff group the ticket is in (the default one for tickets from before)."""
        return ticket.staff_chat_id or self.staff_chat_id

    def _queue_in_ticket(
        self,
        session: AsyncSession,
        ticket: Ticket,
        method: str,
        params: dict[str, Any],
        failure_notice: str | None = None,
    ) -> None:
        group = self.group_of(ticket)
        outbox.enqueue(
            session,
            chat_id=group,
            method=method,
            params={"chat_id": group, **params},
            now=self.now(),
            lane=outbox.lane_of_ticket(ticket.id),
            ticket_id=ticket.id,
            in_ticket=True,
            failure_notice=failure_notice,
            wake=self.outbox_wake,
        )

    def _queue_to_customer(
        self, session: AsyncSession, ticket: Ticket, method: str, params: dict[str, Any]
    ) -> None:
        chat_id = ticket.customer.telegram_id
        outbox.enqueue(
            session,
            chat_id=chat_id,
            method=method,
            params={"chat_id": chat_id, **params},
            now=self.now(),
            ticket_id=ticket.id,
            wake=self.outbox_wake,
        )

    async def to_staff(
        self, session: AsyncSession, ticket: Ticket, customer: Customer, album: Sequence[Message]
    ) -> None:
        """Queue a customer's message (or album, kept together) for the ticket's place."""
        first = album[0]
        group = self.group_of(ticket)
        params: dict[str, Any] = {
            "from_chat_id": first.chat.id,
            "_kind": content_type(first),
            "_language": customer.language,
        }
        if len(album) > 1:
            method = "CopyMessages"
            params["message_ids"] = [m.message_id for m in album]
        else:
            method = "CopyMessage"
            params["message_id"] = first.message_id
            if first.reply_to_message is not None:
                target = await messages.counterpart(
                    session, first.chat.id, first.reply_to_message.message_id, group
                )
                if target is not None:
                    params["reply_parameters"] = {"message_id": target}
        queued = await outbox.enqueue_relay(
            session,
            source=(first.chat.id, first.message_id),
            chat_id=group,
            method=method,
            params={"chat_id": group, **params},
            now=self.now(),
            lane=outbox.lane_of_ticket(ticket.id),
            ticket_id=ticket.id,
            in_ticket=True,
            failure_notice="customer",
            wake=self.outbox_wake,
        )
        if ticket.status == TicketStatus.WAITING:
            # The operator's turn again: recorded, but not shown (see shown_status).
            ticket.status = TicketStatus.IN_PROGRESS
        said = [m.text or m.caption or "" for m in album]
        if queued and ticket.priority != "urgent" and self.prioritiser.is_urgent(said):
            await self._raise_to_urgent(session, ticket)
        await session.commit()

    async def _raise_to_urgent(self, session: AsyncSession, ticket: Ticket) -> None:
        """The customer wrote «срочно» during the ticket: urgent from now, a sooner first-reply
        deadline if it still waits for one, and with `escalate_to`, that group takes it."""
        now, old = self.now(), ticket.priority
        ticket.priority = "urgent"
        target = self._first_reply_target(ticket) if ticket.first_reply_at is None else None
        if target is not None:
            due = self.hours_of(ticket).add_working_time(now, target)
            if due is not None and (ticket.sla_due_at is None or due < ticket.sla_due_at):
                ticket.sla_due_at = due
        events.ticket_event(session, "priority_raised", now, ticket, old=old, priority="urgent")
        group = self.routing.escalate_to
        if group is not None and self.group_of(ticket) != group:
            await self.transfer(session, ticket, group, None, self.staff("staff-urgent-escalated"))
        else:
            await self.refresh(session, ticket)

    async def to_customer(
        self, session: AsyncSession, ticket: Ticket, album: Sequence[Message]
    ) -> bool:
        """Queue an operator's message (or album) for the ticket's customer, anonymously."""
        customer = ticket.customer
        first = album[0]
        shown = self._shown(ticket)
        chat_id = customer.telegram_id
        params: dict[str, Any] = {"chat_id": chat_id, "_kind": content_type(first)}
        if first.reply_to_message is not None:
            target = await messages.counterpart(
                session, first.chat.id, first.reply_to_message.message_id, chat_id
            )
            if target is not None:
                params["reply_parameters"] = {
                    "message_id": target,
                    "allow_sending_without_reply": True,
                }
        if self.sign_replies and len(album) == 1 and first.text and first.from_user:
            method = "SendMessage"
            params["text"] = f"{first.text}\n\n— {first.from_user.first_name}"
            if first.entities:
                params["entities"] = [e.model_dump(exclude_none=True) for e in first.entities]
        elif len(album) > 1:
            method = "CopyMessages"
            params.pop("reply_parameters", None)
            params.update(from_chat_id=first.chat.id, message_ids=[m.message_id for m in album])
        else:
            method = "CopyMessage"
            params.update(from_chat_id=first.chat.id, message_id=first.message_id)
        queued = await outbox.enqueue_relay(
            session,
            source=(first.chat.id, first.message_id),
            chat_id=chat_id,
            method=method,
            params=params,
            now=self.now(),
            lane=outbox.lane_of_chat(chat_id),
            ticket_id=ticket.id,
            in_ticket=False,
            failure_notice="staff",
            wake=self.outbox_wake,
        )
        if not queued:
            log.info("message %s was queued before the restart", first.message_id)
            return True
        now = self.now()
        first_reply = tickets.mark_operator_reply(ticket, now)
        operator = first.from_user
        if ticket.assignee_id is None and operator is not None:
            ticket.assignee_id, ticket.assignee_name = operator.id, operator.full_name
        events.ticket_event(
            session,
            "operator_reply",
            now,
            ticket,
            operator_id=operator.id if operator else None,
            first=first_reply,
            parts=len(album),
        )
        await session.commit()
        if self._shown(ticket) != shown:  # taken by this first reply, say; not on every reply
            await self.refresh(session, ticket)
        return True

    @staticmethod
    def _shown(ticket: Ticket) -> tuple[object, ...]:
        """What of the ticket its card and topic name show, beside the context."""
        return (shown_status(ticket), ticket.assignee_id, ticket.priority, ticket.first_reply_at)

    async def mirror_edit(
        self, session: AsyncSession, edited: Message, target_chat_id: int
    ) -> bool:
        """Apply an edit to the relayed copy in the other chat."""
        pair = await messages.counterpart(
            session, edited.chat.id, edited.message_id, target_chat_id
        )
        if pair is None:
            return False
        try:
            if edited.text is not None:
                await self.bot.edit_message_text(
                    edited.text,
                    chat_id=target_chat_id,
                    message_id=pair,
                    entities=edited.entities,
                    parse_mode=None,
                )
            elif edited.caption is not None:
                await self.bot.edit_message_caption(
                    chat_id=target_chat_id,
                    message_id=pair,
                    caption=edited.caption,
                    caption_entities=edited.caption_entities,
                    parse_mode=None,
                )
            else:
                return False
        except TelegramBadRequest as exc:
            if "not modified" in exc.message.lower():
                return True
            raise
        return True

    # ------------------------------------------------------------- operator acts

    async def take(self, session: AsyncSession, ticket: Ticket, operator: User) -> tuple[bool, str]:
        """Assign the ticket; False with the holder's name when someone else has it."""
        if ticket.assignee_id is not None and ticket.assignee_id != operator.id:
            return False, ticket.assignee_name or str(ticket.assignee_id)
        ticket.assignee_id, ticket.assignee_name = operator.id, operator.full_name
        if ticket.status == TicketStatus.NEW:
            ticket.status = TicketStatus.IN_PROGRESS
        events.ticket_event(
            session,
            "ticket_taken",
            self.now(),
            ticket,
            operator_id=operator.id,
        )
        await session.commit()
        await self.refresh(session, ticket)
        return True, operator.full_name

    async def close(
        self,
        session: AsyncSession,
        ticket: Ticket,
        operator: User | None,
        rating_kb: InlineKeyboardMarkup,
        resolution: str | None = None,
    ) -> bool:
        """Close the ticket and its topic, tell the customer and ask for a rating."""
        if ticket.status == TicketStatus.CLOSED:
            return False
        now = self.now()
        tickets.close(ticket, operator.id if operator else None, now)
        ticket.resolution = resolution or ticket.resolution
        events.ticket_event(
            session,
            "ticket_closed",
            now,
            ticket,
            operator_id=operator.id if operator else None,
            resolution=bool(resolution),
        )
        customer = ticket.customer
        t = self.translator.texts(customer.language)
        self._queue_to_customer(
            session, ticket, "SendMessage", {"text": t("handoff-closed", ticket=ticket.id)}
        )
        self._queue_to_customer(
            session,
            ticket,
            "SendMessage",
            {"text": t("rating-ask"), "reply_markup": rating_kb.model_dump(exclude_none=True)},
        )
        who = html.escape(operator.full_name) if operator else "—"
        await self.say(
            session, ticket, self.staff("staff-ticket-closed", ticket=ticket.id, operator=who)
        )
        # After the notice, in the same lane: the topic closes once everything queued is in.
        self._queue_in_ticket(session, ticket, "CloseForumTopic", {})
        await self.refresh(session, ticket)
        return True

    async def reopen(self, session: AsyncSession, ticket: Ticket, operator: User) -> Ticket | None:
        """Reopen a closed ticket; returns the customer's other open ticket if there is one."""
        other = await tickets.open_for_customer(session, ticket.customer_id)
        if other is not None:
            return other
        tickets.reopen(ticket)
        ticket.assignee_id, ticket.assignee_name = operator.id, operator.full_name
        events.ticket_event(
            session,
            "ticket_reopened",
            self.now(),
            ticket,
            operator_id=operator.id,
        )
        self._queue_in_ticket(session, ticket, "ReopenForumTopic", {})
        await self.say(
            session,
            ticket,
            self.staff(
                "staff-ticket-reopened", ticket=ticket.id, operator=html.escape(operator.full_name)
            ),
        )
        await self.refresh(session, ticket)
        return None

    async def transfer(
        self,
        session: AsyncSession,
        ticket: Ticket,
        group: int,
        operator: User | None,
        reason: str = "",
    ) -> None:
        """Move the ticket to another staff group: a new topic there with the card and the
        dialog so far; the old topic is told where it went and closed. The customer notices
        nothing; what is already queued for the ticket goes to its new place."""
        await tickets.lock_place(session, ticket)
        old_group, old_thread, old_card = (
            self.group_of(ticket),
            ticket.thread_id,
            ticket.card_message_id,
        )
        now = self.now()
        who = html.escape(operator.full_name) if operator else self.staff("staff-transfer-auto")
        why = html.escape(reason.strip()) if reason.strip() else "—"
        farewell: dict[str, Any] = {
            "chat_id": old_group,
            "text": self.staff(
                "staff-ticket-transferred-away",
                group=html.escape(self.routing.name_of(group)),
                operator=who,
                reason=why,
            ),
            "parse_mode": "HTML",
        }
        if old_thread is not None:
            farewell["message_thread_id"] = old_thread
        elif old_card is not None:
            farewell["reply_parameters"] = {
                "message_id": old_card,
                "allow_sending_without_reply": True,
            }
        # The old place's rows name it themselves (not "the ticket's place", which moves);
        # a ticket whose topic was not made yet (escalated while waiting) left nothing there.
        farewells: list[tuple[str, dict[str, Any]]] = []
        if old_thread is not None or old_card is not None:
            farewells.append(("SendMessage", farewell))
        if old_thread is not None:
            close = {"chat_id": old_group, "message_thread_id": old_thread}
            farewells.append(("CloseForumTopic", close))
        for method, params in farewells:
            outbox.enqueue(
                session,
                chat_id=old_group,
                method=method,
                params=params,
                now=now,
                lane=outbox.lane_of_ticket(ticket.id),
                ticket_id=ticket.id,
                wake=self.outbox_wake,
            )
        ticket.staff_chat_id, ticket.transferred_at = group, now
        ticket.thread_id = ticket.card_message_id = ticket.topic_requested_at = None
        ticket.card_shown = ticket.topic_shown = None
        ticket.assignee_id = ticket.assignee_name = None  # the new group takes it
        events.ticket_event(
            session,
            "ticket_transferred",
            now,
            ticket,
            operator_id=operator.id if operator else None,
            from_group=old_group,
            to_group=group,
        )
        customer = ticket.customer
        self._queue_in_ticket(
            session,
            ticket,
            OPEN_TOPIC,
            {"_customer": customer.telegram_id, "_language": customer.language},
            failure_notice="opening",
        )
        self.say_later(
            session,
            ticket,
            self.staff(
                "staff-ticket-transferred-here",
                group=html.escape(self.routing.name_of(old_group)),
                operator=who,
                reason=why,
            ),
        )
        await session.commit()

    async def rate(self, session: AsyncSession, ticket: Ticket, score: int) -> bool:
        now = self.now()
        if not tickets.rate(ticket, score, now):
            return False
        events.ticket_event(session, "csat", now, ticket, score=score)
        await self.say(session, ticket, self.staff("staff-rating", ticket=ticket.id, score=score))
        if score <= 2:
            await self.say(
                session, ticket, self.staff("staff-rating-low", ticket=ticket.id, score=score)
            )
        await session.commit()
        return True
