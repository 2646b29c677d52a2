"""Throwaway databases on a real PostgreSQL server, for the tests and bench/load.py.

`server` is a SQLAlchemy URL without a database, as `scripts/test-services start` prints it:
postgresql+asyncpg://postgres@127.0.0.1:5433
"""

from __future__ import annotations

import uuid

import asyncpg


def _admin_dsn(server: str) -> str:
    return server.replace("postgresql+asyncpg://", "postgresql://") + "/postgres"


async def create_database(server: str, prefix: str = "t") -> str:
    """A new empty database; its SQLAlchemy URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_admin_dsn(server))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return f"{server}/{name}"


async def drop_database(url: str) -> None:
    server, name = url.rsplit("/", 1)
    admin = await asyncpg.connect(_admin_dsn(server))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
