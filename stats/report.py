"""The weekly report in Telegram: a summary message, the XLSX workbook and the charts, posted
to the admins every week at the configured time, and on demand with /stats."""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, time, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import FSInputFile, InputMediaPhoto
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.clock import Clock
from common.i18n import Texts
from stats.export import Export, export_week
from stats.metrics import StatsConfig, Week
from storage import events
from storage.models import Event

log = logging.getLogger(__name__)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _num(value: Any) -> str:
    return "—" if value is None else f"{value:g}"


def summary_text(t: Texts, s: dict[str, Any]) -> str:
    lines = [
        t(
            "stats-summary",
            week=s["week"],
            contacts=s["contacts"]["total"],
            customers=s["contacts"]["unique_customers"],
            containment=_pct(s["containment"]["containment_rate"]),
            escalation=_pct(s["containment"]["escalation_rate"]),
            frt_p50=_num(s["first_reply_minutes"]["p50"]),
            frt_p90=_num(s["first_reply_minutes"]["p90"]),
            res_p50=_num(s["resolution_hours"]["p50"]),
            res_p90=_num(s["resolution_hours"]["p90"]),
            fcr=_pct(s["fcr"]["rate"]),
            repeat=_pct(s["repeat_7d"]["rate"]),
            csat=_num(s["csat"]["average"]),
            csat_count=s["csat"]["count"],
            sla=_pct(s["sla"]["breach_rate"]),
            cost=f"{s['cost']['total']:g} {s['cost']['currency']}",
        )
    ]
    if s["top_reasons"]:
        lines += ["", t("stats-top")]
        lines += [
            f"{i}. {html.escape(r['category'])} — {r['contacts']}"
            for i, r in enumerate(s["top_reasons"], start=1)
        ]
    if len(s["lines"]) > 1:
        lines += ["", t("stats-lines", transfers=s["transfers"])]
        lines += [
            t(
                "stats-line",
                group=html.escape(r["group"]),
                tickets=r["tickets_opened"],
                frt_p50=_num(r["first_reply_p50_minutes"]),
                sla=r["sla_breached"],
            )
            for r in s["lines"]
        ]
    if s["alerts"]:
        lines += ["", t("stats-alerts"), *(f"• {html.escape(a)}" for a in s["alerts"])]
    return "\n".join(lines)


class WeeklyReporter:
    def __init__(
        self,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        texts_for: Callable[[int], Awaitable[Texts]],
        config: StatsConfig,
        *,
        admin_ids: Sequence[int],
        export_dir: Any,
        zone: Any,
        weekly_day: str,
        weekly_time: str,
    ) -> None:
        self.bot = bot
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.texts_for = texts_for  # each admin reads the report in their own language
        self.config = config
        self.admin_ids = list(admin_ids)
        self.export_dir = export_dir
        self.zone = zone
        self.weekday = DAYS.index(weekly_day)
        self.at = time.fromisoformat(weekly_time)

    async def export(self, week: Week) -> Export:
        async with self.sessionmaker() as session:
            return await export_week(session, week, self.export_dir, self.config, self.clock.now())

    async def send(self, chat_id: int, export: Export) -> None:
        t = await self.texts_for(chat_id)
        await self.bot.send_message(chat_id, summary_text(t, export.summary), parse_mode="HTML")
        await self.bot.send_document(chat_id, FSInputFile(export.workbook))
        charts: list[Any] = [InputMediaPhoto(media=FSInputFile(p)) for p in export.charts]
        if len(charts) >= 2:
            await self.bot.send_media_group(chat_id, charts)

    def due_week(self, now: datetime) -> Week | None:
        """The week to report once this week's posting moment has passed."""
        current = Week.containing(now, self.zone)
        moment = datetime.combine(
            current.start.date() + timedelta(days=self.weekday), self.at, self.zone
        )
        return current.previous() if now >= moment else None

    async def check(self) -> Week | None:
        """Post last week's report if it is time and it was not posted yet; the week posted."""
        week = self.due_week(self.clock.now())
        if week is None or not self.admin_ids:
            return None
        async with self.sessionmaker() as session:
            done = await session.scalar(
                select(Event.id).where(
                    Event.type == "weekly_report", Event.data["week"].as_string() == week.label
                )
            )
            if done is not None:
                return None
        export = await self.export(week)
        sent = 0
        for admin in self.admin_ids:
            try:
                await self.send(admin, export)
                sent += 1
            except TelegramAPIError as exc:
                log.warning("weekly report not delivered to %s: %s", admin, type(exc).__name__)
        async with self.sessionmaker() as session:
            events.log(session, "weekly_report", self.clock.now(), week=week.label, sent=sent)
            await session.commit()
        return week

    async def run(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.check()
            except Exception:  # the schedule must outlive any one failure
                log.exception("weekly report failed; retrying")
