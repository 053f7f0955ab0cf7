"""The till's payment panel in a real browser: it fits a 1366×768 laptop and a 390 px phone,
one key per tender, Enter to finish, the keystrokes a cash sale takes, the cash-session banner."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import Invoice
from posapp.models.base import write_transaction
from posapp.services.settings import save_settings
from tests.e2e.conftest import open_till, scan_all
from tests.factories import make_customer, make_product, make_user

pytestmark = pytest.mark.e2e

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
PANEL = [
    "#total-amount",
    "#tendered",
    "#pay-upi",
    "#pay-card",
    "#pay-credit",
    "#change",
    "#complete",
]


def shop(live_server: Any, items: int = 3) -> list[str]:
    """An owner, a cashier and `items` products (₹100, ₹200, ₹50, then ₹10 each); their codes."""
    prices = ["100.00", "200.00", "50.00"] + ["10.00"] * max(0, items - 3)
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        make_user(db.session, "cash1", "cashier")
        make_customer(
            db.session, owner, name="Ramesh Kumar", phone="98765 43210", credit_limit="1000"
        )
        return [
            make_product(db.session, name=f"Item {i + 1} with a longer name", price=price).code
            for i, price in enumerate(prices[:items])
        ]


def in_view(page: Any, selector: str) -> bool:
    """The element lies wholly inside the viewport and nothing covers its centre."""
    return page.evaluate(
        """(selector) => {
          const el = document.querySelector(selector);
          const box = el.getBoundingClientRect();
          if (box.width === 0 || box.height === 0) return false;
          if (box.left < 0 || box.top < 0) return false;
          if (box.right > window.innerWidth || box.bottom > window.innerHeight) return false;
          const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
          return hit === el || el.contains(hit);
        }""",
        selector,
    )


def page_scroll(page: Any) -> dict[str, int]:
    return page.evaluate(
        """() => ({
          scrollY: window.scrollY,
          scrollHeight: document.documentElement.scrollHeight,
          scrollWidth: document.documentElement.scrollWidth,
          innerHeight: window.innerHeight,
          innerWidth: window.innerWidth,
        })"""
    )


def attach_customer(page: Any) -> None:
    page.keyboard.press("F4")
    page.locator("#customer-search").press_sequentially("98765 4")
    expect(page.locator("#customer-suggestions .suggestion")).to_have_count(1)
    page.locator("#customer-search").press("Enter")
    expect(page.locator("#customer-chip")).to_be_visible()


def test_at_1366_the_whole_panel_is_in_view_and_only_the_cart_scrolls(
    browser: Any, live_server: Any
) -> None:
    codes = shop(live_server, items=14)  # more lines than the cart shows at once
    page = open_till(browser, live_server, LAPTOP)
    scan_all(page, codes)
    attach_customer(page)  # the tallest panel: the customer chip and an enabled credit field
    expect(page.locator("#total-amount")).to_have_text("₹460.00")

    for selector in PANEL:
        assert in_view(page, selector), f"{selector} is not fully in view at 1366×768"
    sizes = page_scroll(page)
    assert sizes["scrollHeight"] <= sizes["innerHeight"], "the page itself scrolls"
    side = page.evaluate(
        "(() => { const s = document.querySelector('.till-side');"
        " return [s.scrollHeight, s.clientHeight]; })()"
    )
    assert side[0] <= side[1], "the payment column scrolls"
    cart = page.evaluate(
        "(() => { const c = document.querySelector('.cart-scroll');"
        " return [c.scrollHeight, c.clientHeight]; })()"
    )
    assert cart[0] > cart[1], "the cart scrolls on its own"

    # UPI sits next to cash, on the same row, to its right.
    cash = page.locator("#tendered").bounding_box()
    upi = page.locator("#pay-upi").bounding_box()
    assert abs(cash["y"] - upi["y"]) < 2
    assert upi["x"] > cash["x"] + cash["width"]

    # An error (a short cash payment, F9) keeps the total, the tenders and Complete in view.
    page.keyboard.press("F10")
    page.keyboard.type("50")
    page.keyboard.press("F9")
    expect(page.locator("#checkout-alert")).to_contain_text("short by ₹410.00")
    for selector in [*PANEL, "#checkout-alert"]:
        assert in_view(page, selector), f"{selector} left the view after an error"
    assert not page.js_errors
    page.context.close()


def test_tender_keys_fill_a_split_payment_and_enter_completes(
    browser: Any, live_server: Any
) -> None:
    codes = shop(live_server)
    page = open_till(browser, live_server, LAPTOP)
    # What the page sees of F10–F12: the keydown arrives and the till takes it from the browser.
    page.evaluate(
        """() => {
          window.tenderKeys = [];
          window.addEventListener("keydown", (event) => {
            if (!/^F1[0-2]$/.test(event.key)) return;
            window.tenderKeys.push([event.key, event.defaultPrevented]);
          });
        }"""
    )
    scan_all(page, codes)
    expect(page.locator("#total-amount")).to_have_text("₹350.00")

    page.keyboard.press("F11")
    expect(page.locator("#pay-upi")).to_be_focused()
    page.keyboard.type("200")
    page.keyboard.press("F12")
    expect(page.locator("#pay-card")).to_be_focused()
    page.keyboard.type("100")
    page.keyboard.press("F10")
    expect(page.locator("#tendered")).to_be_focused()
    page.keyboard.type("9")
    page.keyboard.press("F10")  # again: the content is selected, so the next digits replace it
    page.keyboard.type("100")
    expect(page.locator("#tendered")).to_have_value("100")
    expect(page.locator("#change")).to_have_text("₹50.00")
    assert page.evaluate("window.tenderKeys") == [
        ["F11", True],
        ["F12", True],
        ["F10", True],
        ["F10", True],
    ]
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/pos/receipt/\d+"))

    with live_server.app.app_context():
        invoice = db.session.scalars(select(Invoice)).one()
        paid = sorted((p.method, p.amount) for p in invoice.payments)
    assert invoice.total == 35000
    assert paid == [("card", 10000), ("cash", 5000), ("upi", 20000)]  # cash kept: 100 − 50 change
    assert not page.js_errors
    page.context.close()


def test_enter_when_not_paid_says_how_much_is_to_go_and_stays(
    browser: Any, live_server: Any
) -> None:
    codes = shop(live_server)
    page = open_till(browser, live_server, LAPTOP)
    scan_all(page, codes)
    expect(page.locator("#total-amount")).to_have_text("₹350.00")

    page.keyboard.press("F11")
    page.keyboard.type("100")
    page.keyboard.press("Enter")
    due = page.locator("#tender-due")
    expect(due).to_have_text("Not paid yet — ₹250.00 to go")
    expect(due).to_be_visible()
    expect(page.locator("#pay-upi")).to_be_focused()
    assert in_view(page, "#tender-due")
    assert in_view(page, "#total-amount")

    page.keyboard.press("F10")
    page.keyboard.type("200")
    expect(due).to_be_hidden()  # typing an amount takes the stale note away
    page.keyboard.press("Enter")
    expect(due).to_have_text("Not paid yet — ₹50.00 to go")
    expect(page.locator("#tendered")).to_be_focused()
    expect(page).to_have_url(re.compile(r"/pos/$"))
    with live_server.app.app_context():
        assert db.session.scalars(select(Invoice)).first() is None

    page.keyboard.press("F10")  # selects the 200, so the new amount replaces it
    page.keyboard.type("250")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/pos/receipt/\d+"))
    assert not page.js_errors
    page.context.close()


def test_keystrokes_for_three_scans_and_a_thousand_in_cash(browser: Any, live_server: Any) -> None:
    codes = shop(live_server)
    page = open_till(browser, live_server, LAPTOP)
    scan_all(page, codes)  # scans come from the scanner: not counted
    expect(page.locator("#total-amount")).to_have_text("₹350.00")

    keys = 0

    def press(key: str) -> None:
        nonlocal keys
        page.keyboard.press(key)
        keys += 1

    press("F10")
    for digit in "1000":
        press(digit)
    expect(page.locator("#change-label")).to_have_text("Change")
    expect(page.locator("#change")).to_have_text("₹650.00")  # the change, shown before completing
    press("Enter")
    expect(page).to_have_url(re.compile(r"/pos/receipt/\d+"))
    expect(page.locator("body")).to_contain_text("₹650.00")
    assert keys == 6  # was 15 keys (10 Tabs to reach "Cash tendered" + 1000 + F9)
    page.context.close()


def test_at_390_px_the_till_fits_a_phone(browser: Any, live_server: Any) -> None:
    codes = shop(live_server)
    page = open_till(browser, live_server, PHONE)
    scan_all(page, codes)
    expect(page.locator("#total-amount")).to_have_text("₹350.00")
    page.evaluate("window.scrollTo(0, 0)")

    sizes = page_scroll(page)
    assert sizes["scrollWidth"] <= sizes["innerWidth"], "the page scrolls sideways"
    header = page.locator(".cart-table thead th", has_text="Total")
    assert in_view(page, ".cart-table thead th:nth-child(5)")
    expect(header).to_be_visible()
    buttons = page.locator("#cart-body .remove-line")
    for i in range(3):
        box = buttons.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        total_cell = page.locator("#cart-body .item-total").nth(i).bounding_box()
        assert total_cell["x"] + total_cell["width"] <= PHONE["width"]
    expect(page.locator(".keyboard-hints")).to_be_hidden()
    for hint in page.locator(".till .key-hint").all():
        expect(hint).to_be_hidden()
    # Change and Complete on the bar at the bottom, in view while the cart is at the top.
    assert in_view(page, "#complete")
    assert in_view(page, "#change")

    page.keyboard.press("F10")  # a tablet with a keyboard: the keys work at any width
    page.keyboard.type("500")
    expect(page.locator("#change")).to_have_text("₹150.00")
    assert in_view(page, "#tendered"), "the cash field is hidden behind the bottom bar"
    assert in_view(page, "#complete")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/pos/receipt/\d+"))
    assert not page.js_errors
    page.context.close()


def test_the_till_asks_for_a_cash_session_before_the_first_sale(
    browser: Any, live_server: Any
) -> None:
    shop(live_server)
    with live_server.app.app_context(), write_transaction(db.session):
        save_settings(db.session, cash_session_required=True)
    page = open_till(browser, live_server, LAPTOP)
    banner = page.locator("#drawer-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Open a cash session before selling")
    assert in_view(page, "#drawer-banner")
    expect(page.locator("#scan")).to_be_focused()  # the scan field keeps the focus

    banner.get_by_role("link", name="Open a cash session").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/cash/$"))
    page.locator("#open-float").focus()
    page.keyboard.type("500")
    page.keyboard.press("Enter")
    expect(page.locator("body")).to_contain_text("open since")
    page.goto("/pos/")
    expect(page.locator("#scan")).to_be_focused()
    expect(page.locator("#drawer-banner")).to_have_count(0)
    page.context.close()


@pytest.mark.parametrize("width", [1024, 1280])
def test_other_laptop_widths_fit_too(browser: Any, live_server: Any, width: int) -> None:
    codes = shop(live_server)
    page = open_till(browser, live_server, {"width": width, "height": 768})
    scan_all(page, codes)
    attach_customer(page)
    expect(page.locator("#total-amount")).to_have_text("₹350.00")
    sizes = page_scroll(page)
    assert sizes["scrollWidth"] <= sizes["innerWidth"], "the page scrolls sideways"
    assert sizes["scrollHeight"] <= sizes["innerHeight"], "the page itself scrolls"
    for selector in PANEL:
        assert in_view(page, selector), f"{selector} is not fully in view at {width}×768"
    page.context.close()
