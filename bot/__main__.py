"""`python -m bot`: run the support bot (`--help` lists the settings it reads)."""

import argparse
import logging
import sys

from bot.config import ConfigError, load_settings
from bot.preflight import StartupError, prepare_database_dir
from bot.usage import environment_help

DESCRIPTION = """\
Frontline: a Telegram customer-support front line. Customers write to the bot; it answers
from the knowledge base, takes order-status and callback requests, and hands the rest to
operators in a staff forum supergroup, one topic per ticket.

Settings come from config.yml (CONFIG_FILE), a .env file (ENV_FILE) and environment
variables, each overriding the one before. Only BOT_TOKEN and STAFF_CHAT_ID are required.
"""

COMMANDS = """\
related commands:
  python -m bot sandbox           try the whole desk in a browser, without Telegram
  python -m kb check [DIR]        validate the knowledge base as the bot would load it
  python -m stats export          write a week's statistics (CSV, XLSX, charts, HTML)
  python -m storage upgrade       apply the database migrations
  python -m nlu evaluate          measure the NLU on a labelled CSV
  scripts/rasa-server             run the real Rasa server for NLU_BACKEND=rasa
"""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description=DESCRIPTION,
        epilog=COMMANDS + "\n" + environment_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="[sandbox]")
    sandbox = commands.add_parser(
        "sandbox",
        help="the whole desk in a browser: no token, no Telegram (a Bot API emulator inside)",
        description="Runs the project's Bot API emulator, the real bot against it (SQLite in "
        "data/sandbox.db unless DATABASE_URL is set, the embedded NLU, KB_DIR re-read every "
        "second) and a web page with customers' chats and the staff forum side by side.",
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8090, help="default: 8090 (0: any free)")
    return parser.parse_args(argv)


def run_sandbox(host: str, port: int) -> int:
    import asyncio

    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    logging.getLogger("bot").info("Frontline sandbox starting")
    from bot.preflight import StartupError
    from bot.sandbox.run import serve

    try:
        asyncio.run(serve(host, port))
    except (ConfigError, StartupError) as exc:
        print(f"cannot start the sandbox: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cannot start the sandbox on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


def entrypoint(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.command == "sandbox":
        return run_sandbox(args.host, args.port)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Said before the imports below, which take seconds: the process is not hanging.
    logging.getLogger("bot").info(
        "Frontline starting: %s mode, %s database, %s NLU",
        settings.mode,
        settings.database_url.split(":", 1)[0].split("+", 1)[0],
        settings.nlu_backend,
    )
    try:
        prepare_database_dir(settings)
    except StartupError as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 2
    from bot.app import main

    return main(settings)


sys.exit(entrypoint(sys.argv[1:]))
