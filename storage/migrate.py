"""Apply Alembic migrations, from the app at start-up or from `python -m storage upgrade`."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).with_name("migrations")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/frontline.db"


def configured_database_url() -> str:
    """DATABASE_URL, else `database_url` from the config file, else the SQLite default."""
    if url := os.environ.get("DATABASE_URL"):
        return url
    path = Path(os.environ.get("CONFIG_FILE", "config.yml"))
    if path.exists():
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if isinstance(data, dict) and data.get("database_url"):
            return str(data["database_url"])
    return DEFAULT_DATABASE_URL


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)
