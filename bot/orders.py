"""Order look-ups behind one interface: a CSV file (the built-in default) or a shop's HTTP API.

HTTP contract: GET <url with {number}> returns 200 with JSON
`{"number": "123456", "status": "shipped", "delivery_date": "2026-11-25", "carrier": "CDEK",
"tracking": "1234567890"}` (all but number and status optional), or 404 when there is no such
order. Anything else counts as "the backend is down".
"""

from __future__ import annotations

import csv
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import aiohttp

log = logging.getLogger(__name__)
ORDER_NUMBER = re.compile(r"(?<!\d)\d{5,10}(?!\d)")
STATUSES = ("processing", "shipped", "in_transit", "delivered", "cancelled")


@dataclass(frozen=True, slots=True)
class Order:
    number: str
    status: str
    delivery_date: str = ""
    carrier: str = ""
    tracking: str = ""


class OrderBackendError(Exception):
    """The backend could not answer (down, timeout, bad reply)."""


class OrderBackend(Protocol):
    async def lookup(self, number: str) -> Order | None: ...

    async def close(self) -> None: ...


def find_order_number(text: str) -> str | None:
    match = ORDER_NUMBER.search(text)
    return match.group(0) if match else None


class CsvOrders:
    """Reads the CSV again when the file changes, so a nightly export needs no restart."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mtime = -1.0
        self._orders: dict[str, Order] = {}

    def _refresh(self) -> None:
        try:
            mtime = self.path.stat().st_mtime
        except OSError as exc:
            raise OrderBackendError(f"{self.path}: {exc.strerror}") from exc
        if mtime == self._mtime:
            return
        with self.path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        self._orders = {
            row["number"].strip(): Order(
                number=row["number"].strip(),
                status=(row.get("status") or "").strip(),
                delivery_date=(row.get("delivery_date") or "").strip(),
                carrier=(row.get("carrier") or "").strip(),
                tracking=(row.get("tracking") or "").strip(),
            )
            for row in rows
            if row.get("number")
        }
        self._mtime = mtime

    async def lookup(self, number: str) -> Order | None:
        self._refresh()
        return self._orders.get(number)

    async def close(self) -> None:
        return None


class HttpOrders:
    def __init__(self, url_template: str, timeout: float) -> None:
        self.url_template = url_template
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def lookup(self, number: str) -> Order | None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        url = self.url_template.format(number=number)
        try:
            async with self._session.get(url) as response:
                if response.status == 404:
                    return None
                response.raise_for_status()
                body = await response.json(content_type=None)
            if not isinstance(body, dict) or not body.get("status"):
                raise ValueError("no status in the reply")
            return Order(
                number=str(body.get("number") or number),
                status=str(body["status"]),
                delivery_date=str(body.get("delivery_date") or ""),
                carrier=str(body.get("carrier") or ""),
                tracking=str(body.get("tracking") or ""),
            )
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            log.warning("order backend failed: %s", type(exc).__name__)
            raise OrderBackendError(type(exc).__name__) from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
