"""Browser fixtures: Debian's chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One chromium for the whole run; each test gets its own context (cookies, storage)."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A fresh light-theme 1280×800 page on the live server; fails on JS errors, remote loads
    or anything the Content-Security-Policy blocked (chromium reports those on the console)."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 800}, color_scheme="light"
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    js_errors: list[str] = []
    remote: list[str] = []
    csp_blocked: list[str] = []
    tab.on("pageerror", lambda error: js_errors.append(str(error)))
    tab.on(
        "console",
        lambda message: (
            csp_blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    tab.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((live_server.url, "data:", "blob:"))
            else remote.append(request.url)
        ),
    )
    yield tab
    context.close()
    assert not js_errors, f"JavaScript errors: {js_errors}"
    assert not remote, f"the page tried to load from elsewhere: {remote}"
    assert not csp_blocked, f"the Content-Security-Policy blocked: {csp_blocked}"


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def log_in(page: Any, username: str, password: str = PASSWORD) -> None:
    """Log in through the real form."""
    page.goto("/login")
    page.fill("#f-username", username)
    page.fill("#f-password", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/pos/")


def scan(page: Any, code: str) -> None:
    """Type a code into the till's scan field as a scanner does (the keys, then Enter)."""
    field = page.locator("#scan")
    field.press_sequentially(code)
    field.press("Enter")


def scan_all(page: Any, codes: list[str]) -> None:
    """Scan each code once and wait for a cart row per code."""
    for code in codes:
        scan(page, code)
    expect(page.locator("#cart-body tr")).to_have_count(len(codes))


def open_till(browser: Any, live_server: Any, viewport: dict[str, int]) -> Any:
    """A light-theme tab of its own at `viewport`, logged in as cash1 on the till.

    Its JavaScript errors collect in `page.js_errors` for the test to check.
    """
    context = browser.new_context(base_url=live_server.url, viewport=viewport, color_scheme="light")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    log_in(page, "cash1")
    return page
