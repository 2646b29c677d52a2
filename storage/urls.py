"""Database URLs: the async drivers Frontline runs on, and the usual spellings mapped onto them."""

from __future__ import annotations

import importlib.util

SUPPORTED_DATABASES = (
    "sqlite+aiosqlite:///path/to/file.db or postgresql+asyncpg://user:password@host:5432/db"
)


def normalise_database_url(value: str) -> str:
    """Accept the async drivers we run on; map the usual sync spellings onto them."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError(f"not a database URL; use {SUPPORTED_DATABASES}") from None
    driver = url.drivername
    if driver in ("sqlite", "sqlite+pysqlite"):
        url = url.set(drivername="sqlite+aiosqlite")
    elif driver in ("postgres", "postgresql", "postgresql+psycopg2", "postgresql+psycopg"):
        url = url.set(drivername="postgresql+asyncpg")
    elif driver not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        raise ValueError(f"unsupported database {driver!r}; use {SUPPORTED_DATABASES}")
    if url.drivername == "postgresql+asyncpg" and importlib.util.find_spec("asyncpg") is None:
        raise ValueError(
            "PostgreSQL needs the asyncpg driver: install the postgres extra "
            "(pip install '.[postgres]' in a checkout, or pip install asyncpg)"
        )
    return url.render_as_string(hide_password=False)
