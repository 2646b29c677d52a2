"""Last line of defence: one failing update never stops the bot or leaks an error."""

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent

from bot.quarantine import Quarantine
from common.i18n import Translator, pick_language
from storage.outage import is_outage

log = logging.getLogger(__name__)


def build_router(translator: Translator, default_language: str) -> Router:
    router = Router(name="errors")

    def not_an_outage(event: ErrorEvent) -> bool:
        # An update that met a database outage is not handled here: unhandled, the error goes
        # on to the update loop, which keeps the update from Telegram and runs it again later.
        # Nobody is told anything meanwhile, least of all that their message was saved.
        return not is_outage(event.exception)

    @router.errors(not_an_outage)
    async def on_error(event: ErrorEvent, bot: Bot, quarantine: Quarantine) -> None:
        # Ids and the exception's type and message; database errors carry no parameters
        # (hide_parameters), Bot API errors no customer text.
        log.error(
            "update %s failed: %s",
            event.update.update_id,
            type(event.exception).__name__,
            exc_info=event.exception,
        )
        # Kept aside for a replay once the cause is fixed; the admins are told once.
        raw = event.update.model_dump(mode="json", exclude_none=True, exclude_unset=True)
        try:
            await quarantine.keep(event.update.update_id, raw, type(event.exception).__name__)
        except Exception as exc:  # the customer must still be told below
            log.error("update %s not quarantined: %s", event.update.update_id, type(exc).__name__)
        query = event.update.callback_query
        if query is not None:
            try:
                await query.answer()  # a failed button press must not spin forever
            except TelegramAPIError:
                log.info("could not answer the callback of update %s", event.update.update_id)
            return
        message = event.update.message
        if message is None or message.chat.type != "private" or message.from_user is None:
            return
        t = translator.texts(pick_language(message.from_user.language_code, default_language))
        try:
            await bot.send_message(message.chat.id, t("error-generic"))
        except TelegramAPIError:
            log.warning("could not tell chat %s about the failure", message.chat.id)

    return router
