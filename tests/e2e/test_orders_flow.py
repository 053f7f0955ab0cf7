"""Orders in a real browser: a phone order taken by keyboard from the till, confirmed, packed,
sent out and delivered with UPI at the door (its slip's number opening it from the till's scan
field), and a pickup order on khata on a phone-sized screen; the invoices and the khata right."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import Customer, Invoice, LedgerEntry, Product
from posapp.models.orders import Order
from posapp.services import integrity, ledger, upi
from tests.e2e.conftest import ARTIFACTS, open_till
from tests.factories import make_product, make_user
from tests.qr_reading import decode_qr

pytestmark = pytest.mark.e2e

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SHOTS = ARTIFACTS


def shop(live_server: Any) -> dict[str, int]:
    """An owner with the shop's UPI ID, a cashier, and two products (₹250 a bag, ₹140 a kg)."""
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        make_user(db.session, "cash1", "cashier")
        upi.update_settings(
            db.session,
            {"upi_vpa_0": "sharma.store@okaxis", "upi_default": "0", "upi_payee_name": "Sharma"},
            owner.id,
        )
        atta = make_product(
            db.session, name="Aashirvaad atta 5kg", price="250.00", opening_stock="10"
        )
        dal = make_product(
            db.session, name="Toor dal", price="140.00", unit="kg", opening_stock="20"
        )
        return {"atta": atta.id, "dal": dal.id}


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True, animations="disabled")


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width}px wide"


