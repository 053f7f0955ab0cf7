"""Approvals at the till, by keyboard at 1366×768: a cashier's sale the shop's rules refuse
(short stock under "block", a discount above the cashier's limit, credit over the limit)
opens the PIN dialog; an admin's username and PIN complete it, Esc goes back to the bill."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from posapp.extensions import db
from posapp.models import AuditLog, Product
from posapp.services import users
from posapp.services.settings import load_settings
from tests.e2e.conftest import log_in, scan
from tests.factories import PASSWORD, make_customer, make_product, make_user

pytestmark = pytest.mark.e2e

# A sale sent with a PIN checks the scrypt hash (and a wrong PIN's throttle) before it is
# written: on a CI machine shared with other jobs that took over Playwright's 5 s default.
AFTER_PIN_MS = 20_000
PIN = "2580"
SHOTS = Path("/tmp/c19-approvals")


@pytest.fixture
def laptop(page: Any) -> Iterator[Any]:
    """The till at the most common shop-laptop screen."""
    page.set_viewport_size({"width": 1366, "height": 768})
    yield page


def approve(page: Any, username: str, pin: str) -> None:
    """Type the admin's username and PIN in the dialog by keyboard and press Enter."""
    expect(page.locator("#approval-username")).to_be_focused()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    expect(page.locator("#approval-pin")).to_be_focused()
    page.keyboard.type(pin)
    page.keyboard.press("Enter")


def overrides(live_server: Any) -> list[str]:
    with live_server.app.app_context():
        return [row.after for row in db.session.query(AuditLog).filter_by(action="sale.override")]


def test_short_stock_under_block_is_approved_with_an_admin_pin(
    laptop: Any, live_server: Any
) -> None:
    page = laptop
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        users.set_pin(db.session, owner.id, PIN, PIN)
        make_user(db.session, "cash1", "cashier")
        butter = make_product(
            db.session,
            name="Amul Butter 100g",
            price="58.00",
            opening_stock="1",
            low_stock_threshold="0",
        )
        code, butter_id = butter.code, butter.id
    log_in(page, "cash1")
    scan(page, code)
    scan(page, code)
    expect(page.locator("#total-amount")).to_have_text("₹116.00")

    page.keyboard.press("F9")
    dialog = page.locator("#approval-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("[data-reason=stock_short]")).to_have_text(
        "Stock short: Amul Butter 100g — selling 2 pcs, 1 pcs in stock"
    )
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "approval-1366.png"), animations="disabled")

    # Esc goes back to the bill untouched.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#checkout-alert")).to_contain_text("An admin must approve this sale")
    expect(page.locator("#cart-body tr")).to_have_count(1)

    # A wrong PIN keeps the dialog open with the reason; the right one completes the sale.
    page.keyboard.press("F9")
    expect(dialog).to_be_visible()
    approve(page, "owner", "1111")
    expect(page.locator("#approval-error")).to_have_text("Wrong admin username or PIN.")
    expect(page.locator("#approval-pin")).to_be_focused()
    page.keyboard.type(PIN)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/pos/receipt/\d+"), timeout=AFTER_PIN_MS)

    with live_server.app.app_context():
        assert db.session.get(Product, butter_id).stock_milli == -1000
    [entry] = overrides(live_server)
    assert '"approved_by": "owner"' in entry and '"cashier": "cash1"' in entry

    # The negative stock shows on the low-stock list.
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("#f-username", "owner")
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.goto("/products/?filter=low")
    row = page.locator("tr", has_text="Amul Butter 100g")
    expect(row).to_contain_text("-1")


def test_a_bill_discount_above_the_cashiers_limit_asks_for_an_admin(
    laptop: Any, live_server: Any
) -> None:
    page = laptop
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        users.set_pin(db.session, owner.id, PIN, PIN)
        make_user(db.session, "cash1", "cashier")
        code = make_product(db.session, name="Tata Tea 500g", price="250.00").code
    log_in(page, "cash1")
    scan(page, code)
    discount = page.locator("#bill-discount")
    discount.focus()
    page.keyboard.type("20%")
    page.keyboard.press("Tab")
    expect(page.locator("#total-amount")).to_have_text("₹200.00")
    page.keyboard.press("F9")
    dialog = page.locator("#approval-dialog")
    expect(dialog.locator("[data-reason=bill_discount]")).to_have_text(
        "Bill discount of ₹50.00 (20 %) is above the cashier limit of 5 %."
    )
    approve(page, "owner", PIN)
    expect(page).to_have_url(re.compile(r"/pos/receipt/\d+"), timeout=AFTER_PIN_MS)
    [entry] = overrides(live_server)
    assert "bill_discount" in entry


def test_credit_over_the_limit_is_approved_at_the_till(laptop: Any, live_server: Any) -> None:
    page = laptop
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        users.set_pin(db.session, owner.id, PIN, PIN)
        make_user(db.session, "cash1", "cashier")
        code = make_product(db.session, name="Atta 5kg", price="250.00").code
        make_customer(db.session, owner, name="Ramu Kaka", phone="98765 43210", credit_limit="100")
    log_in(page, "cash1")
    scan(page, code)
    page.keyboard.press("F4")
    page.keyboard.type("Ramu")
    expect(page.locator("#customer-suggestions .suggestion").first).to_contain_text("Ramu Kaka")
    page.keyboard.press("Enter")
    expect(page.locator("#customer-chip")).to_contain_text("Ramu Kaka")
    page.locator("#pay-credit").focus()
    page.keyboard.type("250")
    page.keyboard.press("F9")
    dialog = page.locator("#approval-dialog")
    expect(dialog.locator("[data-reason=credit_limit]")).to_contain_text("Ramu Kaka")
    approve(page, "owner", PIN)
    expect(page).to_have_url(re.compile(r"/pos/receipt/\d+"), timeout=AFTER_PIN_MS)
    [entry] = overrides(live_server)
    assert "credit_limit" in entry and '"approved_by": "owner"' in entry


