"""Customer queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Customer


@dataclass(frozen=True, slots=True)
class Profile:
    """What Telegram tells us about a user, independent of aiogram's types."""

    telegram_id: int
    first_name: str
    last_name: str | None
    username: str | None
    language: str


async def get_by_telegram_id(session: AsyncSession, telegram_id: int) -> Customer | None:
    return await session.scalar(select(Customer).where(Customer.telegram_id == telegram_id))


async def get(session: AsyncSession, customer_id: int) -> Customer | None:
    return await session.get(Customer, customer_id)


async def upsert(session: AsyncSession, profile: Profile, now: datetime) -> Customer:
    """Create the customer on first contact; refresh the profile on later ones.

    The language is only taken on creation: the customer may switch it later.
    """
    customer = await get_by_telegram_id(session, profile.telegram_id)
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
    customer.first_name = profile.first_name
    customer.last_name = profile.last_name
    customer.username = profile.username
    customer.last_seen_at = now
    customer.is_blocked = False
    return customer
