"""Messages to the admins (KB problems, alerts, weekly statistics), each in the admin's own
language: the one they chose or their Telegram's, as the bot knows it from their private chat
(the staff language for an admin who never wrote to the bot)."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.i18n import Texts, Translator
from kb.model import Problem
from kb.service import ReloadResult
from storage import customers

log = logging.getLogger(__name__)
REPORT_LIMIT = 3500  # Telegram allows 4096; leave room for the header and tags


class AdminNotifier:
    def __init__(
        self,
        bot: Bot,
        admin_ids: Sequence[int],
        translator: Translator,
        staff_language: str,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        self.bot = bot
        self.admin_ids = list(admin_ids)
        self.translator = translator
        self.staff_language = staff_language
        self.sessionmaker = sessionmaker
        self.t = translator.texts(staff_language)  # for the staff group's side of an alert

    async def texts_for(self, admin_id: int) -> Texts:
        try:
            async with self.sessionmaker() as session:
                row = await customers.get_by_telegram_id(session, admin_id)
        except SQLAlchemyError as exc:  # an alert must still go out, in the staff language
            log.warning("language of admin %s unknown: %s", admin_id, type(exc).__name__)
            row = None
        return self.translator.texts(row.language if row is not None else self.staff_language)

    async def notify(self, render: Callable[[Texts], str]) -> int:
        """Send `render(texts)` to every admin in their language (skipping any who never
        started the bot); return how many got it."""
        sent = 0
        for admin_id in self.admin_ids:
            try:
                html_text = render(await self.texts_for(admin_id))
                await self.bot.send_message(admin_id, html_text, parse_mode="HTML")
                sent += 1
            except TelegramAPIError as exc:
                log.warning("cannot notify admin %s: %s", admin_id, type(exc).__name__)
        return sent


def _report(problems: Sequence[Problem], kb_dir: str) -> str:
    """`file:line: message` lines, paths relative to the KB, escaped, cut to fit a message."""
    report = "\n".join(str(p).replace(kb_dir.rstrip("/") + "/", "", 1) for p in problems)
    if len(report) > REPORT_LIMIT:
        report = report[:REPORT_LIMIT] + "\n…"
    return html.escape(report, quote=False)


def describe_reload(t: Texts, result: ReloadResult, kb_dir: str) -> str:
    counts = ", ".join(f"{lang} {n}" for lang, n in sorted(result.articles.items())) or "0"
    if result.ok:
        reloaded = t("admin-kb-reloaded", counts=counts)
        if not result.warnings:
            return reloaded
        warnings = _report(result.warnings, kb_dir)
        return (
            reloaded + "\n" + t("admin-kb-warnings", count=len(result.warnings), warnings=warnings)
        )
    assert result.error is not None
    lines = result.error.problems
    report = _report(lines, kb_dir)
    return t(
        "admin-kb-broken",
        count=len(lines),
        problems=report,
        counts=counts,
    )
