"""Handing a customer to a person: /operator, words like "оператор", or the button."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, or_f
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import AsksForPerson, HasOpenTicket, person_words
from bot.policy import NLU_INPUT_LIMIT, PERSON, SMALLTALK, is_confident
from bot.replies import Replies
from bot.routers.customer.relay import customer_message_to_ticket
from common.callbacks import AskOperator
from common.i18n import Texts
from handoff.desk import Desk
from nlu.categories import Categorizer, Classification
from nlu.service import NLU
from storage.models import Customer, Ticket

COMMAND = re.compile(r"^/\w+(@\w+)?")
WORD = re.compile(r"\w{2,}")
SUBJECT_WORDS = 2  # "оплата картой": fewer words than this are no subject

REASONS = {
    "asked_for_operator",
    "kb_miss",
    "negative_feedback",
    "low_confidence",
    "repeat_question",
    "failed_flow",
}


async def recall_contact(state: FSMContext, categorizer: Categorizer, text: str) -> Classification:
    """What the customer's last question was about, or the categories of this text alone."""
    remembered = Classification.from_state((await state.get_data()).get("contact"))
    if remembered is not None:
        return remembered
    return Classification(None, None, categorizer.categorize(text, None))


class RequestSubject:
    """What a request for a person is about, from its own words: «позовите оператора, не
    проходит оплата картой» is a failed payment, whatever was asked before."""

    def __init__(self, keywords: list[str], nlu: NLU, categorizer: Categorizer, confident: float):
        self._person = person_words(keywords)
        self._nlu = nlu
        self._categorizer = categorizer
        self._confident = confident

    async def of(self, text: str) -> Classification | None:
        """The subject's classification, or None when the words say nothing but the request."""
        rest = self._person.sub(" ", text) if self._person else text
        rest = COMMAND.sub(" ", rest)
        if len(WORD.findall(rest)) < SUBJECT_WORDS:
            return None
        parsed = await self._nlu.parse(rest[:NLU_INPUT_LIMIT])
        intent, confidence = str(parsed["intent"]["name"]), float(parsed["intent"]["confidence"])
        sure = is_confident(intent, confidence, self._confident) and intent not in (
            PERSON,
            *SMALLTALK,
        )
        category = self._categorizer.categorize(rest, intent if sure else None)
        if not sure and category == self._categorizer.default:
            return None
        return Classification(intent if sure else None, confidence if sure else None, category)


async def hand_off(
    target: Message,
    say: Replies,
    session: AsyncSession,
    customer: Customer,
    t: Texts,
    desk: Desk,
    reason: str,
    contact: Classification,
    state: FSMContext,
) -> None:
    # A dialog left half-way (the bot asked for an order number) ends: from now on every
    # message goes to the operator, not to the bot's question.
    await state.set_state(None)
    # The topic and card follow in the background; if they cannot be made, the outbox tells
    # the customer (handoff-unavailable).
    ticket, created = await desk.open_ticket(session, customer, reason, contact)
    say(target.answer(t("handoff-opened" if created else "handoff-already-open", ticket=ticket.id)))
    opens = desk.reply_expected(desk.now(), ticket)
    if created and opens is not None:
        zone = desk.hours_of(ticket).timezone
        say(target.answer(t("handoff-after-hours", when=describe_when(t, desk, opens, zone))))


def describe_when(t: Texts, desk: Desk, opens: datetime, zone: ZoneInfo | None = None) -> str:
    """ "today after 09:00", "on Monday after 09:00", "on 02.01 after 10:00" in desk time."""
    zone = zone or desk.hours.timezone
    local, today = opens.astimezone(zone), desk.now().astimezone(zone).date()
    clock_time = local.strftime("%H:%M")
    days = (local.date() - today).days
    if days == 0:
        return t("when-today", time=clock_time)
    if days == 1:
        return t("when-tomorrow", time=clock_time)
    if days < 7:
        return t("when-weekday", day=local.weekday(), time=clock_time)
    return t("when-date", date=local.strftime("%d.%m"), time=clock_time)


async def cmd_operator(
    message: Message,
    say: Replies,
    session: AsyncSession,
    customer: Customer,
    t: Texts,
    desk: Desk,
    state: FSMContext,
    categorizer: Categorizer,
    request_subject: RequestSubject,
) -> None:
    text = message.text or ""
    contact = await request_subject.of(text) or await recall_contact(state, categorizer, text)
    await hand_off(message, say, session, customer, t, desk, "asked_for_operator", contact, state)


async def asks_again_during_ticket(
    message: Message,
    say: Replies,
    session: AsyncSession,
    customer: Customer,
    ticket: Ticket,
    t: Texts,
    desk: Desk,
    album: list[Message] | None = None,
) -> None:
    """«оператор, где вы?» while a ticket is open: the words go to the operator like any other
    message, and the customer is reminded where the request stands."""
    await customer_message_to_ticket(message, session, customer, ticket, desk, album)
    say(message.answer(t("handoff-already-open", ticket=ticket.id)))


async def operator_button(
    query: CallbackQuery,
    say: Replies,
    callback_data: AskOperator,
    session: AsyncSession,
    customer: Customer,
    t: Texts,
    desk: Desk,
    state: FSMContext,
    categorizer: Categorizer,
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        reason = callback_data.reason if callback_data.reason in REASONS else "asked_for_operator"
        contact = await recall_contact(state, categorizer, "")
        await hand_off(query.message, say, session, customer, t, desk, reason, contact, state)


def build_router(keywords: list[str]) -> Router:
    router = Router(name="customer.handoff")
    asks = or_f(Command("operator"), AsksForPerson(keywords))
    router.message.register(asks_again_during_ticket, asks, HasOpenTicket())
    router.message.register(cmd_operator, Command("operator"))
    router.message.register(cmd_operator, F.text, AsksForPerson(keywords))
    router.callback_query.register(operator_button, AskOperator.filter())
    return router
