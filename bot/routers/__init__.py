"""Router factory: customer features in private chats, operator features in the staff group.

Routers are built per Dispatcher (never module globals) so that tests can build many bots.
"""

from datetime import timedelta

from aiogram import F, Router

from bot.config import Settings
from bot.middlewares.card_place import CardPlaceMiddleware
from bot.middlewares.customer import CustomerContextMiddleware
from bot.middlewares.staff import StaffContextMiddleware
from bot.middlewares.staff_member import StaffMemberMiddleware
from bot.routers import errors, unhandled
from bot.routers.admin import reload, stats
from bot.routers.customer import (
    callback,
    cancel,
    fallback,
    feedback,
    handoff,
    language,
    orders,
    question,
    rating,
    relay,
    start,
)
from bot.routers.operator import (
    card,
    close,
    commands,
    membership,
    reply,
    transfer,
    unknown_topic,
)
from common.clock import Clock
from common.i18n import Translator


def build_root_router(settings: Settings, translator: Translator, clock: Clock) -> Router:
    customer = Router(name="customer")
    customer.message.filter(F.chat.type == "private")
    customer.edited_message.filter(F.chat.type == "private")
    customer.callback_query.filter(F.message.chat.type == "private")
    context = CustomerContextMiddleware(
        clock,
        translator,
        settings.default_language,
        timedelta(minutes=settings.stats.session_gap_minutes),
    )
    customer.message.middleware(context)
    customer.callback_query.middleware(context)
    customer.include_routers(
        start.build_router(),
        language.build_router(),
        cancel.build_router(),
        rating.build_router(),
        feedback.build_router(),
        handoff.build_router(settings.handoff.operator_keywords),
        orders.build_router(),  # dialog steps come before free-text handling
        callback.build_router(),
        relay.build_router(),
        question.build_router(),
        fallback.build_router(),  # catch-all, last
    )

    operator = Router(name="operator")
    groups = settings.routing().chat_ids
    operator.message.filter(F.chat.id.in_(groups))
    operator.edited_message.filter(F.chat.id.in_(groups))
    operator.callback_query.filter(F.message.chat.id.in_(groups))
    members = StaffMemberMiddleware(translator.texts(settings.staff_language))
    for observer in (operator.message, operator.edited_message, operator.callback_query):
        observer.middleware(members)
    operator.callback_query.middleware(CardPlaceMiddleware())
    operator.message.middleware(StaffContextMiddleware(clock))
    operator.include_routers(
        membership.build_router(groups, members),
        close.build_router(),
        card.build_router(),
        commands.build_router(),
        transfer.build_router(),
        reply.build_router(),
        unknown_topic.build_router(),
        callback.build_staff_router(),
    )

    # Admin commands come first; anything else an admin writes goes on to the customer routers.
    admin = Router(name="admin")
    admin.message.filter(F.chat.type == "private", F.from_user.id.in_(set(settings.admin_ids)))
    admin.include_routers(reload.build_router(), stats.build_router())

    root = Router(name="root")
    root.include_routers(
        admin,
        customer,
        operator,
        unhandled.build_router(),  # after every feature: what none of them took
        errors.build_router(translator, settings.default_language),
    )
    return root
