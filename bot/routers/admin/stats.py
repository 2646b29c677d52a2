"""/stats [week]: the weekly report on demand (last week by default).

Unlike other handlers', these messages go straight to Telegram, not through the outbox: the
report (a workbook and charts, uploaded) is sent while the admin waits, and the note that it
is being prepared must come before it.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from common.clock import Clock
from stats.metrics import Week
from stats.report import WeeklyReporter


async def cmd_stats(
    message: Message, command: CommandObject, reporter: WeeklyReporter, clock: Clock
) -> None:
    label = (command.args or "").strip()
    t = await reporter.texts_for(message.chat.id)
    try:
        week = (
            Week.parse(label, reporter.zone)
            if label
            else Week.containing(clock.now(), reporter.zone).previous()
        )
    except ValueError:
        await message.answer(t("stats-bad-week", week=label))
        return
    await message.answer(t("stats-working", week=week.label))
    await reporter.send(message.chat.id, await reporter.export(week))


def build_router() -> Router:
    router = Router(name="admin.stats")
    router.message.register(cmd_stats, Command("stats"))
    return router
