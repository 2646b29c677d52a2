"""Typed callback payloads, bounded: anything else arriving as callback data (forged, stale,
a number no row could have) fails to parse, matches no handler and is answered by
bot.routers.unhandled, so no button spins and nothing raises."""

from typing import Annotated, Literal

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

# Row ids are 32-bit integer columns (Postgres `integer`), never zero or negative.
RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]
Index = Annotated[int, Field(ge=0, le=1000)]
ArticleId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
Reason = Annotated[str, Field(pattern=r"^[a-z_]{1,32}$")]


class RateTicket(CallbackData, prefix="rate"):
    ticket: RowId
    score: Annotated[int, Field(ge=1, le=5)]


class AskOperator(CallbackData, prefix="handoff"):
    reason: Reason


class ShowArticle(CallbackData, prefix="kb"):
    id: ArticleId


class Feedback(CallbackData, prefix="fb"):
    article: ArticleId
    useful: bool


class PickWindow(CallbackData, prefix="cbw"):
    index: Index


class CallbackDone(CallbackData, prefix="cbd"):
    event: RowId


class PickLanguage(CallbackData, prefix="lang"):
    code: Literal["ru", "en"]


class TicketAction(CallbackData, prefix="tk"):
    action: Literal["take", "close", "category", "transfer"]
    ticket: RowId


class PickGroup(CallbackData, prefix="tg"):
    ticket: RowId
    index: Index  # into the staff groups, the default one first (handoff.routing)


class PickCategory(CallbackData, prefix="tc"):
    ticket: RowId
    index: Index  # into the desk's list of known category paths
