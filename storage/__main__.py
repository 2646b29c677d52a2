"""`python -m storage upgrade [--url URL]`: apply database migrations.
`python -m storage quarantine [--url URL] [--replay ID|all]`: list the updates kept aside,
or have the running bot handle one (or all) again."""

from __future__ import annotations

import argparse
import asyncio
import sys

from sqlalchemy.exc import SQLAlchemyError

from storage import quarantine
from storage.db import make_engine, make_sessionmaker
from storage.migrate import configured_database_url, upgrade
from storage.sqlite import ensure_sqlite_dir


async def _run(url: str, revision: str) -> None:
    ensure_sqlite_dir(url)
    engine = make_engine(url)
    try:
        await upgrade(engine, revision)
    finally:
        await engine.dispose()


async def _quarantine(url: str, replay: str | None) -> str:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            if replay is not None:
                count = await quarantine.request_replay(
                    session, None if replay == "all" else int(replay)
                )
                await session.commit()
                return f"{count} update(s) marked for replay; the running bot handles them shortly"
            rows = await quarantine.listing(session)
    finally:
        await engine.dispose()
    if not rows:
        return "the quarantine is empty"
    lines = ["update_id   quarantined at (UTC)   tries  state      error"]
    for row in rows:
        state = "replaying" if row.replay_requested else "replayed" if row.replayed_at else "kept"
        lines.append(
            f"{row.update_id:<11} {row.quarantined_at:%Y-%m-%d %H:%M:%S}    {row.attempts:<5}  "
            f"{state:<10} {row.error}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m storage")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("upgrade", help="apply migrations up to a revision (default: head)")
    up.add_argument("--url", help="database URL (default: DATABASE_URL or config.yml)")
    up.add_argument("revision", nargs="?", default="head")
    quarantined = sub.add_parser(
        "quarantine", help="list updates that could not be handled, or replay them"
    )
    quarantined.add_argument("--url", help="database URL (default: DATABASE_URL or config.yml)")
    quarantined.add_argument(
        "--replay", metavar="ID|all", help="have the running bot handle this update again"
    )
    args = parser.parse_args(argv)
    url = args.url or configured_database_url()
    if args.command == "quarantine":
        if args.replay not in (None, "all") and not str(args.replay).isdigit():
            parser.error("--replay takes an update id or 'all'")
        try:
            print(asyncio.run(_quarantine(url, args.replay)))
        except (SQLAlchemyError, OSError) as exc:
            print(f"database error: {exc}", file=sys.stderr)
            return 1
        return 0
    try:
        asyncio.run(_run(url, args.revision))
    except (SQLAlchemyError, OSError) as exc:
        print(f"database error: {exc}", file=sys.stderr)
        return 1
    print(f"database is at revision {args.revision}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
