"""Composition root: settings → storage, KB, texts, desk, dispatcher → long polling."""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from aiohttp import ClientError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.admins import AdminNotifier
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.delivery import DeliveryMiddleware
from bot.i18n import Translator
from bot.kbwatch import KBWatcher
from bot.middlewares.albums import AlbumMiddleware
from bot.middlewares.db import DbSessionMiddleware
from bot.middlewares.inflight import InFlight
from bot.middlewares.locks import ChatLockMiddleware
from bot.orders import CsvOrders, HttpOrders, OrderBackend
from bot.outbound import OutboundLogger
from bot.routers import build_root_router
from handoff.desk import Desk
from handoff.priority import Prioritiser
from handoff.sla import SlaWatcher
from kb.model import KBError
from kb.service import KnowledgeBaseService
from nlu.categories import Categorizer, KeywordRule, Path3
from nlu.rasa_client import RasaClient
from nlu.service import NLU
from stats.report import WeeklyReporter
from stats.settings import stats_config
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.sqlite import ensure_sqlite_dir

log = logging.getLogger("bot")
SHUTDOWN_GRACE = 10.0  # seconds to let in-flight updates finish on stop


class StartupError(Exception):
    """A problem that stops start-up, phrased for one line on stderr."""


@dataclass
class App:
    bot: Bot
    dispatcher: Dispatcher
    engine: AsyncEngine
    settings: Settings
    in_flight: InFlight
    nlu: NLU
    kb_watcher: KBWatcher
    orders: OrderBackend
    sla_watcher: SlaWatcher
    delivery: DeliveryMiddleware
    reporter: WeeklyReporter

    async def run_polling(self) -> None:
        background = []
        if self.settings.kb.reload_interval > 0:
            background.append(asyncio.create_task(self.kb_watcher.run()))
        if self.settings.sla.check_interval > 0:
            background.append(asyncio.create_task(self.sla_watcher.run()))
        if self.settings.stats.schedule_interval > 0:
            background.append(
                asyncio.create_task(self.reporter.run(self.settings.stats.schedule_interval))
            )
        try:
            await self.dispatcher.start_polling(
                self.bot,
                polling_timeout=self.settings.polling_timeout,
                allowed_updates=self.dispatcher.resolve_used_update_types(),
                handle_signals=True,
                close_bot_session=False,
            )
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)

    async def close(self) -> None:
        if not await self.in_flight.drained(SHUTDOWN_GRACE):
            log.warning("%s updates still running at shutdown", self.in_flight.count)
        await self.bot.session.close()
        await self.nlu.close()
        await self.orders.close()
        await self.engine.dispose()


def build_orders(settings: Settings) -> OrderBackend:
    if settings.orders.backend == "http":
        if not settings.orders.url:
            raise StartupError(
                "orders.url (env ORDERS__URL) is required when orders.backend is http"
            )
        return HttpOrders(settings.orders.url, settings.orders.timeout)
    return CsvOrders(settings.orders.csv_path)


def build_categorizer(
    settings: Settings, kb: KnowledgeBaseService, intents: set[str]
) -> Categorizer:
    config = settings.categories
    unknown = sorted(set(config.intents) - intents)
    if unknown:
        known = ", ".join(sorted(intents))
        raise StartupError(f"categories.intents: unknown intent {unknown[0]!r} (known: {known})")

    def article_category(intent: str) -> tuple[str, ...] | None:
        article = kb.index.kb.for_intent(intent, settings.staff_language)
        return article.category if article else None

    return Categorizer(
        rules=[KeywordRule(tuple(r.words), _path(r.category)) for r in config.rules],
        intents={intent: _path(path) for intent, path in config.intents.items()},
        default=_path(config.default),
        article_category=article_category,
    )


def _path(levels: list[str]) -> Path3:
    return (levels[0], levels[1], levels[2])


def build_bot(settings: Settings) -> Bot:
    session = AiohttpSession(
        api=TelegramAPIServer.from_base(settings.telegram_api_url),
        timeout=settings.request_timeout,
    )
    return Bot(token=settings.bot_token.get_secret_value(), session=session)


async def prepare_database(settings: Settings) -> AsyncEngine:
    try:
        ensure_sqlite_dir(settings.database_url)
    except OSError as exc:
        raise StartupError(
            f"database_url (env DATABASE_URL): cannot write {exc.filename}: {exc.strerror}"
        ) from exc
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
    except (SQLAlchemyError, OSError) as exc:
        await engine.dispose()
        reason = getattr(exc, "orig", None) or exc
        raise StartupError(f"database_url (env DATABASE_URL): {reason}") from exc
    return engine


