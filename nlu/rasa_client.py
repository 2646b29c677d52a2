"""A client for a Rasa server's `POST /model/parse`, falling back to a neutral result.

One aiohttp session for the life of the bot; a timeout from config; any failure (connection,
timeout, HTTP error, malformed JSON) returns the neutral result so the embedded engine answers.
Customer text is never logged.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

from nlu.engine import neutral_result

log = logging.getLogger(__name__)

# The retrieval intent the knowledge base is exported as (kb.rasa_export): `kb/<article id>`.
RETRIEVAL_INTENT = "kb"


def selected_articles(parsed: dict[str, Any]) -> list[tuple[str, float]]:
    """The articles Rasa's ResponseSelector ranks for a `kb` turn, (id, confidence) best
    first; empty for any other result, the embedded engine's included."""
    selector = parsed.get("response_selector")
    if not isinstance(selector, dict) or not isinstance(selector.get(RETRIEVAL_INTENT), dict):
        return []
    ranking = selector[RETRIEVAL_INTENT].get("ranking")
    prefix = f"{RETRIEVAL_INTENT}/"
    found: list[tuple[str, float]] = []
    for entry in ranking if isinstance(ranking, list) else []:
        key = entry.get("intent_response_key") if isinstance(entry, dict) else None
        confidence = entry.get("confidence") if isinstance(entry, dict) else None
        if isinstance(key, str) and key.startswith(prefix) and isinstance(confidence, int | float):
            found.append((key.removeprefix(prefix), float(confidence)))
    return found


class RasaClient:
    def __init__(
        self, url: str, timeout: float, session: aiohttp.ClientSession | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session = session
        self.failures = 0

    async def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def parse(self, text: str) -> dict[str, Any]:
        session = await self._get_session()
        try:
            async with session.post(
                f"{self.url}/model/parse", json={"text": text}, timeout=self.timeout
            ) as response:
                response.raise_for_status()
                body = await response.json(content_type=None)
            if not isinstance(body, dict) or not isinstance(body.get("intent"), dict):
                raise ValueError("unexpected response shape")
            body.setdefault("intent_ranking", [])
            body.setdefault("entities", [])
            body["text"] = text
            return body
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            self.failures += 1
            log.warning("rasa parse failed (%s); using the fallback", type(exc).__name__)
            return neutral_result(text)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


async def rasa_status(client: RasaClient) -> str:
    """'ok' when the Rasa server answers GET /status with a loaded model."""
    session = await client._get_session()
    try:
        async with session.get(f"{client.url}/status", timeout=client.timeout) as response:
            if response.status != 200:
                return f"http {response.status}"
            body = await response.json(content_type=None)
    except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
        return type(exc).__name__
    return "ok" if isinstance(body, dict) and body.get("model_file") else "no model loaded"
