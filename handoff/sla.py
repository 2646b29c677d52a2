"""First-reply SLA: a warning in the ticket's topic before the target, an alert to the topic
and the admins when it is missed (and, with `escalate_to`, the ticket moves to that group).
Driven by the injected clock, so tests move time by hand."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.clock import Clock
from common.i18n import Texts
from handoff.desk import Desk
from storage import events, tickets


class Notifier(Protocol):
    """Tells the admins, each in their language (bot.admins.AdminNotifier)."""

    async def notify(self, render: Callable[[Texts], str]) -> int: ...


log = logging.getLogger(__name__)


class SlaWatcher:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        desk: Desk,
        notifier: Notifier,
        clock: Clock,
        *,
        warn_before: timedelta,
        interval: float,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.desk = desk
        self.notifier = notifier
        self.clock = clock
        self.warn_before = warn_before
        self.interval = interval

    async def check(self) -> tuple[int, int]:
        """One pass over tickets still waiting for a first reply: (warnings, breaches) sent."""
        warned = breached = 0
        now = self.clock.now()
        staff = self.desk.staff
        zone = self.desk.hours.timezone
        async with self.sessionmaker() as session:
            for ticket in await tickets.awaiting_first_reply(session):
                assert ticket.sla_due_at is not None
                due = ticket.sla_due_at.astimezone(zone).strftime("%d.%m %H:%M")
                if now >= ticket.sla_due_at:
                    if not await tickets.claim_sla_flag(session, ticket, breach=True):
                        continue  # another replica got there first
                    events.ticket_event(
                        session,
                        "sla_breach",
                        now,
                        ticket,
                        priority=ticket.priority,
                    )
                    await self.desk.say(
                        session, ticket, staff("staff-sla-breached", ticket=ticket.id, due=due)
                    )
                    target = self.desk.routing.escalate_to
                    if target is not None and self.desk.group_of(ticket) != target:
                        await self.desk.transfer(
                            session, ticket, target, None, staff("staff-sla-escalated", due=due)
                        )
                    await session.commit()
                    await self.notifier.notify(
                        partial(_breach_notice, ticket=ticket.id, due=due, priority=ticket.priority)
                    )
                    breached += 1
                elif not ticket.sla_warned and now >= ticket.sla_due_at - self.warn_before:
                    if not await tickets.claim_sla_flag(session, ticket, breach=False):
                        continue
                    events.ticket_event(
                        session,
                        "sla_warning",
                        now,
                        ticket,
                    )
                    left = max(1, round((ticket.sla_due_at - now).total_seconds() / 60))
                    await self.desk.say(
                        session, ticket, staff("staff-sla-warning", ticket=ticket.id, minutes=left)
                    )
                    await session.commit()
                    warned += 1
        return warned, breached

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:  # the watcher must outlive any one failure
                log.exception("SLA check failed; retrying")


def _breach_notice(t: Texts, *, ticket: int, due: str, priority: str) -> str:
    return t("admin-sla-breached", ticket=ticket, due=due, priority=t(f"staff-priority-{priority}"))
