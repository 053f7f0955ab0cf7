"""In a real browser: return one line to the customer's credit from the invoice page; close the
cash session with a blind count and read the Z-report; a sale printed on a network receipt
printer (a real TCP server) with the drawer kick, without the browser's print dialog."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import AuditLog, CreditNote
from posapp.models.base import write_transaction
from posapp.services import checkout, ledger
from posapp.services.settings import save_settings
from tests.e2e.conftest import log_in
from tests.factories import make_customer, make_product, make_user
from tests.printer_server import PrinterServer

pytestmark = pytest.mark.e2e

KICK = b"\x1bp\x00\x32\x32"


def test_return_one_line_to_the_customers_credit(page: Any, live_server: Any) -> None:
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        cashier = make_user(db.session, "cash1", "cashier")
        customer = make_customer(db.session, owner, name="Meena Iyer", credit_limit="1000")
        oil = make_product(db.session, name="Sunflower Oil 1l", price="180.00")
        soap = make_product(db.session, name="Bath Soap", price="40.00")
        invoice = checkout.checkout(
            db.session,
            checkout.parse_checkout(
                {
                    "items": [
                        {"product_id": oil.id, "quantity": 1},
                        {"product_id": soap.id, "quantity": 3},
                    ],
                    "customer_id": customer.id,
                    "payments": [{"method": "cash", "amount": "300.00"}],
                }
            ),
            cashier,
        )
        invoice_id, customer_id = invoice.id, customer.id
        soap_line = next(line.id for line in invoice.lines if line.name == "Bath Soap")
    log_in(page, "cash1")
    page.goto(f"/invoices/{invoice_id}")
    expect(page.locator("[data-status]")).to_have_text("Paid")
    form = page.locator("[data-return-form]")
    form.locator(f"#qty-{soap_line}").fill("2")
    form.locator("#f-refund_method").select_option("credit")
    form.locator("#f-return-reason").fill("Wrong fragrance")
    form.get_by_role("button", name="Issue credit note").click()

    # (the browser keeps the form action's #return fragment across the redirect)
    expect(page).to_have_url(re.compile(rf"/invoices/{invoice_id}(#return)?$"))
    expect(page.locator(".flashes")).to_contain_text(re.compile(r"Credit note CN\d{4}-000001"))
    notes = page.locator("[data-credit-notes] tr")
    expect(notes).to_have_count(1)
    expect(notes.first).to_contain_text("Wrong fragrance")
    expect(notes.first).to_contain_text("₹80.00")
    expect(page.locator(f'[data-returnable="{soap_line}"]')).to_have_text("1")
    expect(page.locator("[data-payments]")).to_contain_text("Refund to credit")

    page.goto(f"/customers/{customer_id}")
    balance = page.locator("[data-balance]")
    expect(balance).to_have_text("₹80.00")
    expect(balance.locator("xpath=..")).to_contain_text("Advance")  # store credit to spend
    with live_server.app.app_context():
        assert ledger.balance(db.session, customer_id) == -8000
        (note,) = db.session.scalars(select(CreditNote))
        assert note.total == 8000 and note.invoice_id == invoice_id


def test_close_the_cash_session_blind_and_read_the_z_report(page: Any, live_server: Any) -> None:
    with live_server.app.app_context():
        make_user(db.session, "owner", "admin")
        make_user(db.session, "cash1", "cashier")
        tea = make_product(db.session, name="Tea 250g", price="120.00").code
    log_in(page, "cash1")
    page.goto("/cash/")
    page.fill("#open-float", "500")
    page.get_by_role("button", name="Open session").click()
    expect(page.locator("[data-current-session]")).to_contain_text("Opening float ₹500.00")

    page.goto("/pos/")
    scan = page.locator("#scan")
    scan.press_sequentially(tea)
    scan.press("Enter")
    expect(page.locator("#total-amount")).to_have_text("₹120.00")
    page.keyboard.press("F9")
    expect(page).to_have_url(re.compile(r"/pos/receipt/\d+"))

    page.goto("/cash/")
    close = page.locator("[data-close-form]")
    expect(page.locator("[data-current-session]")).not_to_contain_text("620.00")  # blind
    close.locator("#close-counted").fill("610")
    close.get_by_role("button", name="Close and print Z-report").click()
    expect(page).to_have_url(re.compile(r"/cash/\d+/z$"))
    report = page.locator(".receipt")
    expect(report).to_contain_text("Z-REPORT")
    expect(report.locator("[data-sales]")).to_have_text("₹120.00")
    expect(report.locator("[data-expected]")).to_have_text("₹620.00")
    expect(report.locator("[data-counted]")).to_have_text("₹610.00")
    expect(report.locator("[data-over-short]")).to_have_text("-₹10.00")
    expect(report).to_contain_text("Short")


def test_a_cash_sale_prints_on_the_receipt_printer_and_opens_the_drawer(
    page: Any, live_server: Any
) -> None:
    printer = PrinterServer()
    try:
        with live_server.app.app_context():
            make_user(db.session, "owner", "admin")
            make_user(db.session, "cash1", "cashier")
            sugar = make_product(db.session, name="Sugar 1kg", price="45.00").code
            with write_transaction(db.session):
                save_settings(
                    db.session,
                    printer_kind="network",
                    printer_host="127.0.0.1",
                    printer_port=printer.port,
                    printer_auto_print=True,
                    printer_open_drawer=True,
                )
        # Count the browser's print dialogs: with the thermal printer there must be none.
        page.add_init_script("window.__prints = 0; window.print = () => { window.__prints += 1; };")
        log_in(page, "cash1")
        scan = page.locator("#scan")
        scan.press_sequentially(sugar)
        scan.press("Enter")
        expect(page.locator("#total-amount")).to_have_text("₹45.00")
        page.locator("#tendered").fill("100")
        page.keyboard.press("F9")
        expect(page).to_have_url(re.compile(r"/pos/receipt/\d+\?print=1"))
        status = page.locator("#escpos-status")
        expect(status).to_have_text("Receipt printed; the cash drawer opened.")
        job = printer.job()
        assert job.startswith(b"\x1b@" + KICK)
        assert b"Sugar 1kg" in job and b"Change" in job and b"55.00" in job
        assert page.evaluate("window.__prints") == 0
        expect(page.locator("#new-sale")).to_be_focused()

        # Reloading the receipt prints again but never opens the drawer a second time.
        page.reload()
        expect(status).to_have_text("Receipt printed.")
        assert KICK not in printer.job()

        # "On receipt printer" on the page prints it on demand.
        page.locator("#escpos-print").click()
        expect(status).to_have_text("Receipt printed.")
        assert b"Sugar 1kg" in printer.job()
        with live_server.app.app_context():
            kicks = db.session.scalars(
                select(AuditLog).where(AuditLog.action == "drawer.sale")
            ).all()
            assert len(kicks) == 1
    finally:
        printer.stop()
