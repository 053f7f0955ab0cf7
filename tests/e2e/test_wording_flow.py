"""What the back office says, read in a browser at 1366×768 and reached by keyboard: a bill
partly returned, its history and the audit log in words and rupees, report days as DD-MM-YYYY
and chart axes without paise."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from posapp.extensions import db
from posapp.models.base import to_local, utcnow
from posapp.services import checkout, ledger, returns
from tests.e2e.conftest import log_in
from tests.factories import make_customer, make_product, make_user


def test_bills_history_and_reports_read_in_words(page: Any, live_server: Any) -> None:
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        dal = make_product(db.session, name="Toor dal 1kg", price="128.00", opening_stock="20")
        sunita = make_customer(db.session, owner, name="Sunita Devi", credit_limit="2000")
        invoice = checkout.checkout(
            db.session,
            checkout.parse_checkout(
                {
                    "items": [{"product_id": dal.id, "quantity": 4}],
                    "customer_id": sunita.id,
                    "payments": [{"method": "credit", "amount": "512"}],
                }
            ),
            owner,
        )
        ledger.record_payment(db.session, sunita.id, {"amount": "1000", "method": "upi"}, owner)
        returns.create_return(
            db.session,
            invoice.id,
            {
                "lines": [{"line_id": invoice.lines[0].id, "quantity": "1"}],
                "refund_method": "cash",
                "restock": True,
            },
            owner,
        )
        number, invoice_id = invoice.number, invoice.id
        db.session.remove()
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, "owner")

    # The invoice list, then the bill, by keyboard.
    page.goto("/invoices/")
    row = page.locator(f'[data-invoice="{number}"]')
    expect(row.locator("[data-partly-returned]")).to_have_text("Partly returned")
    row.get_by_role("link", name=number).focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/invoices/{invoice_id}")
    expect(page.locator("[data-partly-returned]")).to_be_visible()
    history = page.locator("[data-history-text]")
    expect(history.first).to_have_text(
        f"Sale {number} of ₹512.00 to Sunita Devi, ₹512.00 on credit"
    )
    expect(history.nth(1)).to_contain_text("₹128.00 refunded by Cash")
    expect(page.locator("[data-history]")).not_to_contain_text("51200")

    # The audit log in words; the stored JSON only behind "Stored data".
    page.goto("/audit/")
    expect(
        page.locator("[data-audit-text]", has_text="Payment of ₹1,000.00 by UPI")
    ).to_be_visible()
    expect(page.locator("details").first).not_to_have_attribute("open", "")

    # A report's chart: days as DD-MM-YYYY on the axis and in the table, rupees without paise.
    page.goto("/reports/sales-by-day")
    canvas = page.locator("#report-chart")
    expect(canvas).to_have_attribute("data-drawn", "light")
    ticks = page.evaluate(
        "(() => { const c = Object.values(Chart.instances)[0];"
        " return c.scales.y.ticks.map((t) => t.label); })()"
    )
    assert ticks and all(re.fullmatch(r"₹[\d,]+", tick) for tick in ticks), ticks
    today = to_local(utcnow()).strftime("%d-%m-%Y")
    labels = page.evaluate("Object.values(Chart.instances)[0].data.labels")
    assert labels == [today]
    expect(page.locator("table tbody td", has_text=today).first).to_be_visible()