def take_by_keyboard(page: Any, *, phone: str, name: str, delivery: bool, plan: str) -> None:
    """Fill the order form with the keyboard only, as a cashier on the phone does."""
    field = page.locator("#f-phone")
    expect(field).to_be_focused()
    field.press_sequentially(phone)
    page.keyboard.press("Enter")  # Enter goes to the next field, it does not send the form
    expect(page.locator("#f-name")).to_be_focused()
    page.keyboard.type(name)
    page.keyboard.press("Enter")
    expect(page.locator("#f-fulfilment-pickup")).to_be_focused()
    if delivery:
        page.keyboard.press("ArrowRight")  # the radio group: delivery
        expect(page.locator("#f-address")).to_be_visible()
        page.keyboard.press("Tab")
        expect(page.locator("#f-address")).to_be_focused()
        page.keyboard.type("Flat 3B, Sunrise Apartments, MG Road")
        page.keyboard.press("Tab")
        expect(page.locator("#f-delivery_charge")).to_be_focused()
        page.keyboard.type("20")
        page.keyboard.press("Enter")
    else:
        page.keyboard.press("Enter")  # onto the delivery radio
        page.keyboard.press("Enter")
    expect(page.locator("#f-slot_date")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#f-slot")).to_be_focused()
    page.keyboard.type("5-7 pm")
    page.keyboard.press("Enter")
    expect(page.locator("#f-payment_plan")).to_be_focused()
    page.locator("#f-payment_plan").select_option(plan)  # a select takes its arrow keys
    page.keyboard.press("Enter")
    expect(page.locator("#f-note")).to_be_focused()
    page.keyboard.type("Ring twice")
    page.keyboard.press("Enter")
    scan = page.locator("#scan")
    expect(scan).to_be_focused()
    # Items as at the till: a name and Enter takes the top match, "1.5*" a quantity.
    scan.press_sequentially("aashir")
    expect(page.locator("#suggestions .suggestion").first).to_contain_text("Aashirvaad atta")
    scan.press("Enter")
    expect(page.locator("#order-lines tr")).to_have_count(1)
    scan.press_sequentially("1.5*")
    scan.press_sequentially("toor")
    expect(page.locator("#suggestions .suggestion").first).to_contain_text("Toor dal")
    scan.press("Enter")
    expect(page.locator("#order-lines tr")).to_have_count(2)
    expect(page.locator('#order-lines tr[data-line] input[name="quantity"]').nth(1)).to_have_value(
        "1.500"
    )


def press_step(page: Any, step: str) -> None:
    button = page.locator(f'[data-step="{step}"]')
    button.focus()
    page.keyboard.press("Enter")


def test_phone_order_delivered_with_upi_at_the_door(browser: Any, live_server: Any) -> None:
    ids = shop(live_server)
    page = open_till(browser, live_server, LAPTOP)
    page.get_by_role("link", name="New order").click()
    expect(page).to_have_url(re.compile(r"/orders/new\?source=till"))
    take_by_keyboard(
        page, phone="98111 22233", name="Meena Iyer", delivery=True, plan="on_delivery"
    )
    shot(page, "order-form-1366.png")
    page.keyboard.press("Control+Enter")
    expect(page).to_have_url(re.compile(r"/orders/\d+$"))
    status = page.locator("[data-order-status]")
    expect(status).to_have_text("Pending")
    # 250 + 1.5 × 140 + 20 delivery
    expect(page.locator("[data-estimate]")).to_have_text("₹480.00")
    number = page.locator("h1 .font-monospace").inner_text()
    assert re.fullmatch(r"ORD-\d+", number)

    press_step(page, "confirmed")
    expect(status).to_have_text("Confirmed")
    with live_server.app.app_context():
        assert db.session.get(Product, ids["atta"]).reserved_milli == 1000  # type: ignore[union-attr]
        assert db.session.get(Product, ids["dal"]).reserved_milli == 1500  # type: ignore[union-attr]

    # At the counter only what the order does not hold is for sale.
    page.goto("/pos/")
    with live_server.app.app_context():
        atta_code = db.session.get(Product, ids["atta"]).code  # type: ignore[union-attr]
    page.locator("#scan").press_sequentially(f"10*{atta_code}")
    page.locator("#scan").press("Enter")
    expect(page.locator("#cart-body .item-note")).to_have_text(
        "Only 9 pcs available (the rest is held for orders)"
    )
    page.locator("#new-bill").click()
    # The slip's number, typed or scanned into the till's scan field, opens the order.
    page.locator("#scan").press_sequentially(number.lower())
    page.locator("#scan").press("Enter")
    expect(page).to_have_url(re.compile(r"/orders/\d+$"))
    expect(status).to_have_text("Confirmed")
    badge = page.locator("[data-open-orders-badge]")
    expect(badge).to_have_text("1")

    press_step(page, "packed")
    expect(status).to_have_text("Packed")
    expect(page.locator('[data-step="ready_for_pickup"]')).to_have_count(0)
    press_step(page, "out_for_delivery")
    expect(status).to_have_text("Out for delivery")
    expect(page.locator("[data-status-message]")).to_contain_text(
        f"your order {number} from My Shop is out for delivery, ₹480.00 to pay"
    )
    expect(page.locator("[data-wa-link]")).to_have_attribute(
        "href", re.compile(r"^https://wa\.me/919811122233\?text=")
    )
    shot(page, "order-detail-1366.png")
    page.goto("/orders/")
    expect(page.locator('[data-column="out_for_delivery"] [data-order-card]')).to_have_count(1)
    no_sideways_scroll(page)
    shot(page, "orders-board-1366.png")

    # At the door: the customer pays by UPI, the QR is on the payment step.
    page.locator(f'[data-order-card="{number}"]').click()
    press_step(page, "delivered")
    expect(page).to_have_url(re.compile(r"/orders/\d+/deliver$"))
    expect(page.locator("[data-due]")).to_have_text("₹480.00")
    expect(page.locator("[data-upi-qr]")).to_contain_text("sharma.store@okaxis")
    qr = decode_qr(page.locator("[data-upi-qr] svg").screenshot())
    assert qr.startswith("upi://pay?pa=sharma.store@okaxis&") and "&am=480.00&" in qr
    cash = page.locator("#pay-cash")
    expect(cash).to_be_focused()
    cash.fill("")
    page.keyboard.press("Tab")
    page.keyboard.type("480")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator("#upi-reference")).to_be_focused()
    page.keyboard.type("412345678901")
    shot(page, "order-deliver-1366.png")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/invoices/\d+$"))
    expect(page.locator("body")).to_contain_text("delivered")
    shot(page, "order-invoice-1366.png")

    with live_server.app.app_context():
        order = db.session.scalar(select(Order).where(Order.number == number))
        assert order is not None and order.status == "delivered"
        invoice = db.session.get(Invoice, order.invoice_id)
        assert invoice is not None and invoice.total == 480_00 and invoice.status == "paid"
        assert [(p.method, p.amount, p.reference) for p in invoice.payments] == [
            ("upi", 480_00, "412345678901")
        ]
        assert sorted((line.name, line.qty_milli) for line in invoice.lines) == [
            ("Aashirvaad atta 5kg", 1000),
            ("Delivery charge", 1000),
            ("Toor dal", 1500),
        ]
        customer = db.session.get(Customer, order.customer_id)
        assert customer is not None and customer.name == "Meena Iyer"
        assert ledger.balance(db.session, customer.id) == 0
        atta = db.session.get(Product, ids["atta"])
        dal = db.session.get(Product, ids["dal"])
        assert atta is not None and (atta.stock_milli, atta.reserved_milli) == (9000, 0)
        assert dal is not None and (dal.stock_milli, dal.reserved_milli) == (18_500, 0)
        report = integrity.run_checks(db.session)  # what `app.py check` runs
        assert report.ok, report.problems
    assert not page.js_errors, page.js_errors


