"""A supplier's khata in the browser, by keyboard at 1366×768: receive stock on credit from a
new supplier, pay part of it, and read the ledger and the To pay list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from posapp.extensions import db
from tests.e2e.conftest import log_in
from tests.factories import make_product, make_user

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/h20-suppliers")


def type_into(page: Any, selector: str, text: str) -> None:
    """Focus a field with the keyboard's help (Tab order aside) and type into it."""
    box = page.locator(selector)
    box.focus()
    box.press_sequentially(text)


def test_receive_on_credit_pay_part_and_read_the_khata(page: Any, live_server: Any) -> None:
    with live_server.app.app_context():
        make_user(db.session, "owner", "admin")
        code = make_product(db.session, name="Toor Dal 1kg", opening_stock="0").code
        db.session.remove()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, "owner")

    page.goto("/inventory/receive")
    type_into(page, "#f-supplier", "Shree Ganesh Traders")
    page.keyboard.press("Tab")
    page.keyboard.type("SGT-5521")  # the supplier's bill number
    type_into(page, "#f-paid_now", "2000")
    expect(page.locator("#f-paid_method")).to_have_value("cash")
    type_into(page, "input[name=code] >> nth=0", code)
    page.keyboard.press("Enter")  # the code field's Enter moves to the quantity
    expect(page.locator("input[name=quantity] >> nth=0")).to_be_focused()
    page.keyboard.type("100")
    page.keyboard.press("Tab")
    page.keyboard.type("100.00")  # ₹10,000.00 before tax
    page.keyboard.press("Tab")
    page.keyboard.type("0")
    page.screenshot(path=str(SHOTS / "receive-1366.png"), full_page=True)
    page.keyboard.press("Enter")
    page.wait_for_url("**/inventory/purchases/*")
    expect(page.locator("[data-purchase-open]")).to_contain_text("₹8,000.00")

    # The purchase page links the new supplier's account.
    page.get_by_role("link", name="Shree Ganesh Traders").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/suppliers/*")
    expect(page.locator("[data-supplier-balance]")).to_have_text("₹8,000.00")

    type_into(page, "#pay-amount", "3000")
    page.locator("#pay-method").focus()
    page.keyboard.press("ArrowDown")  # bank transfer
    type_into(page, "#pay-reference", "UTR 88123")
    page.keyboard.press("Enter")
    expect(page.locator(".alert-success")).to_contain_text("Paid Shree Ganesh Traders ₹3,000.00")
    expect(page.locator("[data-supplier-balance]")).to_have_text("₹5,000.00")
    ledger = page.locator("[data-supplier-ledger] tbody tr")
    expect(ledger).to_have_count(3)  # newest first: payment, paid at receipt, bill
    expect(ledger.nth(0)).to_contain_text("UTR 88123")
    expect(ledger.nth(0)).to_contain_text("Bank transfer")
    expect(ledger.nth(0)).to_contain_text("5,000.00")
    expect(ledger.nth(2)).to_contain_text("SGT-5521")
    page.screenshot(path=str(SHOTS / "supplier-1366.png"), full_page=True)

    page.get_by_role("link", name="Suppliers").first.focus()  # the breadcrumb
    page.keyboard.press("Enter")
    page.wait_for_url("**/suppliers/")
    expect(page.locator("[data-supplier-list]")).to_contain_text("₹5,000.00")
    page.get_by_role("link", name="To pay").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/suppliers/to-pay")
    rows = page.locator("[data-to-pay] tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Shree Ganesh Traders")
    expect(rows.first).to_contain_text("₹5,000.00")
    expect(page.locator("[data-to-pay-total]")).to_have_text("₹5,000.00")
    page.screenshot(path=str(SHOTS / "to-pay-1366.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / "to-pay-390.png"), full_page=True)
    page.goto(page.url.replace("/to-pay", "/"))
    page.screenshot(path=str(SHOTS / "list-390.png"), full_page=True)

    # Ten packs go back: a debit note of ₹1,000.00 lowers what is owed.
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/suppliers/to-pay")
    page.get_by_role("link", name="PUR-000001 (SGT-5521)").focus()
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Return goods to the supplier").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/return")
    type_into(page, "[data-return-form] input[name^=qty_]", "10")
    page.keyboard.press("Enter")
    expect(page.locator(".alert-success")).to_contain_text("Debit note DN-000001")
    expect(page.locator("[data-supplier-balance]")).to_have_text("₹4,000.00")
    expect(page.locator("[data-supplier-ledger] tbody tr").first).to_contain_text("DN-000001")
    page.goto(page.url.split("/suppliers/")[0] + "/suppliers/purchases/1/return")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / "return-390.png"), full_page=True)
