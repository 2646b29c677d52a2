"""Order status: ask for the number if missing, re-prompt on a malformed one, look it up."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import F, Router
from aiogram.filters import BaseFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.config import Settings
from bot.orders import Order, OrderBackend, OrderBackendError, find_order_number
from bot.replies import Replies
from bot.states import OrderFlow
from common.clock import Clock
from common.i18n import Texts
from nlu.categories import Classification, ClassificationFields
from nlu.service import NLU
from storage import events
from storage.models import Customer

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
NLU_INPUT_LIMIT = 1000
NOT_AN_INTENT = ("out_of_scope", "nlu_fallback")


def describe(t: Texts, order: Order) -> str:
    label = t(f"order-status-{order.status}")
    lines = [
        t(
            "order-found",
            number=order.number,
            status=order.status if label.startswith("order-") else label,
        )
    ]
    if order.delivery_date and order.status not in ("delivered", "cancelled"):
        lines.append(t("order-delivery-date", date=order.delivery_date))
    if order.tracking:
        lines.append(
            t(
                "order-tracking",
                tracking=order.tracking,
                carrier=f" ({order.carrier})" if order.carrier else "",
            )
        )
    return "\n".join(lines)


async def look_up(
    message: Message,
    say: Replies,
    number: str,
    session: AsyncSession,
    customer: Customer,
    t: Texts,
    orders: OrderBackend,
    clock: Clock,
    state: FSMContext,
) -> None:
    await state.set_state(None)
    await state.update_data(order_attempts=0)
    contact = Classification.from_state((await state.get_data()).get("contact"))
    seen: ClassificationFields = (
        contact.fields() if contact else {"intent": None, "confidence": None, "category": None}
    )

    def logged(result: str, status: str | None = None) -> None:
        events.log_later(
            session,
            "order_lookup",
            clock.now(),
            customer_id=customer.id,
            number=number,
            result=result,
            status=status,
            **seen,
        )

    try:
        order = await orders.lookup(number)
    except OrderBackendError:
        logged("backend_down")
        say(
            message.answer(
                t("order-backend-down"), reply_markup=keyboards.operator_only(t, "failed_flow")
            )
        )
        return
    if order is None:
        logged("not_found")
        say(
            message.answer(
                t("order-not-found", number=number),
                reply_markup=keyboards.operator_only(t, "failed_flow"),
            )
        )
        return
    logged("found", status=order.status)
    say(message.answer(describe(t, order)))


async def start_order_flow(
    message: Message,
    say: Replies,
    parsed: dict[str, Any],
    session: AsyncSession,
    customer: Customer,
    t: Texts,
    orders: OrderBackend,
    clock: Clock,
    state: FSMContext,
) -> None:
    entity = next(
        (e for e in parsed.get("entities", []) if e.get("entity") == "order_number"), None
    )
    number = str(entity["value"]) if entity else find_order_number(message.text or "")
    if number:
        await look_up(message, say, number, session, customer, t, orders, clock, state)
        return
    await state.set_state(OrderFlow.number)
    await state.update_data(order_attempts=0)
    say(message.answer(t("order-ask-number")))


class AnswersTheQuestion(BaseFilter):
    """False when, asked for an order number, the customer clearly asks something else
    ("actually, how much is delivery?"): the message then goes on to the question router,
    which leaves the dialog and answers it."""

    async def __call__(self, message: Message, nlu: NLU, settings: Settings) -> bool:
        text = message.text or ""
        if find_order_number(text):
            return True
        parsed = await nlu.parse(text[:NLU_INPUT_LIMIT])
        other_intent = parsed["intent"]["name"] not in ("order_status", *NOT_AN_INTENT)
        return not (
            float(parsed["intent"]["confidence"]) >= settings.policy.confident and other_intent
        )


async def order_number_given(
    message: Message,
    say: Replies,
    session: AsyncSession,
    customer: Customer,
    t: Texts,
    orders: OrderBackend,
    clock: Clock,
    state: FSMContext,
) -> None:
    number = find_order_number(message.text or "")
    if number:
        await look_up(message, say, number, session, customer, t, orders, clock, state)
        return
    attempts = int((await state.get_data()).get("order_attempts", 0)) + 1
    if attempts >= MAX_ATTEMPTS:
        await state.set_state(None)
        await state.update_data(order_attempts=0)
        events.log_later(
            session, "order_lookup", clock.now(), customer_id=customer.id, result="no_number"
        )
        say(
            message.answer(
                t("kb-offer-operator"), reply_markup=keyboards.operator_only(t, "failed_flow")
            )
        )
        return
    await state.update_data(order_attempts=attempts)
    say(message.answer(t("order-bad-number")))


def build_router() -> Router:
    router = Router(name="customer.orders")
    router.message.register(order_number_given, OrderFlow.number, F.text, AnswersTheQuestion())
    return router