def test_pickup_order_on_khata_on_a_phone(browser: Any, live_server: Any) -> None:
    shop(live_server)
    page = open_till(browser, live_server, PHONE)
    page.goto("/orders/new")
    take_by_keyboard(page, phone="98111 44455", name="Ravi Shah", delivery=False, plan="khata")
    no_sideways_scroll(page)
    shot(page, "order-form-390.png")
    page.locator("#order-save").click()
    expect(page).to_have_url(re.compile(r"/orders/\d+$"))
    # 250 + 1.5 × 140
    expect(page.locator("[data-estimate]")).to_have_text("₹460.00")
    for step, label in (
        ("confirmed", "Confirmed"),
        ("packed", "Packed"),
        ("ready_for_pickup", "Ready for pickup"),
    ):
        press_step(page, step)
        expect(page.locator("[data-order-status]")).to_have_text(label)
    expect(page.locator('[data-step="out_for_delivery"]')).to_have_count(0)
    no_sideways_scroll(page)
    shot(page, "order-detail-390.png")
    page.goto("/orders/")
    no_sideways_scroll(page)
    shot(page, "orders-board-390.png")
    page.locator("[data-order-card]").first.click()
    press_step(page, "delivered")
    expect(page).to_have_url(re.compile(r"/orders/\d+/deliver$"))
    expect(page.locator("[data-upi-qr]")).to_have_count(0)  # nothing to collect: on khata
    no_sideways_scroll(page)
    shot(page, "order-deliver-390.png")
    page.locator("[data-deliver]").click()
    expect(page).to_have_url(re.compile(r"/invoices/\d+$"))
    with live_server.app.app_context():
        customer = db.session.scalar(select(Customer).where(Customer.name == "Ravi Shah"))
        assert customer is not None
        assert ledger.balance(db.session, customer.id) == 460_00
        entries = db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.customer_id == customer.id)
        ).all()
        assert [(e.kind, e.amount) for e in entries] == [("credit_sale", 460_00)]
        invoice = db.session.scalar(select(Invoice).where(Invoice.customer_id == customer.id))
        assert invoice is not None and invoice.total == 460_00 and invoice.status == "unpaid"
        report = integrity.run_checks(db.session)
        assert report.ok, report.problems
    assert not page.js_errors, page.js_errors
