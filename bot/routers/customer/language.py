"""/language: the customer picks Russian or English; the choice sticks."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.replies import Replies
from common.callbacks import PickLanguage
from common.i18n import LANGUAGES, Texts, Translator
from storage.models import Customer

NAMES = {"ru": "🇷🇺 Русский", "en": "🇬🇧 English"}


def language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=NAMES[code], callback_data=PickLanguage(code=code).pack())
                for code in LANGUAGES
            ]
        ]
    )


async def cmd_language(
    message: Message,
    say: Replies,
    command: CommandObject,
    session: AsyncSession,
    customer: Customer,
    t: Texts,
    translator: Translator,
) -> None:
    wanted = (command.args or "").strip().lower()[:2]
    if wanted in LANGUAGES:
        customer.language = wanted
        await session.commit()
        say(message.answer(translator.texts(wanted)("language-set")))
        return
    say(message.answer(t("language-ask"), reply_markup=language_keyboard()))


async def language_picked(
    query: CallbackQuery,
    say: Replies,
    callback_data: PickLanguage,
    session: AsyncSession,
    customer: Customer,
    translator: Translator,
) -> None:
    if callback_data.code not in LANGUAGES:
        await query.answer()
        return
    customer.language = callback_data.code
    await session.commit()
    t = translator.texts(customer.language)
    await query.answer()
    if isinstance(query.message, Message):
        say(query.message.edit_text(t("language-set")))


def build_router() -> Router:
    router = Router(name="customer.language")
    router.message.register(cmd_language, Command("language"))
    router.callback_query.register(language_picked, PickLanguage.filter())
    return router