def test_f7_gives_a_line_discount_and_20_percent_needs_an_admin(
    laptop: Any, live_server: Any
) -> None:
    page = laptop
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        users.set_pin(db.session, owner.id, PIN, PIN)
        make_user(db.session, "cash1", "cashier")
        code = make_product(db.session, name="Fortune Oil 1L", price="150.00").code
    log_in(page, "cash1")
    scan(page, code)
    scan(page, code)
    expect(page.locator("#total-amount")).to_have_text("₹300.00")
    expect(page.get_by_text("line price / discount")).to_be_visible()  # the help line

    page.keyboard.press("F7")
    editor = page.locator("#line-dialog")
    expect(editor).to_be_visible()
    expect(page.locator("#line-discount")).to_be_focused()
    page.keyboard.type("abc")
    page.keyboard.press("Enter")
    expect(page.locator("#line-error")).to_contain_text("percent like 10%")
    page.keyboard.press("Control+a")
    page.keyboard.type("20%")
    page.keyboard.press("Enter")
    expect(editor).to_be_hidden()
    expect(page.locator("#total-amount")).to_have_text("₹240.00")
    expect(page.locator("#cart-body tr").first).to_contain_text("discount ₹60.00")
    page.screenshot(path=str(SHOTS / "line-discount-1366.png"), animations="disabled")

    page.keyboard.press("F9")
    dialog = page.locator("#approval-dialog")
    expect(dialog.locator("[data-reason=line_discount]")).to_have_text(
        "Discount of ₹60.00 (20 %) on Fortune Oil 1L is above the cashier limit of 10 %."
    )
    approve(page, "owner", PIN)
    expect(page).to_have_url(re.compile(r"/pos/receipt/\d+"), timeout=AFTER_PIN_MS)
    [entry] = overrides(live_server)
    assert "line_discount" in entry


def test_f7_changes_a_price_which_an_admin_approves(laptop: Any, live_server: Any) -> None:
    page = laptop
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        users.set_pin(db.session, owner.id, PIN, PIN)
        make_user(db.session, "cash1", "cashier")
        code = make_product(db.session, name="Maggi 70g", price="14.00", cost="12.00").code
    log_in(page, "cash1")
    scan(page, code)
    expect(page.locator("#total-amount")).to_have_text("₹14.00")
    page.keyboard.press("F7")
    expect(page.locator("#line-discount")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#line-price")).to_be_focused()
    page.keyboard.press("Control+a")
    page.keyboard.type("11")
    page.keyboard.press("Enter")
    expect(page.locator("#total-amount")).to_have_text("₹11.00")
    page.keyboard.press("F9")
    dialog = page.locator("#approval-dialog")
    expect(dialog.locator("[data-reason=below_cost]")).to_have_text(
        "Maggi 70g at ₹11.00 is below its cost of ₹12.00."
    )
    approve(page, "owner", PIN)
    expect(page).to_have_url(re.compile(r"/pos/receipt/\d+"), timeout=AFTER_PIN_MS)
    with live_server.app.app_context():
        actions = [row.action for row in db.session.query(AuditLog)]
    assert "sale.price_change" in actions and "sale.override" in actions


def test_first_run_offers_the_stock_policy(laptop: Any, live_server: Any) -> None:
    page = laptop
    page.goto("/setup")
    expect(page.locator("#f-stock_policy-block")).to_be_checked()  # the default
    page.keyboard.type("Sharma Kirana")  # the shop name has the focus
    page.keyboard.press("Tab")
    page.keyboard.type("owner")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    expect(page.locator("#f-stock_policy-block")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#f-stock_policy-warn")).to_be_checked()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/products/$"))
    with live_server.app.app_context():
        assert load_settings(db.session).stock_policy == "warn"


def test_on_a_phone_the_line_editor_and_the_pin_dialog_fit_and_work(
    page: Any, live_server: Any
) -> None:
    """At 390 px there is no F7: tapping the item's name opens the editor; both dialogs fit."""
    page.set_viewport_size({"width": 390, "height": 844})
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        users.set_pin(db.session, owner.id, PIN, PIN)
        make_user(db.session, "cash1", "cashier")
        code = make_product(db.session, name="Fortune Oil 1L", price="150.00").code
    log_in(page, "cash1")
    scan(page, code)
    expect(page.locator("#total-amount")).to_have_text("₹150.00")

    def fits(selector: str) -> None:
        box = page.locator(selector).bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (selector, box)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways ({width} px) with {selector} open"

    page.locator("#cart-body .item-name").first.click()
    editor = page.locator("#line-dialog")
    expect(editor).to_be_visible()
    expect(page.locator("#line-name")).to_contain_text("Fortune Oil 1L")
    fits("#line-dialog")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "line-editor-390.png"), animations="disabled")
    page.locator("#line-discount").fill("20%")
    page.locator("#line-discount").press("Enter")
    expect(editor).to_be_hidden()
    expect(page.locator("#total-amount")).to_have_text("₹120.00")

    page.locator("#tendered").fill("120")
    page.locator("#complete").click()
    dialog = page.locator("#approval-dialog")
    expect(dialog.locator("[data-reason=line_discount]")).to_be_visible()
    fits("#approval-dialog")
    page.screenshot(path=str(SHOTS / "approval-390.png"), animations="disabled")
    approve(page, "owner", PIN)
    expect(page).to_have_url(re.compile(r"/pos/receipt/\d+"), timeout=AFTER_PIN_MS)
    [entry] = overrides(live_server)
    assert "line_discount" in entry
