"""Customer credit in a real browser: a credit sale at the till, then a payment settles it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from posapp.extensions import db
from posapp.services import customers, ledger
from tests.e2e.conftest import log_in
from tests.factories import make_customer, make_product, make_user

pytestmark = pytest.mark.e2e


def test_credit_sale_found_by_phone_then_settled_on_the_customer_page(
    page: Any, live_server: Any, artifacts: Path
) -> None:
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        make_user(db.session, "cash1", "cashier")
        code = make_product(db.session, name="Atta 5kg", price="250.00", opening_stock="10").code
        customer = make_customer(
            db.session, owner, name="Ramesh Kumar", phone="98765 43210", credit_limit="400"
        )
        customer_id = customer.id
    log_in(page, "cash1")
    scan = page.locator("#scan")
    scan.press_sequentially(code)
    scan.press("Enter")
    expect(page.locator("#cart-body tr")).to_have_count(1)
    expect(page.locator("#total-amount")).to_have_text("₹250.00")

    # Keyboard only: F4, part of the number as a customer would say it, Enter.
    page.keyboard.press("F4")
    search = page.locator("#customer-search")
    expect(search).to_be_focused()
    search.press_sequentially("098765 4")
    expect(page.locator("#customer-suggestions .suggestion")).to_have_count(1)
    expect(page.locator("#customer-suggestions .suggestion").first).to_contain_text("Ramesh Kumar")
    search.press("Enter")
    chip = page.locator("#customer-chip")
    expect(chip).to_be_visible()
    expect(chip).to_contain_text("Ramesh Kumar")
    expect(chip).to_contain_text("credit left ₹400.00")
    expect(scan).to_be_focused()

    # 100 in cash, the rest on credit (F8), no change.
    page.locator("#tendered").fill("100")
    page.keyboard.press("F8")
    expect(page.locator("#pay-credit")).to_have_value("150.00")
    expect(page.locator("#change")).to_have_text("₹0.00")
    page.screenshot(path=str(artifacts / "till-credit.png"), animations="disabled")
    page.keyboard.press("F9")
    expect(page).to_have_url(re.compile(r"/pos/receipt/\d+"))
    receipt = page.locator(".receipt")
    expect(receipt).to_contain_text("Ramesh Kumar")
    expect(receipt.locator("[data-balance-due]")).to_have_text("₹150.00")

    # Over the limit: a second sale of 500 on credit is refused with the reason; the bill stays.
    page.get_by_role("link", name=re.compile("New sale")).click()
    for _ in range(2):
        scan.press_sequentially(code)
        scan.press("Enter")
    expect(page.locator("#total-amount")).to_have_text("₹500.00")
    page.keyboard.press("F4")
    search.press_sequentially("Rmaesh")
    expect(page.locator("#customer-suggestions .suggestion").first).to_contain_text("Ramesh Kumar")
    search.press("Enter")
    expect(chip).to_contain_text("credit left ₹250.00")
    page.locator("#tendered").fill("0")
    # F8 puts on credit only what the limit allows, and says so.
    page.keyboard.press("F8")
    expect(page.locator("#pay-credit")).to_have_value("250.00")
    expect(page.locator("#credit-note")).to_have_text(
        "₹250.00 on credit — the most Ramesh Kumar's limit allows; ₹250.00 still to pay."
    )
    # Typed by hand over the limit: warned at once, refused by the server with the reason.
    page.locator("#pay-credit").fill("500")
    expect(page.locator("#credit-note")).to_be_hidden()
    expect(page.locator("#tender-error")).to_contain_text("Only ₹250.00 of credit is left")
    page.keyboard.press("F9")
    # Over the limit an admin must approve; the cashier goes back to the bill (Esc).
    expect(page.locator("#approval-dialog")).to_be_visible()
    expect(page.locator("#approval-reasons")).to_contain_text("over the limit: credit left ₹250.00")
    page.keyboard.press("Escape")
    alert = page.locator("#checkout-alert")
    expect(alert).to_contain_text("over the limit: credit left ₹250.00 of ₹400.00")
    expect(alert).to_contain_text("Put at most ₹250.00 on credit")
    expect(page).to_have_url(re.compile(r"/pos/$"))
    expect(page.locator("#cart-body tr")).to_have_count(1)

    # The customer page: the bill is owed; a payment settles it and prints a receipt.
    page.goto(f"/customers/{customer_id}")
    expect(page.locator("[data-balance]")).to_have_text("₹150.00")
    expect(page.locator("[data-history]")).to_contain_text("Credit sale")
    expect(page.locator("[data-wa-link]")).to_have_attribute(
        "href", re.compile(r"^https://wa\.me/919876543210\?text=")
    )
    page.screenshot(
        path=str(artifacts / "customer-page.png"), full_page=True, animations="disabled"
    )
    page.fill("#pay-amount", "150")
    page.select_option("#pay-method", "upi")
    page.get_by_role("button", name="Record payment").click()
    expect(page).to_have_url(re.compile(r"/customers/payments/\d+/receipt"))
    expect(page.locator(".receipt")).to_contain_text("PAYMENT RECEIPT")
    expect(page.locator("[data-balance-after]")).to_have_text("₹0.00")
    page.get_by_role("link", name="Customer page").click()
    expect(page.locator("[data-balance]")).to_have_text("₹0.00")
    expect(page.locator("[data-history] tbody tr").first).to_contain_text("Payment")

    with live_server.app.app_context():
        assert ledger.balance(db.session, customer_id) == 0
        summary = customers.summary(db.session, customer_id)
        assert summary.invoices == 1 and summary.available == 40000


def test_payment_taken_at_the_till_keeps_the_bill(page: Any, live_server: Any) -> None:
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        code = make_product(db.session, name="Sugar 1kg", price="48.00", opening_stock="10").code
        customer = make_customer(
            db.session, owner, name="Sunita Devi", phone="91234 56789", opening_balance="300"
        )
        customer_id = customer.id
    log_in(page, "owner")
    scan = page.locator("#scan")
    scan.press_sequentially(code)
    scan.press("Enter")
    expect(page.locator("#cart-body tr")).to_have_count(1)

    page.keyboard.press("F4")
    search = page.locator("#customer-search")
    search.press_sequentially("Sunita")
    expect(page.locator("#customer-suggestions .suggestion").first).to_contain_text("Sunita Devi")
    search.press("Enter")
    expect(page.locator("#customer-chip")).to_contain_text("Owes ₹300.00")
    page.get_by_role("button", name="Take a payment…").click()
    amount = page.locator("#customer-pay-amount")
    expect(amount).to_have_value("300.00")
    amount.fill("abc")
    amount.press("Enter")
    expect(page.locator("#customer-pay-alert")).to_contain_text("Amount must be a number")
    amount.fill("200")
    page.select_option("#customer-pay-method", "card")
    amount.press("Enter")
    expect(page).to_have_url(re.compile(r"/customers/payments/\d+/receipt"))
    expect(page.locator("[data-paid]")).to_have_text("₹200.00")
    expect(page.locator("[data-balance-after]")).to_have_text("₹100.00")

    # Back to the till, as after a sale: Esc on the receipt (on the page without the automatic
    # print: while a print dialog is open Esc is the dialog's Cancel, and headless Chromium
    # drops the keys pressed while it prints).
    page.goto(page.url.removesuffix("?print=1"))
    page.keyboard.press("Escape")
    expect(page.locator("#cart-body tr")).to_have_count(1)  # the bill waited
    expect(page.locator("#customer-chip")).to_contain_text("Owes ₹100.00")
    with live_server.app.app_context():
        assert ledger.balance(db.session, customer_id) == 10000


def test_esc_on_a_receipt_works_before_its_script_has_loaded(page: Any, live_server: Any) -> None:
    """Esc pressed the moment a receipt shows (its module still loading on a busy laptop) goes
    back to the till with the waiting bill, instead of being lost."""
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        code = make_product(db.session, name="Tea 250g", price="120.00", opening_stock="5").code
        make_customer(db.session, owner, name="Asha Rao", phone="98111 22233", opening_balance="50")
    log_in(page, "owner")
    scan = page.locator("#scan")
    scan.press_sequentially(code)
    scan.press("Enter")
    expect(page.locator("#cart-body tr")).to_have_count(1)
    page.keyboard.press("F4")
    page.locator("#customer-search").press_sequentially("Asha")
    expect(page.locator("#customer-suggestions .suggestion").first).to_contain_text("Asha Rao")
    page.locator("#customer-search").press("Enter")
    page.get_by_role("button", name="Take a payment…").click()
    held: list[Any] = []
    page.route(re.compile(r"/static/js/receipt\.js"), lambda route: held.append(route))
    page.locator("#customer-pay-amount").press("Enter")
    expect(page).to_have_url(re.compile(r"/customers/payments/\d+/receipt"))
    expect(page.locator("[data-paid]")).to_have_text("₹50.00")
    for _ in range(200):  # the held request arrives while the page is parsed
        if held:
            break
        page.wait_for_timeout(25)
    assert len(held) == 1  # the receipt's module is held back: only the early key script runs
    page.keyboard.press("Escape")
    expect(page.locator("#cart-body tr")).to_have_count(1)
    expect(page.locator("#customer-chip")).to_contain_text("Asha Rao")
    held[0].continue_()
