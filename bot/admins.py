"""Messages to the admins (KB problems, alerts, weekly statistics), in the staff language."""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from bot.i18n import Texts
from kb.service import ReloadResult

log = logging.getLogger(__name__)
REPORT_LIMIT = 3500  # Telegram allows 4096; leave room for the header and tags


class AdminNotifier:
    def __init__(self, bot: Bot, admin_ids: Sequence[int], texts: Texts) -> None:
        self.bot = bot
        self.admin_ids = list(admin_ids)
        self.t = texts

    async def notify(self, html_text: str) -> int:
        """Send to every admin (skipping any who never started the bot); return how many got it."""
        sent = 0
        for admin_id in self.admin_ids:
            try:
                await self.bot.send_message(admin_id, html_text, parse_mode="HTML")
                sent += 1
            except TelegramAPIError as exc:
                log.warning("cannot notify admin %s: %s", admin_id, type(exc).__name__)
        return sent


def describe_reload(t: Texts, result: ReloadResult, kb_dir: str) -> str:
    counts = ", ".join(f"{lang} {n}" for lang, n in sorted(result.articles.items())) or "0"
    if result.ok:
        return t("admin-kb-reloaded", counts=counts)
    assert result.error is not None
    lines = [str(p).replace(kb_dir.rstrip("/") + "/", "", 1) for p in result.error.problems]
    report = "\n".join(lines)
    if len(report) > REPORT_LIMIT:
        report = report[:REPORT_LIMIT] + "\n…"
    return t(
        "admin-kb-broken",
        count=len(lines),
        problems=html.escape(report, quote=False),
        counts=counts,
    )
