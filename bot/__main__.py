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
    return parser.parse_args(argv)


def entrypoint(argv: list[str]) -> int:
    parse_args(argv)
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
