"""Start-up checks that need nothing heavy, run before aiogram is imported (seconds) so a
wrong setting is reported at once."""

from __future__ import annotations

import logging

from bot.config import Settings
from storage.sqlite import ensure_sqlite_dir

log = logging.getLogger("bot")


class StartupError(Exception):
    """A problem that stops start-up, phrased for one line on stderr."""


def prepare_database_dir(settings: Settings) -> None:
    """An SQLite file's directory exists and is writable (created, and said so, if missing)."""
    try:
        created = ensure_sqlite_dir(settings.database_url)
    except OSError as exc:
        raise StartupError(
            f"{settings.label('database_url')}: cannot write {exc.filename}: {exc.strerror}"
        ) from exc
    if created is not None:
        log.info("created the directory %s for the SQLite database", created)
