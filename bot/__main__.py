"""`python -m bot`: run the support bot."""

import sys

from bot.config import ConfigError, load_settings


def entrypoint() -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    # Imported only now: aiogram takes seconds to import, config errors should not wait for it.
    from bot.app import main

    return main(settings)


sys.exit(entrypoint())
