"""SQLite file helpers."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url


def ensure_sqlite_dir(url: str) -> Path | None:
    """Create the directory of an SQLite file so a fresh checkout starts without set-up; the
    directory, if it had to be created, so the caller can say so.

    Raises OSError naming the path when it cannot be created or written.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database).expanduser()
    created = None if path.parent.is_dir() else path.parent.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    probe = path if path.exists() else path.parent

    if not os.access(probe, os.W_OK):
        raise PermissionError(13, "not writable", str(probe))
    return created
