"""UPI at the till in a real browser: F11, the amount, Enter shows a QR for exactly that amount
(decoded here with zxing-cpp: payee, amount, bill reference), the UTR typed, Enter completes
and the payment keeps it; the dialog fits a 390 px phone; no UPI ID keeps UPI as before."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import Invoice, User
from posapp.services import checkout, upi
from tests.e2e.conftest import log_in, open_till, scan_all
from tests.factories import make_customer, make_product, make_user
from tests.qr_reading import decode_qr as decode

pytestmark = pytest.mark.e2e

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/h20-upi")


def shop(live_server: Any, *, with_upi: bool = True) -> list[str]:
    """An owner, a cashier, two products (₹100, ₹249.50) and, unless told, a UPI ID."""
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        make_user(db.session, "cash1", "cashier")
        if with_upi:
            upi.update_settings(
                db.session,
                {
                    "upi_vpa_0": "Sharma.Store@okaxis",
                    "upi_label_0": "Axis current",
                    "upi_default": "0",
                    "upi_payee_name": "Sharma & Sons",
                },
                owner.id,
            )
        return [
            make_product(db.session, name="Rice 1 kg", price="100.00").code,
            make_product(db.session, name="Ghee 500 ml", price="249.50").code,
        ]


def test_upi_qr_for_the_exact_amount_then_the_utr_completes_the_sale(
    browser: Any, live_server: Any
) -> None:
    codes = shop(live_server)
    page = open_till(browser, live_server, LAPTOP)
    scan_all(page, codes)
    expect(page.locator("#total-amount")).to_have_text("₹349.50")

    page.keyboard.press("F11")
    expect(page.locator("#pay-upi")).to_be_focused()
    page.keyboard.type("300.25")
    page.keyboard.press("Enter")  # the rest (₹49.25) is cash, typed later
    dialog = page.locator("#upi-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#upi-amount")).to_have_text("₹300.25")
    expect(page.locator("#upi-vpa")).to_have_text("sharma.store@okaxis (Axis current)")
    expect(page.locator("#upi-reference")).to_be_focused()
    qr = page.locator("#upi-qr")
    box = qr.bounding_box()
    assert box["width"] >= 240 and box["height"] >= 240, box
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "till-upi-1366.png"))
    text = decode(qr.screenshot())
    parts = urlsplit(text)
    query = parse_qs(parts.query, strict_parsing=True)
    tr = page.locator("#upi-tr").inner_text()
    assert (parts.scheme, parts.netloc) == ("upi", "pay")
    assert query["pa"] == ["sharma.store@okaxis"]
    assert query["pn"] == ["Sharma & Sons"]
    assert query["am"] == ["300.25"]
    assert query["cu"] == ["INR"]
    assert query["tr"] == [tr] and re.fullmatch(r"TB[0-9]{12}[A-Z0-9]{6}", tr)

    # A mistyped UTR is refused in the dialog; the right one, Enter: received.
    page.keyboard.type("41234567")
    page.keyboard.press("Enter")
    expect(page.locator("#upi-error")).to_have_text("A UTR has 12 digits; this one has 8.")
    expect(dialog).to_be_visible()
    page.locator("#upi-reference").fill("4123 4567 8901")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    # Not paid yet: the till says what is to go and stays in the UPI field.
    expect(page.locator("#tender-due")).to_have_text("Not paid yet — ₹49.25 to go")
    page.keyboard.press("F10")
    page.keyboard.type("50")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/pos/receipt/\d+"))
    expect(page.locator("[data-payment-reference]")).to_contain_text("412345678901")

    with live_server.app.app_context():
        invoice = db.session.scalars(select(Invoice)).one()
        paid = sorted((p.method, p.amount, p.reference, p.upi_tr) for p in invoice.payments)
    assert paid == [("cash", 4925, "", ""), ("upi", 30025, "412345678901", tr)]
    assert not page.js_errors
    page.context.close()


def test_f11_enter_on_an_empty_field_asks_for_the_whole_bill_and_esc_goes_back(
    browser: Any, live_server: Any
) -> None:
    codes = shop(live_server)
    page = open_till(browser, live_server, LAPTOP)
    scan_all(page, codes)
    expect(page.locator("#total-amount")).to_have_text("₹349.50")
    page.keyboard.press("F11")
    page.keyboard.press("Enter")
    expect(page.locator("#upi-dialog")).to_be_visible()
    expect(page.locator("#upi-amount")).to_have_text("₹349.50")
    expect(page.locator("#pay-upi")).to_have_value("349.50")
    first_tr = page.locator("#upi-tr").inner_text()
    page.keyboard.press("Escape")
    expect(page.locator("#upi-dialog")).to_be_hidden()
    expect(page.locator("#pay-upi")).to_be_focused()
    # The same bill keeps its reference; Enter with nothing typed is received without a UTR.
    page.keyboard.type("349.50")
    page.keyboard.press("Enter")
    expect(page.locator("#upi-dialog")).to_be_visible()
    expect(page.locator("#upi-reference")).to_be_focused()
    expect(page.locator("#upi-tr")).to_have_text(first_tr)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/pos/receipt/\d+"))
    with live_server.app.app_context():
        invoice = db.session.scalars(select(Invoice)).one()
        paid = [(p.method, p.amount, p.reference, p.upi_tr) for p in invoice.payments]
    assert paid == [("upi", 34950, "", first_tr)]
    assert not page.js_errors
    page.context.close()


def test_at_390_px_the_qr_dialog_fits_without_sideways_scrolling(
    browser: Any, live_server: Any
) -> None:
    codes = shop(live_server)
    page = open_till(browser, live_server, PHONE)
    scan_all(page, codes)
    expect(page.locator("#total-amount")).to_have_text("₹349.50")
    page.keyboard.press("F11")
    page.keyboard.press("Enter")
    expect(page.locator("#upi-dialog")).to_be_visible()
    page.screenshot(path=str(SHOTS / "till-upi-390.png"))
    dialog = page.locator("#upi-dialog").bounding_box()
    qr = page.locator("#upi-qr").bounding_box()
    sizes = page.evaluate(
        "({w: document.documentElement.scrollWidth, inner: window.innerWidth,"
        " dw: document.getElementById('upi-dialog').scrollWidth,"
        " dcw: document.getElementById('upi-dialog').clientWidth})"
    )
    assert sizes["w"] <= sizes["inner"], sizes
    assert sizes["dw"] <= sizes["dcw"], "the dialog scrolls sideways"
    assert dialog["x"] >= 0 and dialog["x"] + dialog["width"] <= PHONE["width"]
    assert qr["width"] >= 240 and qr["x"] + qr["width"] <= PHONE["width"]
    assert "am=349.50" in decode(page.locator("#upi-qr").screenshot())
    assert not page.js_errors
    page.context.close()


def test_without_a_upi_id_the_till_says_where_to_set_one_and_upi_works_as_before(
    browser: Any, live_server: Any
) -> None:
    codes = shop(live_server, with_upi=False)
    page = open_till(browser, live_server, LAPTOP)
    scan_all(page, codes)
    expect(page.locator("#total-amount")).to_have_text("₹349.50")
    page.keyboard.press("F11")
    page.keyboard.type("349.50")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/pos/receipt/\d+"))
    with live_server.app.app_context():
        invoice = db.session.scalars(select(Invoice)).one()
        paid = [(p.method, p.amount, p.reference) for p in invoice.payments]
    assert paid == [("upi", 34950, "")]
    assert not page.js_errors
    page.context.close()


def test_without_a_upi_id_enter_on_an_empty_field_still_only_says_what_is_to_go(
    browser: Any, live_server: Any
) -> None:
    codes = shop(live_server, with_upi=False)
    page = open_till(browser, live_server, LAPTOP)
    scan_all(page, codes)
    expect(page.locator("#total-amount")).to_have_text("₹349.50")
    page.keyboard.press("F11")
    page.keyboard.press("Enter")
    expect(page.locator("#upi-hint")).to_contain_text("No UPI ID is set")
    expect(page.locator("#upi-hint")).to_contain_text("Settings → UPI")
    expect(page.locator("#tender-due")).to_have_text("Not paid yet — ₹349.50 to go")
    expect(page.locator("#pay-upi")).to_have_value("")
    assert not page.js_errors
    page.context.close()


def test_the_admin_sets_a_upi_id_by_keyboard_and_the_credit_receipt_carries_its_qr(
    browser: Any, live_server: Any
) -> None:
    shop(live_server, with_upi=False)
    context = browser.new_context(base_url=live_server.url, viewport=LAPTOP, color_scheme="light")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, "owner")
    page.goto("/settings/")
    page.locator("[data-upi-link]").click()
    expect(page).to_have_url(re.compile(r"/settings/upi/$"))
    page.locator("#f-upi_vpa_0").focus()
    page.keyboard.type("Sharma.Store@OKAXIS")
    page.keyboard.press("Tab")
    page.keyboard.type("Axis current")
    page.locator("#f-upi_payee_name").fill("Sharma & Sons")
    page.locator("#f-upi_qr_on_documents").check()
    page.locator("#f-upi_payee_name").press("Enter")
    expect(page.locator(".alert-success")).to_contain_text("UPI settings saved.")
    expect(page.locator("#f-upi_vpa_0")).to_have_value("sharma.store@okaxis")
    expect(page.locator("[data-upi-card-link]")).to_be_visible()
    page.screenshot(path=str(SHOTS / "settings-upi-1366.png"), full_page=True)

    with live_server.app.app_context():
        owner = db.session.scalars(select(User).where(User.username == "owner")).one()
        customer = make_customer(db.session, owner, name="Ramu Kaka", credit_limit=None)
        product = make_product(db.session, name="Atta 5 kg", price="275.00")
        invoice = checkout.checkout(
            db.session,
            checkout.parse_checkout(
                {
                    "customer_id": customer.id,
                    "items": [{"product_id": product.id, "quantity": 1}],
                    "payments": [
                        {"method": "cash", "amount": "75"},
                        {"method": "credit", "amount": "200"},
                    ],
                }
            ),
            owner,
        )
        number, invoice_id = invoice.number, invoice.id
    page.goto(f"/pos/receipt/{invoice_id}")
    qr = page.locator("[data-upi-qr] img")
    expect(qr).to_be_visible()
    page.screenshot(path=str(SHOTS / "receipt-upi.png"), full_page=True)
    query = parse_qs(urlsplit(decode(qr.screenshot())).query)
    assert query["pa"] == ["sharma.store@okaxis"] and query["am"] == ["200.00"]
    assert query["tr"] == [number.replace("-", "")]
    assert not errors
    context.close()
