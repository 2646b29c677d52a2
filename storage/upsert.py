"""INSERT … ON CONFLICT DO NOTHING on SQLite and Postgres alike.

Idempotent writes on the hot path (the message log, the update journal) are single statements
this way, instead of a savepoint around an ORM flush that catches the IntegrityError.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


def row_values(obj: DeclarativeBase) -> dict[str, Any]:
    """A transient ORM object's set columns (unset ones keep their defaults)."""
    table = obj.__table__
    assert isinstance(table, Table)
    return {
        column.key: value
        for column in table.columns
        if (value := getattr(obj, column.key, None)) is not None
    }


async def insert_or_ignore(session: AsyncSession, table: Table, values: dict[str, Any]) -> bool:
    """Insert one row unless it collides with a unique key; True when it was inserted."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = await session.execute(insert(table).values(values).on_conflict_do_nothing())
    return bool(getattr(result, "rowcount", 0))
