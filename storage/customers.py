"""Customer queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from storage.models import Customer, Ticket, TicketStatus

SEEN_PRECISION = timedelta(minutes=1)  # last_seen_at is kept to the minute


@dataclass(frozen=True, slots=True)
class Profile:
    """What Telegram tells us about a user, independent of aiogram's types."""

    telegram_id: int
    first_name: str
    last_name: str | None
    username: str | None
    language: str


# Hot-path statements are built once: building one and computing its cache key cost more
# than running it on SQLite.
_BY_TELEGRAM_ID = select(Customer).where(Customer.telegram_id == bindparam("telegram_id"))


async def get_by_telegram_id(session: AsyncSession, telegram_id: int) -> Customer | None:
    return await session.scalar(_BY_TELEGRAM_ID, {"telegram_id": telegram_id})


async def get(session: AsyncSession, customer_id: int) -> Customer | None:
    return await session.get(Customer, customer_id)


class _Unknown:
    pass


UNKNOWN = _Unknown()


async def upsert(
    session: AsyncSession,
    profile: Profile,
    now: datetime,
    existing: Customer | _Unknown | None = UNKNOWN,
) -> Customer:
    """Create the customer on first contact; refresh the profile on later ones.

    The language is only taken on creation: the customer may switch it later. `existing`:
    the customer's row as already read in this session (None: there is none), if it was.
    """
    customer = (
        await get_by_telegram_id(session, profile.telegram_id)
        if isinstance(existing, _Unknown)
        else existing
    )
    if customer is None:
        customer = Customer(
            telegram_id=profile.telegram_id,
            first_name=profile.first_name,
            last_name=profile.last_name,
            username=profile.username,
            language=profile.language,
            created_at=now,
            last_seen_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(customer)
        except IntegrityError:
            # Another replica created it between our select and insert.
            customer = await get_by_telegram_id(session, profile.telegram_id)
            assert customer is not None
        return customer
    unchanged = (
        customer.first_name == profile.first_name
        and customer.last_name == profile.last_name
        and customer.username == profile.username
        and not customer.is_blocked
    )
    if unchanged and now - customer.last_seen_at < SEEN_PRECISION:
        return customer  # an UPDATE per message would cost more than the minute is worth
    customer.first_name = profile.first_name
    customer.last_name = profile.last_name
    customer.username = profile.username
    customer.last_seen_at = now
    customer.is_blocked = False
    return customer


_WITH_OPEN_TICKET = (
    select(Customer, Ticket)
    .outerjoin(Ticket, (Ticket.customer_id == Customer.id) & (Ticket.status != TicketStatus.CLOSED))
    .where(Customer.telegram_id == bindparam("telegram_id"))
    # The ticket's customer is the row already selected, not another join.
    .options(contains_eager(Ticket.customer))
    .limit(1)
)


async def with_open_ticket(
    session: AsyncSession, telegram_id: int
) -> tuple[Customer | None, Ticket | None]:
    """The customer with this Telegram id and their open ticket, in one query."""
    row = (await session.execute(_WITH_OPEN_TICKET, {"telegram_id": telegram_id})).first()
    return (row[0], row[1]) if row is not None else (None, None)
