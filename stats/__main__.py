"""`python -m stats export --week 2026-W47 [--out DIR] [--url DATABASE_URL]`.

Reads `stats` and `categories` from the config file (CONFIG_FILE or ./config.yml) and the
database from DATABASE_URL or the config: no bot token needed, so admins can run it anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from stats.export import export_week
from stats.metrics import Week
from stats.settings import stats_config
from storage.db import make_engine, make_sessionmaker
from storage.migrate import configured_database_url, upgrade


def _config_file() -> dict[str, Any]:
    path = Path(os.environ.get("CONFIG_FILE", "config.yml"))
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return data if isinstance(data, dict) else {}


def _group_names(raw: dict[str, Any]) -> dict[int, str]:
    """The staff groups' names, from the environment or the config file as the bot reads
    them (best effort: the export only labels its lines with them)."""
    names: dict[int, str] = {}
    default = os.environ.get("STAFF_CHAT_ID") or raw.get("staff_chat_id")
    name = os.environ.get("STAFF_CHAT_NAME") or raw.get("staff_chat_name") or "main"
    groups: Any = raw.get("staff_groups") or []
    with contextlib.suppress(ValueError):
        groups = (
            json.loads(os.environ["STAFF_GROUPS"]) if os.environ.get("STAFF_GROUPS") else groups
        )
    with contextlib.suppress(TypeError, ValueError):
        if default is not None:
            names[int(default)] = str(name)
    for group in groups if isinstance(groups, list) else []:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            names.setdefault(int(group["id"]), str(group["name"]))
    return names


async def _export(url: str, week_label: str | None, out: Path | None) -> int:
    from bot.config import CategorySettings, StatsSettings

    raw = _config_file()
    try:
        settings = StatsSettings.model_validate(raw.get("stats") or {})
        categories = CategorySettings.model_validate(raw.get("categories") or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        print(f"config error: {'.'.join(map(str, first['loc']))}: {first['msg']}", file=sys.stderr)
        return 2
    zone = ZoneInfo(settings.timezone)
    now = datetime.now(UTC)
    try:
        week = Week.parse(week_label, zone) if week_label else Week.containing(now, zone).previous()
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    engine = make_engine(url)
    try:
        await upgrade(engine)  # an older database gets the contact log's tables first
        async with make_sessionmaker(engine)() as session:
            export = await export_week(
                session,
                week,
                out or settings.export_dir,
                stats_config(settings, categories.default, _group_names(raw)),
                now,
                progress=lambda msg: print(msg, file=sys.stderr, flush=True),
            )
    finally:
        await engine.dispose()
    for path in export.files.values():
        print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stats")
    sub = parser.add_subparsers(dest="command", required=True)
    exp = sub.add_parser("export", help="write a week's statistics to files")
    exp.add_argument("--week", help="ISO week such as 2026-W47 (default: last week)")
    exp.add_argument("--out", type=Path, help="output directory (default: stats.export_dir)")
    exp.add_argument("--url", help="database URL (default: DATABASE_URL or config.yml)")
    args = parser.parse_args(argv)
    url = args.url or configured_database_url()
    parsed = make_url(url)
    database = parsed.database or ""
    sqlite_file = parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:")
    if sqlite_file and not Path(database).expanduser().exists():
        print(f"database error: {database} does not exist", file=sys.stderr)
        return 1
    try:
        return asyncio.run(_export(url, args.week, args.out))
    except (SQLAlchemyError, OSError) as exc:
        print(f"database error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
