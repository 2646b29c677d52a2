"""Callback requests: name → phone (shared contact or typed, validated) → time window → a card
for operators in the staff group."""

from __future__ import annotations

import html

import phonenumbers
from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.methods import SendMessage
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.replies import Replies
from bot.states import CallbackFlow
from common.callbacks import CallbackDone, PickWindow
from common.clock import Clock
from common.i18n import Texts
from handoff.desk import Desk
from storage import events
from storage.models import Customer

NAME_LIMIT = 100


def normalise_phone(raw: str, region: str) -> str | None:
    """E.164 form of a valid number, or None."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


async def start_callback_flow(
    message: Message, say: Replies, customer: Customer, t: Texts, state: FSMContext
) -> None:
    await state.set_state(CallbackFlow.name)
    keyboard = None
    if customer.first_name:
        keyboard = ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text=customer.first_name[:NAME_LIMIT])]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    say(message.answer(t("callback-ask-name"), reply_markup=keyboard))


async def callback_name(message: Message, say: Replies, t: Texts, state: FSMContext) -> None:
    await state.update_data(callback_name=(message.text or "").strip()[:NAME_LIMIT])
    await state.set_state(CallbackFlow.phone)
    keyboard = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=t("callback-share-phone"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    say(message.answer(t("callback-ask-phone"), reply_markup=keyboard))


async def callback_phone(
    message: Message, say: Replies, t: Texts, state: FSMContext, settings: Settings
) -> None:
    raw = message.contact.phone_number if message.contact else (message.text or "")
    if message.contact and not raw.startswith("+"):
        raw = "+" + raw  # Telegram sends shared numbers without the plus
    phone = normalise_phone(raw, settings.callback.default_region)
    if phone is None:
        say(message.answer(t("callback-bad-phone")))
        return
    await state.update_data(callback_phone=phone)
    await state.set_state(CallbackFlow.window)
    # Says what was understood, and takes the share-number keyboard away: one message can
    # carry either that keyboard's removal or the inline window buttons, not both.
    say(message.answer(t("callback-phone-noted", phone=phone), reply_markup=ReplyKeyboardRemove()))
    rows = [
        [InlineKeyboardButton(text=window, callback_data=PickWindow(index=i).pack())]
        for i, window in enumerate(settings.callback.windows)
    ]
    say(
        message.answer(
            t("callback-ask-window"), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
        )
    )


async def callback_window(
    query: CallbackQuery,
    say: Replies,
    callback_data: PickWindow,
    session: AsyncSession,
    customer: Customer,
    t: Texts,
    state: FSMContext,
    settings: Settings,
    desk: Desk,
    bot: Bot,
    clock: Clock,
) -> None:
    await query.answer()
    windows = settings.callback.windows
    if not 0 <= callback_data.index < len(windows) or not isinstance(query.message, Message):
        return
    window = windows[callback_data.index]
    data = await state.get_data()
    name, phone = str(data.get("callback_name", "")), str(data.get("callback_phone", ""))
    await state.set_state(None)
    event = events.log(
        session,
        "callback_requested",
        clock.now(),
        customer_id=customer.id,
        name=name,
        phone=phone,
        window=window,
    )
    await session.commit()
    say(query.message.edit_text(t("callback-confirmed", phone=phone, window=window)))
    staff = desk.staff
    card = staff(
        "staff-callback-card",
        name=html.escape(name, quote=False),
        phone=phone,
        window=window,
        user_id=customer.telegram_id,
        username=f"@{customer.username}" if customer.username else "",
    )
    done = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=staff("staff-callback-done-button"),
                    callback_data=CallbackDone(event=event.id).pack(),
                )
            ]
        ]
    )
    say(SendMessage(chat_id=desk.staff_chat_id, text=card, parse_mode="HTML", reply_markup=done))


async def callback_done(
    query: CallbackQuery,
    say: Replies,
    desk: Desk,
    session: AsyncSession,
    clock: Clock,
    callback_data: CallbackDone,
) -> None:
    """An operator marks a callback as done (staff group only)."""
    await query.answer()
    if not isinstance(query.message, Message):
        return
    events.log(
        session,
        "callback_done",
        clock.now(),
        operator_id=query.from_user.id,
        request=callback_data.event,
    )
    await session.commit()
    text = (
        query.message.html_text
        + "\n\n"
        + desk.staff("staff-callback-done", operator=html.escape(query.from_user.full_name))
    )
    say(query.message.edit_text(text, parse_mode="HTML", reply_markup=None))


def build_router() -> Router:
    router = Router(name="customer.callback")
    router.message.register(callback_name, CallbackFlow.name, F.text)
    router.message.register(callback_phone, CallbackFlow.phone, F.text | F.contact)
    router.callback_query.register(callback_window, CallbackFlow.window, PickWindow.filter())
    return router


def build_staff_router() -> Router:
    router = Router(name="operator.callback")
    router.callback_query.register(callback_done, CallbackDone.filter())
    return router
