"""Credit for a new customer at once: the shop's limit, F8 within it, said in plain words."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from posapp.extensions import db
from posapp.models import Customer
from posapp.services import ledger
from tests.e2e.conftest import log_in, scan
from tests.factories import make_customer, make_product, make_user

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/c19-credit")


def find_customer(page: Any, words: str) -> None:
    page.keyboard.press("F4")
    search = page.locator("#customer-search")
    expect(search).to_be_focused()
    search.press_sequentially(words)
    expect(page.locator("#customer-suggestions .suggestion").first).to_contain_text(words)
    search.press("Enter")


def test_a_customer_created_at_the_till_gets_credit_at_once(page: Any, live_server: Any) -> None:
    with live_server.app.app_context():
        make_user(db.session, "cash1", "cashier")
        code = make_product(db.session, name="Basmati 5kg", price="1500.00", opening_stock="9").code
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, "cash1")
    scan(page, code)
    scan(page, code)
    expect(page.locator("#total-amount")).to_have_text("₹3,000.00")

    # F4, a name nobody has, Enter: the new-customer form with the name typed; phone, Enter.
    page.keyboard.press("F4")
    page.locator("#customer-search").press_sequentially("Ramu Kaka")
    expect(page.locator("#customer-suggestions")).to_contain_text("Enter adds a new one")
    page.keyboard.press("Enter")
    phone = page.locator("#new-customer-phone")
    expect(phone).to_be_focused()
    expect(page.locator("#new-customer-name")).to_have_value("Ramu Kaka")
    phone.press_sequentially("98111 22333")
    phone.press("Enter")
    chip = page.locator("#customer-chip")
    expect(chip).to_contain_text("Ramu Kaka")
    expect(page.locator("#customer-available")).to_have_text("credit left ₹2,000.00 of ₹2,000.00")

    # F8 fills only what the shop's limit for new customers allows, and says so.
    page.locator("#tendered").fill("0")
    page.keyboard.press("F8")
    credit = page.locator("#pay-credit")
    expect(credit).to_have_value("2000.00")
    expect(credit).to_be_focused()
    note = page.locator("#credit-note")
    expect(note).to_have_text(
        "₹2,000.00 on credit — the most Ramu Kaka's limit allows; ₹1,000.00 still to pay."
    )
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "f8-new-customer-1366.png"), animations="disabled")
    # The rest in cash, then F9 completes.
    page.locator("#tendered").fill("1000")
    page.keyboard.press("F9")
    expect(page).to_have_url(re.compile(r"/pos/receipt/\d+"))
    expect(page.locator(".receipt")).to_contain_text("Ramu Kaka")
    expect(page.locator(".receipt")).to_contain_text("Total due after this bill")
    expect(page.locator("[data-due-after]")).to_have_text("₹2,000.00")
    page.screenshot(path=str(SHOTS / "receipt-total-due-1366.png"), animations="disabled")
    with live_server.app.app_context():
        ramu = db.session.query(Customer).filter_by(name="Ramu Kaka").one()
        assert ramu.credit_limit == 200_000
        assert ledger.balance(db.session, ramu.id) == 200_000


def test_no_credit_allowed_fills_nothing_and_says_so(page: Any, live_server: Any) -> None:
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        make_user(db.session, "cash1", "cashier")
        code = make_product(db.session, name="Ghee 1l", price="80.00", opening_stock="9").code
        make_customer(db.session, owner, name="Shyam Lal", phone="98222 33444", credit_limit="0")
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, "cash1")
    scan(page, code)
    expect(page.locator("#total-amount")).to_have_text("₹80.00")
    find_customer(page, "Shyam Lal")
    expect(page.locator("#customer-available")).to_have_text(
        "credit limit ₹0.00 — no credit allowed"
    )
    page.locator("#tendered").fill("0")
    page.keyboard.press("F8")
    expect(page.locator("#pay-credit")).to_have_value("")
    expect(page.locator("#credit-note")).to_have_text(
        "Shyam Lal: credit limit ₹0.00 — no credit allowed. ₹80.00 still to pay."
    )
    page.screenshot(path=str(SHOTS / "f8-no-credit-1366.png"), animations="disabled")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_chip_says_the_limit_on_a_phone(page: Any, live_server: Any, theme: str) -> None:
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        make_user(db.session, "cash1", "cashier")
        code = make_product(db.session, name="Salt 1kg", price="25.00", opening_stock="9").code
        make_customer(db.session, owner, name="Open Book", phone="98333 44555", credit_limit=None)
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(color_scheme=theme)
    log_in(page, "cash1")
    scan(page, code)
    find_customer(page, "Open Book")
    words = page.locator("#customer-available")
    expect(words).to_have_text("no credit limit")
    expect(words).to_be_in_viewport()
    box = words.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"chip-390-{theme}.png"), animations="disabled")
