"""The till in a real browser against the real server: first run to printed receipt."""

from __future__ import annotations

import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from posapp.extensions import db
from posapp.services.counters import financial_year
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, make_product, make_user

pytestmark = pytest.mark.e2e


def add_product_via_form(
    page: Any, name: str, price: str, stock: str, *, unit: str = "pcs", another: bool = False
) -> None:
    page.fill("#f-name", name)
    page.select_option("#f-unit", unit)
    page.fill("#f-price", price)
    page.get_by_role("button", name="5%", exact=True).click()  # the tax preset
    expect(page.locator("#f-tax_rate")).to_have_value("5")
    page.fill("#f-opening_stock", stock)
    label = "Save and add another" if another else "Save"
    page.get_by_role("button", name=label, exact=True).click()


def test_first_run_to_receipt(page: Any, artifacts: Path) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/setup$"))
    page.fill("#f-shop_name", "Sharma General Store")
    page.fill("#f-username", "owner")
    page.fill("#f-password", PASSWORD)
    page.fill("#f-confirm", PASSWORD)
    page.get_by_role("button", name="Create admin and start").click()
    expect(page).to_have_url(re.compile(r"/products/$"))
    expect(page.locator(".navbar")).to_contain_text("Sharma General Store")

    page.get_by_role("link", name="Add the first product").click()
    add_product_via_form(page, "Tata Salt 1kg", "45.00", "10", another=True)
    expect(page).to_have_url(re.compile(r"/products/new$"))
    flash = page.locator(".alert-success")
    expect(flash).to_contain_text("Added Tata Salt 1kg")
    code = re.search(r"\((\d{13})\)", flash.inner_text()).group(1)  # the generated EAN-13

    add_product_via_form(page, "Basmati Rice", "120.00", "25", unit="kg")
    expect(page.locator("h1")).to_contain_text("Basmati Rice")

    page.get_by_role("link", name="Till", exact=True).click()
    scan = page.locator("#scan")
    rows = page.locator("#cart-body tr")
    total = page.locator("#total-amount")
    expect(scan).to_be_focused()

    for _ in range(2):  # a scanner types the code and Enter
        scan.press_sequentially(code)
        scan.press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".qty-input")).to_have_value("2")
    expect(rows.first).to_contain_text("Tata Salt 1kg")
    expect(total).to_have_text("₹90.00")

    scan.press_sequentially("4006381333931")
    scan.press("Enter")
    expect(page.locator("#scan-alert")).to_have_text("Unknown code: 4006381333931")
    expect(page.locator("#scan-alert")).to_be_visible()
    expect(rows).to_have_count(1)
    expect(total).to_have_text("₹90.00")
    expect(scan).to_have_value("4006381333931")  # kept, selected, to correct
    expect(scan).to_be_focused()
    page.keyboard.press("Escape")
    expect(scan).to_have_value("")

    scan.press_sequentially("basm")
    suggestions = page.locator("#suggestions .suggestion")
    expect(suggestions).to_have_count(1)
    expect(suggestions.first).to_contain_text("Basmati Rice")
    scan.press("ArrowDown")
    expect(suggestions.first).to_have_class(re.compile(r"\bactive\b"))
    scan.press("Enter")
    expect(rows).to_have_count(2)
    expect(rows.nth(1).locator(".qty-input")).to_have_value("1.000")
    expect(page.locator("#suggestions")).to_be_hidden()
    expect(page.locator("#scan-alert")).to_be_hidden()
    expect(total).to_have_text("₹210.00")
    expect(scan).to_be_focused()

    page.locator("#tendered").fill("500")
    expect(page.locator("#change")).to_have_text("₹290.00")
    page.screenshot(path=str(artifacts / "till.png"), animations="disabled")

    page.keyboard.press("F9")
    expect(page).to_have_url(re.compile(r"/pos/receipt/\d+"))
    receipt = page.locator(".receipt")
    number = f"INV{financial_year(datetime.now(), 4)}-000001"
    expect(receipt.locator(".r-number")).to_have_text(number)
    expect(receipt.locator(".r-grand")).to_contain_text("₹210.00")
    expect(receipt.locator("[data-change]")).to_have_text("₹290.00")
    expect(receipt).to_contain_text("Sharma General Store")
    expect(page.get_by_role("link", name="Invoice PDF")).to_have_attribute(
        "href", re.compile(r"^/api/v1/invoice/\d+/pdf$")
    )

    page.get_by_role("link", name=re.compile("New sale")).click()
    expect(page).to_have_url(re.compile(r"/pos/$"))
    expect(rows).to_have_count(0)  # the sold cart is gone
    expect(total).to_have_text("₹0.00")


def test_theme_choice_is_remembered_and_applied_before_paint(page: Any) -> None:
    # Record the theme at the moment <body> appears: anything set later would flash.
    page.add_init_script(
        """
        new MutationObserver((_, observer) => {
          if (document.body) {
            window.__themeAtBody = document.documentElement.dataset.bsTheme;
            observer.disconnect();
          }
        }).observe(document, {childList: true, subtree: true});
        """
    )
    page.goto("/setup")
    html = page.locator("html")
    expect(html).to_have_attribute("data-bs-theme", "light")
    page.locator("[data-theme-toggle]").click()
    expect(html).to_have_attribute("data-bs-theme", "dark")
    page.reload()
    expect(html).to_have_attribute("data-bs-theme", "dark")
    assert page.evaluate("window.__themeAtBody") == "dark"
    page.locator("[data-theme-toggle]").click()
    page.reload()
    expect(html).to_have_attribute("data-bs-theme", "light")


