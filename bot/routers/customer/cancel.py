"""/cancel leaves any dialog at any step."""

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReplyKeyboardRemove

from bot.replies import Replies
from common.i18n import Texts


async def cmd_cancel(message: Message, say: Replies, t: Texts, state: FSMContext) -> None:
    if await state.get_state() is None:
        say(message.answer(t("cancel-nothing"), reply_markup=ReplyKeyboardRemove()))
        return
    await state.set_state(None)
    say(message.answer(t("cancel-done"), reply_markup=ReplyKeyboardRemove()))


def build_router() -> Router:
    router = Router(name="customer.cancel")
    router.message.register(cmd_cancel, Command("cancel"))
    return router
