"""No page scrolls sideways: every admin and cashier page at phone, laptop and shop widths.

The pages come from the app's URL map (every GET page without parameters, plus one page of
each kind that takes an id), on a demo shop with history, a return and a low-stock badge, so
a new page is measured without anyone remembering to add it here.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import CashSession, CreditNote, Customer, Invoice, LedgerEntry, Purchase
from posapp.models.orders import Order
from posapp.services import cash_sessions, inventory, orders
from posapp.services.demo import build_demo_shop
from posapp.web.books import STATEMENTS as BOOKS_STATEMENTS
from posapp.web.desktop import QUIT_KEY
from posapp.web.reports import GST_RETURNS, TITLES
from tests.e2e.conftest import log_in
from tests.factories import make_product, make_user

# One width per layout the CSS has, at its narrowest, where a page is likeliest to overflow:
# a phone (below 576 px), the folded menu (992-1199 px: 1024), the open menu at its tightest
# (1200-1399 px: 1200), and 1366x768, the laptop the product promises. From 1200 to 1399 px
# a page's body is the same 1140 px container (or fluid) and the full-width menu bar only
# gains room, so 1280 (measured until round 3) could show nothing 1200 does not.
WIDTHS = (390, 1024, 1200, 1366)
# Not pages a person reads in the browser window: files, images, JSON, and the pages of
# logging in. The till (pos.index) is measured by the till's own tests, which own its layout.
NOT_PAGES = {
    "auth.login",
    "auth.login_code",
    "auth.setup",
    "auth.two_step",
    "backups.job_status",
    "pos.held",
    "pos.index",
    "product_csv.export",
    "product_csv.template",
    "switch_in.template",
    "network.qr",
    "hq_due.due",  # JSON for the customer page's "due at all shops" line
    # The customer display has no menu and owns its layout (tests/e2e/test_customer_display.py);
    # its state is JSON, its claim a redirect.
    "display.index",
    "display.state",
    "display.claim",
}
FILE_SUFFIXES = (".csv", ".pdf", "/pdf", ".png", ".svg", "/file/<name>")


def _pages(app: Any) -> list[str]:
    """The paths to measure: parameterless GET pages, then one of each kind with an id."""
    with app.app_context():
        invoice_id = db.session.scalar(
            select(CreditNote.invoice_id).order_by(CreditNote.id).limit(1)
        )
        # A customer who bought on credit and paid: a page with both Debit and Credit.
        paid = db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.payment_id.is_not(None)).limit(1)
        ).one()
        customer_id, payment_id = paid.customer_id, paid.payment_id
        purchase = db.session.scalar(select(Purchase).limit(1))
        cash_id = db.session.scalar(select(CashSession.id).limit(1))
        supplier_id = db.session.scalar(
            select(Purchase.supplier_id).where(Purchase.paid < Purchase.payable).limit(1)
        )
        sent = db.session.scalar(select(Order.id).where(Order.status == "out_for_delivery"))
        pending = db.session.scalar(select(Order.id).where(Order.status == "pending"))
        assert invoice_id and customer_id and payment_id and purchase and cash_id and supplier_id
        assert sent and pending
        by_id = {
            "invoices.detail": f"/invoices/{invoice_id}",
            "pos.receipt": f"/pos/receipt/{invoice_id}",
            "customers.detail": f"/customers/{customer_id}",
            "customers.edit": f"/customers/{customer_id}/edit",
            "customers.payment_receipt": f"/customers/payments/{payment_id}/receipt",
            "products.detail": f"/products/{purchase.lines[0].product_id}",
            "products.edit": f"/products/{purchase.lines[0].product_id}/edit",
            "inventory.adjust": f"/inventory/adjust/{purchase.lines[0].product_id}",
            "inventory.purchase": f"/inventory/purchases/{purchase.id}",
            "cash.z_report": f"/cash/{cash_id}/z",
            "suppliers.detail": f"/suppliers/{supplier_id}",
            "suppliers.edit": f"/suppliers/{supplier_id}/edit",
            "suppliers.return_goods": f"/suppliers/purchases/{purchase.id}/return",
            "orders.detail": f"/orders/{sent}",
            "orders.deliver_form": f"/orders/{sent}/deliver",
            "orders.edit": f"/orders/{pending}/edit",
            "switch_in.upload": "/import/customers",
        }
        db.session.remove()
    paths: list[str] = []
    with_ids: set[str] = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint in NOT_PAGES:
            continue
        if rule.rule.startswith(("/api", "/static")) or rule.rule.endswith(FILE_SUFFIXES):
            continue
        if rule.endpoint == "reports.show":
            paths += [f"/reports/{name}" for name in TITLES]
        elif rule.endpoint == "books.show":
            paths += [f"/books/{name}" for name in BOOKS_STATEMENTS]
        elif rule.arguments:
            with_ids.add(rule.endpoint)
        else:
            paths.append(rule.rule)
    # A new page with an id must be given one above, not skipped in silence (an import
    # preview needs an uploaded file; the import tests look at it).
    assert with_ids <= set(by_id) | {"product_csv.preview", "switch_in.preview"}, with_ids - set(
        by_id
    )
    assert all(f"/reports/gst/{name}" in paths for name in GST_RETURNS)
    return sorted(set(paths)) + sorted(by_id.values())


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(page: Any, live_server: Any, width: int) -> None:
    with live_server.app.app_context():
        admin = make_user(db.session, "owner", "admin")
        build_demo_shop(db.session, days=4)
        # A product below its low-stock level, so the menu carries its badge.
        low = make_product(
            db.session, name="Almost gone", opening_stock="1", low_stock_threshold="5"
        )
        inventory.receive_stock(
            db.session,
            {
                "supplier": "Metro Cash & Carry",
                "paid_now": "2.50",  # the rest on credit: the supplier page has an open bill
                "lines": [{"product_id": low.id, "quantity": "1", "unit_cost": "6"}],
            },
            admin.id,
        )
        cash_sessions.open_session(db.session, {"opening_float": "500"}, admin)
        # Open orders (one on its way, one pending), so the menu carries their badge too.
        draft = orders.parse_order(
            {
                "customer": {"name": "Order customer", "phone": "98111 00000"},
                "items": [{"product_id": low.id, "quantity": "1"}],
                "fulfilment": "delivery",
                "address": "Flat 1, a long lane name that wraps on a phone",
                "delivery_charge": "20",
            }
        )
        sent = orders.create_order(db.session, draft, admin, "orders")
        for to in ("confirmed", "packed", "out_for_delivery"):
            orders.change_status(db.session, sent.id, to, admin)
        orders.create_order(db.session, draft, admin, "orders")
        assert db.session.scalar(select(Customer.id).limit(1))
        assert db.session.scalar(select(Invoice.id).limit(1))
        db.session.remove()
    paths = _pages(live_server.app)
    # The browser fallback of the desktop app adds "Quit TillBook" to the bar: the widest case.
    # Never called: the test never presses it.
    live_server.app.extensions[QUIT_KEY] = lambda: None
    page.set_viewport_size({"width": width, "height": 768})
    log_in(page, "owner")
    wide: list[str] = []
    for path in paths:
        response = page.goto(path)
        # GSTR-1 answers 409 on a shop without a GSTIN: its page still has to fit.
        assert response is not None and response.status < 500, path
        expect(page.locator("nav.app-navbar")).to_be_visible()
        measured = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if measured[0] > measured[1]:
            wide.append(f"{path}: {measured[0]} px in {measured[1]}")
    assert not wide, wide
    # The low-stock badge and Quit were on every page, and with them the menu still fits.
    expect(page.locator("[data-low-stock-badge]")).to_be_attached()
    expect(page.locator("[data-open-orders-badge]")).to_be_attached()
    expect(page.locator("[data-desktop-quit]")).to_be_attached()


def test_a_customers_money_columns_fit_a_phone(page: Any, live_server: Any) -> None:
    with live_server.app.app_context():
        make_user(db.session, "owner", "admin")
        build_demo_shop(db.session, days=4)
        paid = db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.payment_id.is_not(None)).limit(1)
        ).one()
        customer_id = paid.customer_id
        db.session.remove()
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "owner")
    # By keyboard: the folded menu opens with Enter and reaches Customers, then the customer.
    page.goto("/cash/")
    toggler = page.locator(".navbar-toggler")
    expect(toggler).to_be_visible()
    toggler.focus()
    page.keyboard.press("Enter")
    customers = page.locator("#main-nav a.nav-link", has_text="Customers")
    expect(customers).to_be_visible()
    customers.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/customers/")
    page.locator(f'a[href$="/customers/{customer_id}"]').first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/customers/{customer_id}")
    history = page.locator("[data-history]")
    expect(history).to_be_visible()
    for name in ("Debit", "Credit", "Balance"):
        header = history.get_by_role("columnheader", name=name, exact=True)
        expect(header).to_be_visible()
        box = header.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (name, box)
    # The table itself does not scroll sideways either: nothing is hidden to the right.
    assert page.evaluate(
        "(() => { const t = document.querySelector('[data-history]').parentElement;"
        " return t.scrollWidth <= t.clientWidth; })()"
    )
    balance = history.locator("tbody tr").first.locator("td").last
    expect(balance).to_contain_text("₹")