async def build_app(settings: Settings, clock: Clock | None = None) -> App:
    """Build everything without touching the Bot API (tests start polling themselves)."""
    clock = clock or SystemClock()
    rasa = (
        RasaClient(settings.rasa_url, settings.rasa_timeout)
        if settings.nlu_backend == "rasa"
        else None
    )
    nlu = NLU.build(rasa=rasa)
    kb = KnowledgeBaseService(settings.kb_dir, set(nlu.engine.intents))
    try:
        kb.load()
    except KBError as exc:
        raise StartupError(f"knowledge base (env KB_DIR) has errors:\n{exc}") from exc
    engine = await prepare_database(settings)
    sessionmaker = make_sessionmaker(engine)
    translator = Translator()
    bot = build_bot(settings)
    # The logger wraps delivery, so a message retried after a 429 is logged once, when sent.
    bot.session.middleware(OutboundLogger(sessionmaker, clock))
    delivery = DeliveryMiddleware(
        max_attempts=settings.delivery.max_attempts,
        group_rate_per_minute=settings.delivery.group_rate_per_minute,
        group_burst=max(1.0, settings.delivery.group_rate_per_minute),
    )
    bot.session.middleware(delivery)
    desk = Desk(
        bot,
        staff_chat_id=settings.staff_chat_id,
        translator=translator,
        staff_language=settings.staff_language,
        history_messages=settings.handoff.history_messages,
        clock=clock,
        hours=settings.working_hours.build(),
        sign_replies=settings.handoff.sign_replies,
        prioritiser=Prioritiser(
            intents=settings.sla.intents,
            urgent_words=settings.sla.urgent_words,
            targets_minutes=dict(settings.sla.first_reply_minutes.items()),
        ),
    )
    orders = build_orders(settings)
    categorizer = build_categorizer(settings, kb, set(nlu.engine.intents))
    admin_notifier = AdminNotifier(
        bot, settings.admin_ids, translator.texts(settings.staff_language)
    )
    dispatcher = Dispatcher(
        settings=settings,
        clock=clock,
        kb=kb,
        nlu=nlu,
        desk=desk,
        translator=translator,
        orders=orders,
        categorizer=categorizer,
        admin_notifier=admin_notifier,
    )
    reporter = WeeklyReporter(
        bot,
        sessionmaker,
        clock,
        translator.texts(settings.staff_language),
        stats_config(settings.stats, settings.categories.default),
        admin_ids=settings.admin_ids,
        export_dir=settings.stats.export_dir,
        zone=ZoneInfo(settings.stats.timezone),
        weekly_day=settings.stats.weekly_day,
        weekly_time=settings.stats.weekly_time,
    )
    dispatcher["reporter"] = reporter
    in_flight = InFlight()
    dispatcher.update.outer_middleware(in_flight)
    dispatcher.update.outer_middleware(AlbumMiddleware(settings.handoff.album_window))
    dispatcher.update.outer_middleware(ChatLockMiddleware())
    dispatcher.update.outer_middleware(DbSessionMiddleware(sessionmaker))
    dispatcher.include_router(build_root_router(settings, translator, clock))
    return App(
        bot=bot,
        dispatcher=dispatcher,
        engine=engine,
        settings=settings,
        in_flight=in_flight,
        nlu=nlu,
        kb_watcher=KBWatcher(kb, admin_notifier, settings.kb.reload_interval),
        orders=orders,
        sla_watcher=SlaWatcher(
            sessionmaker,
            desk,
            admin_notifier,
            clock,
            warn_before=timedelta(minutes=settings.sla.warn_before_minutes),
            interval=settings.sla.check_interval,
        ),
        delivery=delivery,
        reporter=reporter,
    )


async def announce(app: App, translator: Translator) -> None:
    """Check the token and register the command menu in both languages."""
    bot = app.bot
    try:
        me = await bot.get_me()
        await bot.delete_webhook(drop_pending_updates=False)
        for language in ("ru", "en"):
            t = translator.texts(language)
            await bot.set_my_commands(
                [
                    BotCommand(command="start", description=t("cmd-start")),
                    BotCommand(command="operator", description=t("cmd-operator")),
                    BotCommand(command="language", description=t("cmd-language")),
                ],
                scope=BotCommandScopeAllPrivateChats(),
                language_code=language if language != app.settings.default_language else None,
            )
        await register_admin_commands(app, translator)
    except TelegramUnauthorizedError as exc:
        raise StartupError(
            f"bot_token (env BOT_TOKEN) was rejected by {app.settings.telegram_api_url}"
        ) from exc
    except (TelegramAPIError, ClientError, TimeoutError, OSError) as exc:
        raise StartupError(
            f"telegram_api_url (env TELEGRAM_API_URL): cannot reach the Bot API at "
            f"{app.settings.telegram_api_url}: {type(exc).__name__}"
        ) from exc
    log.info(
        "started as @%s (id %s), staff chat %s", me.username, me.id, app.settings.staff_chat_id
    )


async def register_admin_commands(app: App, translator: Translator) -> None:
    """Admins see /reload and /stats in their menu (in the staff language)."""
    t = translator.texts(app.settings.staff_language)
    commands = [
        BotCommand(command="start", description=t("cmd-start")),
        BotCommand(command="stats", description=t("cmd-stats")),
        BotCommand(command="reload", description=t("cmd-reload")),
        BotCommand(command="language", description=t("cmd-language")),
    ]
    for admin in app.settings.admin_ids:
        try:
            await app.bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=admin))
        except TelegramAPIError as exc:  # an admin who never opened the bot: no chat yet
            log.warning("admin %s has no chat with the bot yet: %s", admin, type(exc).__name__)


async def run(settings: Settings) -> None:
    app = await build_app(settings)
    try:
        await announce(app, Translator())
        await app.run_polling()
    finally:
        await app.close()


def main(settings: Settings) -> int:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        asyncio.run(run(settings))
    except StartupError as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0
