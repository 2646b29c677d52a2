"""Callbacks no handler took — forged, stale, or from a keyboard an older version sent — are
answered, so the button stops spinning; nothing else happens."""

import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery

log = logging.getLogger(__name__)


async def unknown_callback(query: CallbackQuery) -> None:
    log.info("callback from %s matched no handler", query.from_user.id)
    try:
        await query.answer()
    except TelegramAPIError as exc:  # too old to answer (Telegram allows about 15 minutes)
        log.info("could not answer callback of %s: %s", query.from_user.id, type(exc).__name__)


def build_router() -> Router:
    router = Router(name="unhandled")
    router.callback_query.register(unknown_callback)
    return router
