"""Throwaway databases on a real PostgreSQL server, for the tests and bench/load.py.

`server` is a SQLAlchemy URL without a database, as `scripts/test-services start` prints it:
postgresql+asyncpg://postgres@127.0.0.1:5433
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import asyncpg


def _admin_dsn(server: str) -> str:
    return server.replace("postgresql+asyncpg://", "postgresql://") + "/postgres"


async def create_database(server: str, prefix: str = "t") -> str:
    """A new empty database; its SQLAlchemy URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_admin_dsn(server))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return f"{server}/{name}"


async def drop_database(url: str) -> None:
    server, name = url.rsplit("/", 1)
    admin = await asyncpg.connect(_admin_dsn(server))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def postgres_bin() -> Path | None:
    """Debian's PostgreSQL binaries (the newest installed), or $PG_BIN."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: p.parent)
    return found[-1].parent if found else None


class OwnServer:
    """A PostgreSQL server of one test's own, on 127.0.0.1, to stop and start at will (the
    shared server of FRONTLINE_TEST_POSTGRES must stay up for the other tests)."""

    def __init__(self, port: int) -> None:
        bin_dir = postgres_bin()
        assert bin_dir is not None, "no PostgreSQL binaries"
        self.bin, self.port = bin_dir, port
        self.dir = Path(tempfile.mkdtemp(prefix="frontline-pg-"))
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"

    async def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        output, _ = await process.communicate()
        assert process.returncode == 0, f"{tool}: {output.decode(errors='replace')}"

    async def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        await self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres")
        await self.start()

    async def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        await self._run(
            "pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w",
            "-o", options, "start",
        )  # fmt: skip

    async def stop(self) -> None:
        """As an administrator stops it: every connection is cut, new ones are refused."""
        await self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    async def remove(self) -> None:
        if (self.dir / "data" / "postmaster.pid").exists():
            await self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
