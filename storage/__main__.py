"""`python -m storage upgrade [--url URL]`: apply database migrations."""

from __future__ import annotations

import argparse
import asyncio
import sys

from sqlalchemy.exc import SQLAlchemyError

from storage.db import make_engine
from storage.migrate import configured_database_url, upgrade
from storage.sqlite import ensure_sqlite_dir


async def _run(url: str, revision: str) -> None:
    ensure_sqlite_dir(url)
    engine = make_engine(url)
    try:
        await upgrade(engine, revision)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m storage")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("upgrade", help="apply migrations up to a revision (default: head)")
    up.add_argument("--url", help="database URL (default: DATABASE_URL or config.yml)")
    up.add_argument("revision", nargs="?", default="head")
    args = parser.parse_args(argv)
    url = args.url or configured_database_url()
    try:
        asyncio.run(_run(url, args.revision))
    except (SQLAlchemyError, OSError) as exc:
        print(f"database error: {exc}", file=sys.stderr)
        return 1
    print(f"database is at revision {args.revision}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
