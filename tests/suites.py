"""The test suites beside the default run, as a pytest plugin (loaded by conftest.py).

`pytest` runs the default suite; `--suite NAME` (repeatable, or `--suite all`) adds one that
needs minutes, several processes or a real server. A suite that cannot run on this machine is
skipped with one line saying why; `--no-skip` (CI) turns any skip into a failed run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

SUITES = {
    "slow": "SIGKILL loops and several bot processes (minutes)",
    "rasa": "the real Rasa server (first run installs ~2.7 GB and trains, ~6 min)",
    "redis": "a real redis-server (started and stopped by the tests)",
    "browser": "the sandbox page in a real browser (Debian's chromium, playwright)",
    "outage": "the database really failing: SQLite's file refused, PostgreSQL stopped",
}

_ENABLED = pytest.StashKey[set[str]]()
_LEFT_OUT = pytest.StashKey[dict[str, int]]()
_CANNOT_RUN = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("frontline")
    group.addoption(
        "--suite",
        action="append",
        default=[],
        choices=[*SUITES, "all"],
        help="also run this suite (repeatable): "
        + "; ".join(f"{k}: {v}" for k, v in SUITES.items()),
    )
    group.addoption(
        "--no-skip",
        action="store_true",
        help="fail the run when any test was skipped (CI: every suite must really run)",
    )


def pytest_configure(config: pytest.Config) -> None:
    chosen = set(config.getoption("suite"))
    config.stash[_ENABLED] = set(SUITES) if "all" in chosen else chosen
    config.stash[_LEFT_OUT] = {}


def rasa_unavailable() -> str | None:
    """Why the real Rasa cannot run here (no Python 3.8-3.10 to install it with), or None."""
    done = subprocess.run(
        [str(ROOT / "scripts" / "rasa-server"), "python"], capture_output=True, text=True
    )
    if done.returncode != 3:
        return None
    reason = done.stderr.strip().splitlines()[0].removeprefix("rasa-server: ")
    return f"{reason.rstrip('.')} — point RASA_PYTHON at a Python 3.8-3.10 to run it"


def redis_unavailable() -> str | None:
    if os.environ.get("FRONTLINE_TEST_REDIS") or shutil.which("redis-server"):
        return None
    return (
        "redis-server not found: install it (Debian: apt-get install redis-server) "
        "or set FRONTLINE_TEST_REDIS=redis://host:port/0"
    )


def chromium() -> str | None:
    found = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    return found if found and os.access(found, os.X_OK) else None


def browser_unavailable() -> str | None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed: pip install -e '.[browser]'"
    if chromium() is None:
        return "no Chromium found: apt-get install chromium (Debian), or set CHROMIUM=/path"
    return None


def outage_unavailable() -> str | None:
    from tests.postgres import postgres_bin

    if postgres_bin() is None:
        return (
            "no PostgreSQL server binaries: install them (Debian: apt-get install postgresql) "
            "or set PG_BIN=/path/to/bin"
        )
    return None


UNAVAILABLE = {
    "rasa": rasa_unavailable,
    "redis": redis_unavailable,
    "browser": browser_unavailable,
    "outage": outage_unavailable,
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    enabled = config.stash[_ENABLED]
    left_out: dict[str, int] = config.stash[_LEFT_OUT]
    kept, dropped = [], []
    reasons: dict[str, str | None] = {}
    for item in items:
        suites = [name for name in SUITES if item.get_closest_marker(name)]
        missing = [name for name in suites if name not in enabled]
        if missing:
            dropped.append(item)
            for name in missing:
                left_out[name] = left_out.get(name, 0) + 1
            continue
        kept.append(item)
        for name in suites:
            if name in UNAVAILABLE and name not in reasons:
                reasons[name] = UNAVAILABLE[name]()
            reason = reasons.get(name)
            if reason:
                item.stash[_CANNOT_RUN] = f"{name} suite: {reason}"
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_runtest_setup(item: pytest.Item) -> None:
    reason = item.stash.get(_CANNOT_RUN, None)
    if reason:
        # Skipped from this one place, so the summary folds the suite into one line.
        pytest.skip(reason)


def _skipped(config: pytest.Config) -> int:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    return len(reporter.stats.get("skipped", [])) if reporter is not None else 0


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    for name, count in sorted(config.stash[_LEFT_OUT].items()):
        terminalreporter.write_line(
            f"suite {name!r} not run ({count} tests, {SUITES[name]}): pytest --suite {name}"
        )
    if config.getoption("no_skip") and _skipped(config):
        terminalreporter.write_line(
            f"--no-skip: {_skipped(config)} tests were skipped, so the run fails", red=True
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if session.config.getoption("no_skip") and _skipped(session.config):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
