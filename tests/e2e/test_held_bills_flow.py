"""Held bills in a real browser: hold a bill, ring up another, recall the held one, finish it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import Invoice
from tests.e2e.conftest import log_in
from tests.factories import make_product, make_user

pytestmark = pytest.mark.e2e


def test_hold_start_another_recall_and_complete(page: Any, live_server: Any) -> None:
    with live_server.app.app_context():
        make_user(db.session, "owner", "admin")
        make_user(db.session, "cash1", "cashier")
        tea = make_product(db.session, name="Tea 250g", price="120.00").code
        soap = make_product(db.session, name="Soap", price="30.00").code
    log_in(page, "cash1")
    scan = page.locator("#scan")
    rows = page.locator("#cart-body tr")
    total = page.locator("#total-amount")

    for _ in range(2):
        scan.press_sequentially(tea)
        scan.press("Enter")
    expect(total).to_have_text("₹240.00")
    page.once("dialog", lambda dialog: dialog.accept("Mrs Rao"))
    page.keyboard.press("F6")
    expect(rows).to_have_count(0)
    expect(page.locator("#held-count")).to_have_text("1")

    scan.press_sequentially(soap)
    scan.press("Enter")
    expect(total).to_have_text("₹30.00")
    page.keyboard.press("F9")
    expect(page).to_have_url(re.compile(r"/pos/receipt/\d+"))
    page.get_by_role("link", name="New sale").click()
    expect(page).to_have_url(re.compile(r"/pos/$"))

    expect(page.locator("#held-count")).to_have_text("1")  # held bills outlive the page
    page.locator("#held-toggle").click()
    held = page.locator("#held-list [data-held]")
    expect(held).to_have_count(1)
    expect(held.first).to_contain_text("Mrs Rao")
    expect(held.first.locator("[data-stale]")).to_have_count(0)
    held.first.get_by_role("button", name="Recall").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Tea 250g")
    expect(rows.first.locator(".qty-input")).to_have_value("2")
    expect(total).to_have_text("₹240.00")
    expect(page.locator("#held-count")).to_have_text("0")

    page.keyboard.press("F9")
    expect(page).to_have_url(re.compile(r"/pos/receipt/\d+"))
    expect(page.locator(".receipt .r-grand")).to_contain_text("₹240.00")
    with live_server.app.app_context():
        totals = sorted(i.total for i in db.session.scalars(select(Invoice)))
    assert totals == [3_000, 24_000]
