"""Typed callback payloads. Anything else arriving as callback data is ignored."""

from aiogram.filters.callback_data import CallbackData


class RateTicket(CallbackData, prefix="rate"):
    ticket: int
    score: int


class AskOperator(CallbackData, prefix="handoff"):
    reason: str


class ShowArticle(CallbackData, prefix="kb"):
    id: str


class Feedback(CallbackData, prefix="fb"):
    article: str
    useful: bool


class PickWindow(CallbackData, prefix="cbw"):
    index: int


class CallbackDone(CallbackData, prefix="cbd"):
    event: int


class PickLanguage(CallbackData, prefix="lang"):
    code: str


class TicketAction(CallbackData, prefix="tk"):
    action: str  # take | close | category
    ticket: int


class PickCategory(CallbackData, prefix="tc"):
    ticket: int
    index: int  # into the desk's list of known category paths
