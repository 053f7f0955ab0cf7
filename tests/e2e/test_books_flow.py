"""The books in a real browser, by keyboard: a sub-account, a manual entry, the trial balance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import Account
from tests.e2e.conftest import log_in
from tests.factories import make_user

pytestmark = pytest.mark.e2e
SHOTS = Path("/tmp/h20-books-pages")


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_sub_account_manual_entry_and_trial_balance(page: Any, live_server: Any) -> None:
    with live_server.app.app_context():
        make_user(db.session, "owner", "admin")
        ids = {code: id_ for code, id_ in db.session.execute(select(Account.code, Account.id))}
        db.session.remove()
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, "owner")
    page.goto("/books/")
    expect(page.locator('nav a.dropdown-item[href="/books/"]')).to_have_attribute(
        "aria-current", "page"
    )

    # A sub-account under Sales: code, Tab, name, the parent, Enter.
    page.goto("/books/accounts")
    page.locator("#sub-code").focus()
    page.keyboard.type("4110")
    page.keyboard.press("Tab")
    page.keyboard.type("Online sales")
    page.locator("#sub-parent").select_option(str(ids["4100"]))
    page.locator("#sub-name").press("Enter")
    expect(page.locator(".alert-success")).to_contain_text("Account 4110 Online sales added")
    row = page.locator('tr[data-account="4110"]')
    expect(row.locator("td").nth(2)).to_have_text("Income")
    expect(row.locator("td.books-depth-1")).to_contain_text("Online sales")
    shot(page, "accounts-1366")

    # The form refuses an entry that does not balance, keeps what was typed, writes nothing.
    with live_server.app.app_context():
        online = db.session.scalar(select(Account.id).where(Account.code == "4110"))
        db.session.remove()
    page.goto("/books/journal/new")
    page.locator("#e-narration").focus()
    page.keyboard.type("Online order paid into the drawer")
    page.locator("#account_0").select_option(str(ids["1100"]))
    page.locator("#debit_0").focus()
    page.keyboard.type("250")
    page.locator("#account_1").select_option(str(online))
    page.locator("#credit_1").focus()
    page.keyboard.type("240")
    page.keyboard.press("Enter")
    expect(page.locator("[data-form-error]")).to_contain_text(
        "does not balance: debits 250.00, credits 240.00"
    )
    expect(page.locator("#e-narration")).to_have_value("Online order paid into the drawer")
    shot(page, "entry-refused-1366")
    page.locator("#credit_1").fill("")
    page.locator("#credit_1").focus()
    page.keyboard.type("250")
    page.keyboard.press("Enter")
    expect(page.locator(".alert-success")).to_contain_text("posted")
    expect(page.locator('table[data-statement="day-book"]')).to_contain_text(
        "Online order paid into the drawer"
    )
    shot(page, "day-book-1366")

    # The trial balance shows it: the sub-account indented under Sales, and the totals agree.
    page.goto("/books/trial-balance")
    table = page.locator('table[data-statement="trial-balance"]')
    expect(table.locator("tr", has_text="Online sales").locator("td").nth(3)).to_have_text(
        "₹250.00"
    )
    expect(table.locator("tr", has_text="Cash in drawer").locator("td").nth(2)).to_have_text(
        "₹250.00"
    )
    total = table.locator("tr", has_text="Total")
    expect(total.locator("td").nth(2)).to_have_text("₹250.00")
    expect(total.locator("td").nth(3)).to_have_text("₹250.00")
    shot(page, "trial-balance-1366")

    # At 390 px the page does not scroll sideways; the table scrolls in its own box.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/books/trial-balance")
    expect(table).to_be_attached()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    expect(page.get_by_role("link", name="Download CSV")).to_be_visible()
    shot(page, "trial-balance-390")
    page.goto("/books/accounts")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "accounts-390")
