"""Headless Chromium for the console's end-to-end tests: Debian's `chromium`, driven by
Playwright (which downloads no browser of its own here), a fresh profile per test, screenshots
saved as test artefacts and accessibility checked with axe-core."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from grantflow_runtime.context import Identity
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.gateway.stack import Stack

CHROMIUM = os.environ.get("GRANTFLOW_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps reaching for Google's hosts, which
# this machine's closed network refuses; the rest keep each run fresh and quiet.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTEFACTS = Path(os.environ.get("GRANTFLOW_TEST_ARTEFACTS", "test-artifacts")) / "console"
# The axe-core rule sets that make up WCAG 2.1 A and AA: labels, headings, contrast and the rest.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    _require_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        await browser.close()


@dataclass
class Browsing:
    """One test's browser contexts, one per person, each with its own cookies."""

    browser: Browser
    stack: Stack
    test_name: str
    contexts: list[BrowserContext]

    async def person(self, who: Identity, *, language: str = "en", **claims: str) -> Page:
        """A new browser profile signed in to the console as `who` through the sign-in form."""
        context = await self.browser.new_context(
            base_url=self.stack.base_url,
            locale="ru-RU" if language == "ru" else "en-GB",
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = await context.new_page()
        await page.goto("/console/")
        await page.get_by_label(re.compile("Access token|Токен доступа")).fill(
            self.stack.token(who, **claims)
        )
        await page.get_by_role("button", name=re.compile("Sign in|Войти")).click()
        await page.wait_for_load_state()
        return page

    async def anonymous(self, *, language: str = "en") -> Page:
        context = await self.browser.new_context(
            base_url=self.stack.base_url, locale="ru-RU" if language == "ru" else "en-GB"
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        return await context.new_page()

    async def screenshot(self, page: Page, name: str) -> Path:
        """A full-page screenshot kept under test-artifacts/console/<test>/<name>.png."""
        folder = ARTEFACTS / self.test_name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
async def browsing(
    chromium: Browser, console: Stack, request: pytest.FixtureRequest
) -> AsyncIterator[Browsing]:
    """A browser on the console of `console` (the stack, from the conftest)."""
    stack = console
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    shutil.rmtree(ARTEFACTS / name, ignore_errors=True)
    session = Browsing(chromium, stack, name, [])
    yield session
    for context in session.contexts:
        await context.close()


async def accessibility_violations(page: Page) -> list[str]:
    """What axe-core finds against WCAG 2.1 A/AA on the page as it stands, one line each."""
    results = await Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    found = results.response.get("violations", [])
    return [
        f"{v['id']} ({v.get('impact')}): {v['help']} at "
        + ", ".join(str(node.get("target")) for node in v.get("nodes", [])[:5])
        for v in found
    ]


async def assert_accessible(page: Page) -> None:
    found = await accessibility_violations(page)
    assert not found, f"{page.url}:\n" + "\n".join(found)
