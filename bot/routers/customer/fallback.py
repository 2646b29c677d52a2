"""Anything else from a customer (stickers, voice, photos with no open ticket)."""

from aiogram import Router
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.replies import Replies
from common.clock import Clock
from common.content import content_type
from common.i18n import Texts
from storage import events
from storage.models import Customer


async def unsupported_content(
    message: Message,
    say: Replies,
    session: AsyncSession,
    customer: Customer,
    t: Texts,
    clock: Clock,
) -> None:
    events.log(
        session,
        "unsupported_content",
        clock.now(),
        customer_id=customer.id,
        content_type=content_type(message),
    )
    await session.commit()
    say(
        message.answer(
            t("content-unsupported"), reply_markup=keyboards.operator_only(t, "asked_for_operator")
        )
    )


def build_router() -> Router:
    router = Router(name="customer.fallback")
    router.message.register(unsupported_content)
    return router