def test_the_theme_survives_a_new_port_and_an_old_choice_moves_to_the_cookie(
    browser: Any, live_server: Any
) -> None:
    # The desktop app serves on a new random port at every start: a new origin, same host.
    second = LiveServer(live_server.app).start()
    context = browser.new_context(color_scheme="light")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/setup")
        page.locator("[data-theme-toggle]").click()
        (cookie,) = [c for c in context.cookies() if c["name"] == "tillbook_theme"]
        assert (cookie["value"], cookie["path"], cookie["sameSite"]) == ("dark", "/", "Lax")
        assert cookie["expires"] > time.time() + 360 * 24 * 3600  # about a year

        answer = page.goto(second.url + "/setup")
        assert 'data-bs-theme="dark"' in answer.text()  # rendered by the server: no flash
        expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")

        # An earlier version kept the choice in localStorage: it moves to the cookie once.
        context.clear_cookies()
        page.evaluate("window.localStorage.setItem('tillbook-theme', 'dark')")
        page.reload()
        expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
        assert any(
            c["name"] == "tillbook_theme" and c["value"] == "dark" for c in context.cookies()
        )
        assert page.evaluate("window.localStorage.getItem('tillbook-theme')") is None
    finally:
        context.close()
        second.stop()


def test_short_stock_is_refused_and_the_cart_survives(page: Any, live_server: Any) -> None:
    with live_server.app.app_context():
        make_user(db.session, "cash1", "cashier")
        code = make_product(
            db.session, name="Amul Butter 100g", price="58.00", opening_stock="3"
        ).code
    log_in(page, "cash1")
    scan = page.locator("#scan")
    rows = page.locator("#cart-body tr")
    scan.press_sequentially(code)
    scan.press("Enter")
    expect(rows).to_have_count(1)
    quantity = rows.first.locator(".qty-input")

    quantity.fill("2.5")  # pieces are whole: refused on the page already
    quantity.press("Enter")
    expect(rows.first.locator(".qty-error")).to_have_text("Pieces are counted in whole numbers.")
    expect(scan).to_be_focused()

    quantity.fill("5")
    quantity.press("Enter")
    expect(page.locator("#total-amount")).to_have_text("₹290.00")
    expect(rows.first.locator(".item-note")).to_have_text("Only 3 pcs in stock")

    page.keyboard.press("F9")
    # Stock short under "block": an admin must approve; Esc goes back to the bill.
    expect(page.locator("#approval-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    alert = page.locator("#checkout-alert")
    expect(alert).to_contain_text("Stock short: Amul Butter 100g")
    expect(alert).to_contain_text("3 pcs in stock")
    expect(page).to_have_url(re.compile(r"/pos/$"))
    expect(rows).to_have_count(1)
    expect(quantity).to_have_value("5")
    expect(page.locator("#complete")).to_be_enabled()

    page.reload()  # an accidental reload keeps the bill
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".qty-input")).to_have_value("5")
    expect(page.locator("#total-amount")).to_have_text("₹290.00")


def test_expired_and_negative_stock_warnings_on_the_line(page: Any, live_server: Any) -> None:
    from posapp.models.base import write_transaction
    from posapp.services import inventory
    from posapp.services.settings import save_settings

    with live_server.app.app_context():
        make_user(db.session, "cash1", "cashier")
        curd = make_product(db.session, name="Curd 400g", price="30.00", opening_stock="0")
        inventory.receive_stock(
            db.session,
            {
                "lines": [
                    {"code": curd.code, "quantity": "2", "unit_cost": "20", "expiry": "2020-05-01"}
                ]
            },
            None,
        )
        with write_transaction(db.session):
            save_settings(db.session, stock_policy="warn")
        code = curd.code
    log_in(page, "cash1")
    scan = page.locator("#scan")
    scan.press_sequentially(code)
    scan.press("Enter")
    row = page.locator("#cart-body tr").first
    warning = row.locator(".item-warn")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Expired stock on the shelf (2 pcs)")
    expect(row).to_have_class(re.compile(r"\btable-warning\b"))

    quantity = row.locator(".qty-input")
    quantity.fill("3")
    quantity.press("Enter")
    expect(warning).to_contain_text("Only 2 pcs in stock: this sale takes stock below zero")
    expect(page.locator("#total-amount")).to_have_text("₹90.00")


def test_scans_made_before_the_till_has_started_are_not_lost(page: Any, live_server: Any) -> None:
    """A scanner types code + Enter the moment the page shows; the till's module may still be
    loading (a slow laptop, a cold cache). Hold the module back and scan twice: both count."""
    with live_server.app.app_context():
        make_user(db.session, "cash1", "cashier")
        code = make_product(db.session, name="Parle-G 250g", price="25.00").code
    log_in(page, "cash1")
    held: list[Any] = []
    page.route(re.compile(r"/static/js/pos\.js"), lambda route: held.append(route))
    page.reload(wait_until="commit")
    scan = page.locator("#scan")
    expect(scan).to_be_focused()
    for _ in range(2):
        scan.press_sequentially(code)
        scan.press("Enter")
    expect(scan).to_have_value("")  # both codes were taken by the early queue
    assert len(held) == 1 and page.locator("#cart-body tr").count() == 0  # the till is not up yet
    held[0].continue_()
    rows = page.locator("#cart-body tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".qty-input")).to_have_value("2")
    expect(page.locator("#total-amount")).to_have_text("₹50.00")
