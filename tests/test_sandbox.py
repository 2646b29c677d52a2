"""`python -m bot sandbox`: the desk without Telegram — through its JSON API (default suite)
and in a real browser (the `browser` suite: playwright driving Debian's chromium)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.sandbox.run import Sandbox
from tests.suites import chromium

# As headless Chromium runs here: the closed network refuses its background connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Sandbox]:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'sandbox.db'}")
    running = await Sandbox.start(port=0)
    try:
        yield running
    finally:
        await running.stop()


async def state_until(base: str, predicate: Any, what: str, timeout: float = 20) -> Any:
    """Follow the page's own event stream until the state shows what a person waits for."""
    async with aiohttp.ClientSession() as http, http.get(f"{base}api/events") as events:
        async with asyncio.timeout(timeout):
            async for _line in events.content:
                async with http.get(f"{base}api/state") as response:
                    state = await response.json()
                found = predicate(state)
                if found:
                    return found
    raise AssertionError(f"the sandbox never showed {what}")


async def test_the_sandbox_answers_and_hands_off_through_its_api(sandbox: Sandbox) -> None:
    base = sandbox.url
    async with aiohttp.ClientSession() as http:
        async with http.get(base) as page:
            assert page.status == 200 and "Frontline" in await page.text()
        state = await (await http.get(f"{base}api/state")).json()
        alice = next(c for c in state["customers"] if c["name"] == "Алиса")
        olga = state["operators"][0]

        async def say(path: str, **body: Any) -> None:
            async with http.post(f"{base}api/{path}", json=body) as response:
                assert response.status == 200, await response.text()

        await say("customer/send", user=alice["id"], text="сколько стоит доставка?")

        def alice_sees(text: str) -> Any:
            def find(state: dict[str, Any]) -> Any:
                me = next(c for c in state["customers"] if c["id"] == alice["id"])
                return next((m for m in me["messages"] if text in m["text"]), None)

            return find

        article = await state_until(base, alice_sees("Сроки и стоимость доставки"), "the article")
        assert article["from_bot"] and article["buttons"]  # 👍 / 👎 under it
        await say("customer/send", user=alice["id"], text="позовите оператора")

        def pinned_card(state: dict[str, Any]) -> Any:
            return next((t for t in state["topics"] if t["pinned"] is not None), None)

        topic = await state_until(base, pinned_card, "a topic with its pinned card")
        assert "#1" in topic["name"]
        await say(
            "operator/send", user=olga["id"], thread_id=topic["thread_id"], text="Добрый день!"
        )
        await state_until(base, alice_sees("Добрый день!"), "the operator's answer")

        async with http.post(f"{base}api/customer/send", json={"user": 1, "text": "x"}) as forged:
            assert forged.status == 400  # not a person of this sandbox


async def test_sandbox_help(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", "--help",
        cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await process.communicate()
    assert process.returncode == 0 and b"--port" in out


@pytest.mark.browser
async def test_the_whole_desk_in_a_real_browser(sandbox: Sandbox, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 860}, locale="ru-RU")
            await page.goto(sandbox.url)
            customer, staff = page.locator("#chat"), page.locator("#topic")

            # A customer asks a question and sees the article.
            await page.fill("#customer-input", "сколько стоит доставка?")
            await page.press("#customer-input", "Enter")
            await expect(customer).to_contain_text("Сроки и стоимость доставки", timeout=20_000)

            # Asks for a person: the staff side shows ticket #1's topic and its card.
            await page.fill("#customer-input", "позовите оператора, не проходит оплата картой")
            await page.click("#customer-send")
            await expect(customer).to_contain_text("обращение #1", timeout=20_000)
            await expect(page.locator("#topics .topic").first).to_contain_text("#1")
            await page.locator("#topics .topic").first.click()
            await expect(staff.locator(".card")).to_contain_text("Обращение #1")

            # The operator answers; the customer sees it.
            await page.fill("#operator-input", "Здравствуйте! Сейчас проверю платёж.")
            await page.press("#operator-input", "Enter")
            await expect(customer).to_contain_text("Сейчас проверю платёж", timeout=20_000)
            shot = os.environ.get("FRONTLINE_SCREENSHOT") or str(tmp_path / "sandbox.png")
            await page.screenshot(path=shot)

            # The operator closes the ticket; the customer rates it.
            await page.fill("#operator-input", "/close")
            await page.press("#operator-input", "Enter")
            await expect(customer).to_contain_text("Оцените", timeout=20_000)
            await customer.get_by_role("button", name="5 ⭐").click()
            await expect(customer).to_contain_text("Спасибо за оценку 5 из 5", timeout=20_000)
            await expect(staff).to_contain_text("5", timeout=20_000)
        finally:
            await browser.close()
