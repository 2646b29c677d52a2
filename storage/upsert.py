"""INSERT … ON CONFLICT DO NOTHING on SQLite and Postgres alike.

Idempotent writes on the hot path (the message log, the update journal) are single statements
this way, instead of a savepoint around an ORM flush that catches the IntegrityError.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
from sqlalchemy.dialects.sqlite import Insert as SQLiteInsert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


def table_of(model: type[DeclarativeBase]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


async def insert_or_ignore(session: AsyncSession, table: Table, values: dict[str, Any]) -> bool:
    """Insert one row unless it collides with a unique key; True when it was inserted."""
    statement = insert_or_ignore_statement(session.get_bind().dialect.name, table)
    result = await session.execute(statement, values)
    return bool(getattr(result, "rowcount", 0))


_STATEMENTS: dict[tuple[str, str], PostgresInsert | SQLiteInsert] = {}


def insert_or_ignore_statement(dialect: str, table: Table) -> PostgresInsert | SQLiteInsert:
    """Built once per table: the values come as parameters, so SQLAlchemy's compiled form is
    cached instead of a new statement built and keyed on every call."""
    statement = _STATEMENTS.get((dialect, table.name))
    if statement is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = _STATEMENTS[(dialect, table.name)] = insert(table).on_conflict_do_nothing()
    return statement
