"""The customer display in real browsers: a cashier at 1366×768 pairs a tablet (1024×600,
no login) by the till's code, scans two items, takes UPI and completes; the display follows
each step to the thank-you with the invoice number, and once an admin revokes it, it gets
no more bills and shows the pairing form. Screenshots at 1024×600 and 390 px."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from posapp.extensions import db
from posapp.models import Invoice
from posapp.services import displays, upi
from posapp.web.display import CODES_KEY, COOKIE
from tests.e2e.conftest import log_in, scan
from tests.factories import PASSWORD, make_product, make_user
from tests.qr_reading import decode_qr as decode

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/h20-display")


class Contexts:
    """Browser contexts of one test, each failing the test on JS errors or CSP blocks."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.opened: list[Any] = []
        self.problems: list[str] = []

    def page(self, width: int, height: int) -> Any:
        context = self.browser.new_context(
            base_url=self.base_url, viewport={"width": width, "height": height}
        )
        context.set_default_timeout(10_000)
        self.opened.append(context)
        tab = context.new_page()
        tab.on("pageerror", lambda error: self.problems.append(f"JS: {error}"))
        tab.on(
            "console",
            lambda message: (
                self.problems.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return tab

    def close(self) -> None:
        for context in self.opened:
            context.close()


@pytest.fixture
def contexts(browser: Any, live_server: Any) -> Iterator[Contexts]:
    opened = Contexts(browser, live_server.url)
    yield opened
    opened.close()
    assert not opened.problems, opened.problems


def pairing_code(till: Any) -> str:
    """Open the Customer display dialog by keyboard and read its code."""
    till.locator("#display-open").focus()
    till.keyboard.press("Enter")
    dialog = till.locator("#display-pairing")
    expect(dialog).to_be_visible()
    code = dialog.locator("[data-display-code]")
    expect(code).to_have_text(re.compile(r"^\d{3} \d{3}$"))
    expect(dialog.locator("[data-display-url]")).to_have_text(re.compile(r"/display/$"))
    text = code.inner_text().replace(" ", "")
    SHOTS.mkdir(exist_ok=True)
    till.screenshot(path=str(SHOTS / "till-pairing-1366.png"))
    till.keyboard.press("Escape")  # the dialog closes and the scan field has the focus
    expect(dialog).to_be_hidden()
    expect(till.locator("#scan")).to_be_focused()
    return text


def test_the_display_follows_a_bill_from_first_scan_to_thank_you(
    contexts: Contexts, live_server: Any
) -> None:
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        make_user(db.session, "cash1", "cashier")
        upi.update_settings(
            db.session,
            {"upi_vpa_0": "sharma@okbank", "upi_default": "0", "upi_payee_name": "Sharma Store"},
            owner.id,
        )
        salt = make_product(db.session, name="Tata Salt 1kg", price="28.00").code
        rice = make_product(db.session, name="India Gate Basmati Rice 1kg", price="75.00").code
        sugar = make_product(db.session, name="Sugar 1kg", price="45.00").code

    till = contexts.page(1366, 768)
    log_in(till, "cash1")
    code = pairing_code(till)

    display = contexts.page(1024, 600)
    display.goto("/display/")
    expect(display.locator("#display")).to_have_count(0)  # only the pairing form
    display.locator("#f-code").focus()
    display.keyboard.type("000")  # a wrong code first: the form says so and pairs nothing
    display.keyboard.press("Tab")
    display.keyboard.type("Counter tablet")
    display.keyboard.press("Enter")
    expect(display.locator("[data-form-error]")).to_contain_text("6-digit code")
    display.screenshot(path=str(SHOTS / "display-pairing-form-1024x600.png"))
    display.locator("#f-code").fill("")
    display.locator("#f-code").focus()
    display.keyboard.type(code)
    display.keyboard.press("Enter")
    screen = display.locator("#display")
    expect(screen).to_have_attribute("data-stage", "idle")
    SHOTS.mkdir(exist_ok=True)
    display.screenshot(path=str(SHOTS / "display-idle-1024x600.png"))

    scan(till, salt)
    expect(screen).to_have_attribute("data-stage", "billing")
    lines = display.locator("#display-lines tr")
    expect(lines).to_have_count(1)
    expect(lines.nth(0)).to_contain_text("Tata Salt 1kg")
    expect(display.locator("#display-total")).to_have_text("₹28.00")

    scan(till, rice)
    expect(lines).to_have_count(2)
    expect(lines.nth(1)).to_contain_text("India Gate Basmati Rice 1kg")
    expect(lines.nth(1)).to_contain_text("₹75.00")
    expect(display.locator("#display-total")).to_have_text("₹103.00")
    expect(display.locator("#display-count")).to_have_text("2 items")

    # UPI: the cashier takes the whole amount by UPI (F11, the amount, Enter): the till's QR
    # opens, and the display shows the same amount and a QR of the very same pay link.
    till.keyboard.press("F11")
    expect(till.locator("#pay-upi")).to_be_focused()
    till.keyboard.type("103")
    till.keyboard.press("Enter")
    expect(till.locator("#upi-dialog")).to_be_visible()
    expect(screen).to_have_attribute("data-stage", "upi")
    expect(display.locator("#display-upi-amount")).to_have_text("₹103.00")
    qr = display.locator("#display-qr")
    expect(qr).to_be_visible()
    expect(qr).to_have_attribute("src", re.compile(r"^/display/qr\.png\?v=\d+$"))
    display.wait_for_function(  # the server's QR of the till's link has loaded
        "(qr => qr.complete && qr.naturalWidth > 200)(document.getElementById('display-qr'))"
    )
    shown = decode(display.locator("#display-qr").screenshot())
    assert shown == decode(till.locator("#upi-qr").screenshot())
    assert "pa=sharma@okbank" in shown and "am=103.00" in shown and "cu=INR" in shown
    display.screenshot(path=str(SHOTS / "display-upi-1024x600.png"))
    display.set_viewport_size({"width": 390, "height": 844})
    expect(qr).to_be_visible()
    assert display.evaluate("document.documentElement.scrollWidth") <= 390
    display.screenshot(path=str(SHOTS / "display-upi-390.png"))
    display.set_viewport_size({"width": 1024, "height": 600})
    # Esc on the till's QR (not received) takes the QR off the display; the amount stays.
    till.keyboard.press("Escape")
    expect(till.locator("#upi-dialog")).to_be_hidden()
    expect(qr).to_be_hidden()
    expect(display.locator("#display-upi-amount")).to_have_text("₹103.00")
    till.keyboard.press("Enter")  # the QR again, for the same bill
    expect(till.locator("#upi-dialog")).to_be_visible()
    expect(qr).to_be_visible()

    till.keyboard.press("Enter")  # received, and paid: the sale completes
    expect(till).to_have_url(re.compile(r"/pos/receipt/\d+"))
    with live_server.app.app_context():
        number = db.session.query(Invoice.number).one()[0]
    expect(screen).to_have_attribute("data-stage", "paid")
    expect(display.locator("#display-invoice")).to_have_text(number)
    expect(display.locator("#display-paid")).to_contain_text("Thank you")
    display.screenshot(path=str(SHOTS / "display-thanks-1024x600.png"))

    # The next scan (typed on the receipt page) starts the next bill on the display at once.
    till.keyboard.type(sugar)
    till.keyboard.press("Enter")
    expect(till).to_have_url(re.compile(r"/pos/$"))
    expect(screen).to_have_attribute("data-stage", "billing")
    expect(lines).to_have_count(1)
    expect(lines.nth(0)).to_contain_text("Sugar 1kg")
    display.screenshot(path=str(SHOTS / "display-bill-1024x600.png"))

    # An admin revokes the tablet: the next change reaches it no more, it shows the form.
    admin = contexts.page(1366, 768)
    log_in_admin(admin)
    admin.goto("/settings/displays/")
    row = admin.locator("tr", has_text="Counter tablet")
    expect(row).to_contain_text("cash1")
    admin.screenshot(path=str(SHOTS / "settings-displays-1366.png"))
    row.get_by_role("button", name="Revoke").click()
    expect(admin.locator(".alert-success")).to_contain_text("revoked")
    scan(till, salt)
    expect(till.locator("#cart-body tr")).to_have_count(2)
    expect(display.locator("#f-code")).to_be_visible()
    expect(display.locator("#display")).to_have_count(0)


def log_in_admin(page: Any) -> None:
    page.goto("/login")
    page.fill("#f-username", "owner")
    page.fill("#f-password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def test_a_paired_phone_follows_its_till_in_the_dark(contexts: Contexts, live_server: Any) -> None:
    """A phone at 390 px in dark mode, paired by its cookie alone: the total first, the lines
    below, no sideways scrolling; another till's bill never shows."""
    with live_server.app.app_context():
        cashier = make_user(db.session, "cash1", "cashier")
        make_user(db.session, "cash2", "cashier")
        codes = live_server.app.extensions[CODES_KEY]
        _device, token = displays.pair(
            db.session, codes, codes.issue(cashier.id).code, "Phone", "127.0.0.1"
        )
        names = ["Fortune Sunflower Oil 1L", "Parle-G Biscuits 800g", "Amul Taaza Milk 1L"]
        product_codes = [make_product(db.session, name=name).code for name in names]
        db.session.remove()
    phone_context = contexts.browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, color_scheme="dark"
    )
    contexts.opened.append(phone_context)
    host = live_server.url.split("//")[1].split(":")[0]
    phone_context.add_cookies(
        [{"name": COOKIE, "value": token, "domain": host, "path": "/display", "httpOnly": True}]
    )
    phone = phone_context.new_page()
    phone.on("pageerror", lambda error: contexts.problems.append(f"JS: {error}"))
    phone.goto("/display/")
    screen = phone.locator("#display")
    expect(screen).to_have_attribute("data-stage", "idle")
    assert phone.evaluate("document.documentElement.dataset.bsTheme") == "dark"

    other = contexts.page(1366, 768)
    log_in(other, "cash2")
    scan(other, product_codes[0])
    expect(other.locator("#cart-body tr")).to_have_count(1)

    till = contexts.page(1366, 768)
    log_in(till, "cash1")
    for code in product_codes:
        scan(till, code)
    expect(phone.locator("#display-lines tr")).to_have_count(3)
    expect(phone.locator("#display-total")).to_have_text("₹30.00")
    till.keyboard.press("F10")
    till.keyboard.type("50")
    expect(phone.locator("#display-paying")).to_contain_text("₹20.00")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    SHOTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(SHOTS / "display-dark-390.png"))
    scan(other, product_codes[1])  # the other till's second item changes nothing here
    expect(other.locator("#cart-body tr")).to_have_count(2)
    expect(phone.locator("#display-lines tr")).to_have_count(3)
    expect(phone.locator("#display-total")).to_have_text("₹30.00")


# What pywebview injects into the desktop window, reduced to the one call the till makes; the
# real window (posapp/desktop.py DesktopApi.open_customer_display) is unit-tested.
FAKE_PYWEBVIEW = """
window.__opened = [];
window.pywebview = {api: {open_customer_display: (url) => {
  window.__opened.push(url);
  return Promise.resolve(true);
}}};
"""


def test_the_desktop_window_opens_an_already_paired_display(
    contexts: Contexts, live_server: Any
) -> None:
    with live_server.app.app_context():
        make_user(db.session, "cash1", "cashier")
        salt = make_product(db.session, name="Tata Salt 1kg", price="28.00").code
    till = contexts.page(1366, 768)
    till.context.add_init_script(FAKE_PYWEBVIEW)
    log_in(till, "cash1")
    button = till.locator("#display-window")
    expect(button).to_be_visible()
    button.focus()
    till.keyboard.press("Enter")
    till.wait_for_function("window.__opened.length === 1")
    url = till.evaluate("window.__opened[0]")
    assert url.startswith(f"{live_server.url}/display/claim/t-")
    expect(till.locator("#scan")).to_be_focused()

    window = contexts.page(1366, 768)  # the second window: no cookie of its own
    window.goto(url)
    screen = window.locator("#display")
    expect(screen).to_have_attribute("data-stage", "idle")
    scan(till, salt)
    expect(window.locator("#display-total")).to_have_text("₹28.00")
    # The address worked once: opened again, it is the pairing form.
    stranger = contexts.page(1024, 600)
    stranger.goto(url)
    expect(stranger.locator("#f-code")).to_be_visible()


def test_the_second_window_button_stays_hidden_in_a_browser(
    contexts: Contexts, live_server: Any
) -> None:
    with live_server.app.app_context():
        make_user(db.session, "cash1", "cashier")
    till = contexts.page(1366, 768)
    log_in(till, "cash1")
    expect(till.locator("#display-open")).to_be_visible()
    expect(till.locator("#display-window")).to_be_hidden()
