"""The counter in Hindi, in a real browser: log in, a credit sale at the till, its receipt, a
payment on the customer's page, a return from the bill; every screen on the way is read for
English left untranslated (visible text and the words people hear or read in attributes).

The shop's data is Hindi too (the shop, its products, the customer), so any Latin word left on
a page is the app's own: GST, UPI, units and the like are the same in Hindi, and the few data
values in Latin letters (the username, numbers of documents) are named per check.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from posapp.extensions import db
from posapp.models.base import write_transaction
from posapp.services import ledger, users
from posapp.services.settings import save_settings
from tests.factories import PASSWORD, make_customer, make_product, make_user
from tests.i18n.scan import KEPT, WORD

pytestmark = pytest.mark.e2e

# What the page shows and says: its text as laid out, and the attributes people read or hear
# (a field's hint, a button's tooltip, a screen reader's label), of elements that are shown.
READ_PAGE = """() => {
  const parts = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll("[placeholder],[title],[aria-label],[alt]")) {
    if (!el.getClientRects().length) continue;
    for (const name of ["placeholder", "title", "aria-label", "alt"]) {
      const value = el.getAttribute(name);
      if (value) parts.push(value);
    }
  }
  return parts.join("\\n");
}"""


# The names printed on the keys of the keyboard (the till's key help shows them as they are).
KEYS = {"Enter", "Esc", "Ctrl", "Shift", "Tab", "Alt", "Del", "Backspace", "Space", "Home", "End"}
# A document's number (INV2026-000001, CN2026-000001, PAY-000001) is an identifier, not a word.
DOCUMENT_NUMBER = re.compile(r"\b[A-Z]{2,4}[-/]?\d[\d/-]*\b")


def english_on(page: Any, *data: str) -> list[str]:
    """The lines of the page holding a word of English (beyond KEPT), once `data` — values
    of the shop's own that happen to be in Latin letters — is taken out."""
    text = page.evaluate(READ_PAGE)
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    text = DOCUMENT_NUMBER.sub(" ", text)
    found = []
    for line in text.splitlines():
        if [w for w in WORD.findall(line) if w not in KEPT and w not in KEYS]:
            found.append(line.strip()[:100])
    return found


def read_for_english(page: Any, where: str, found: dict[str, list[str]], *data: str) -> None:
    """Note what of the page is left in English (every page is read before the test fails,
    so one run lists everything left)."""
    left = english_on(page, *data)
    if left:
        found[where] = left


def test_credit_sale_payment_and_return_all_in_hindi(
    browser: Any, live_server: Any, artifacts: Path
) -> None:
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        cashier = make_user(db.session, "cash1", "cashier")
        users.set_language(db.session, owner.id, "hi")
        users.set_language(db.session, cashier.id, "hi")
        with write_transaction(db.session):
            save_settings(
                db.session,
                shop_name="शर्मा किराना स्टोर",
                address="मेन बाज़ार, इंदौर",
                documents_language="hi",
            )
        sugar = make_product(
            db.session, name="चीनी 1 kg", price="48.00", opening_stock="20", aliases="cheeni"
        ).code
        make_product(db.session, name="मूंग दाल 1 kg", price="120.00", opening_stock="20")
        customer = make_customer(
            db.session, owner, name="रमेश कुमार", phone="98765 43210", credit_limit="1000"
        )
        customer_id = customer.id

    # A browser set to Hindi: the login page speaks it before anyone is known.
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1366, "height": 768},
        color_scheme="light",
        locale="hi-IN",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    js_errors: list[str] = []
    english: dict[str, list[str]] = {}
    page.on("pageerror", lambda error: js_errors.append(str(error)))
    try:
        page.goto("/login")
        read_for_english(page, "login", english)
        page.fill("#f-username", "cash1")
        page.fill("#f-password", PASSWORD)
        page.get_by_role("button", name="लॉग इन").click()
        page.wait_for_url("**/pos/")
        read_for_english(page, "empty till", english, "cash1")

        # Typed in Latin letters, found in Devanagari.
        scan = page.locator("#scan")
        scan.press_sequentially("cheeni")
        suggestions = page.locator("#suggestions .suggestion")
        expect(suggestions.first).to_contain_text("चीनी 1 kg")
        read_for_english(page, "till suggestions", english, "cash1", "cheeni")
        scan.fill("")
        for _ in range(2):
            scan.press_sequentially(sugar)
            scan.press("Enter")
        expect(page.locator("#total-amount")).to_have_text("₹96.00")

        # The customer by phone (F4), all of it on credit (F8), sold (F9).
        page.keyboard.press("F4")
        search = page.locator("#customer-search")
        search.press_sequentially("98765")
        expect(page.locator("#customer-suggestions .suggestion").first).to_contain_text("रमेश कुमार")
        search.press("Enter")
        expect(page.locator("#customer-chip")).to_contain_text("रमेश कुमार")
        page.locator("#tendered").fill("0")
        page.keyboard.press("F8")
        expect(page.locator("#pay-credit")).to_have_value("96.00")
        read_for_english(page, "till with a credit sale", english, "cash1", sugar)
        page.screenshot(path=str(artifacts / "hindi-till.png"), animations="disabled")
        page.keyboard.press("F9")
        expect(page).to_have_url(re.compile(r"/pos/receipt/\d+"))
        receipt = page.locator(".receipt")
        expect(receipt).to_contain_text("शर्मा किराना स्टोर")
        expect(receipt.locator("[data-balance-due]")).to_have_text("₹96.00")
        number = page.locator(".r-number").first.inner_text().strip()
        read_for_english(page, "receipt", english, "cash1", number)
        invoice_id = int(re.search(r"/pos/receipt/(\d+)", page.url)[1])

        # The customer's page: the bill owed, a payment of part of it, its receipt.
        page.goto(f"/customers/{customer_id}")
        expect(page.locator("[data-balance]")).to_have_text("₹96.00")
        expect(page.locator("[data-history]")).to_contain_text("उधार बिक्री")
        read_for_english(page, "customer page", english, "cash1", number)
        page.fill("#pay-amount", "50")
        page.select_option("#pay-method", "cash")
        page.locator("[data-payment-form] button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/customers/payments/\d+/receipt"))
        expect(page.locator("[data-balance-after]")).to_have_text("₹46.00")
        read_for_english(page, "payment receipt", english, "cash1", number)

        # A return of one of the two from the bill's page, to the customer's account.
        page.goto(f"/invoices/{invoice_id}")
        read_for_english(page, "bill page", english, "cash1", number, sugar)
        form = page.locator("[data-return-form]")
        form.locator("input[id^=qty-]").first.fill("1")
        form.locator("#f-refund_method").select_option("credit")
        form.locator("#f-return-reason").fill("ग्राहक ने वापस किया")
        form.locator("button[type=submit]").click()
        expect(page).to_have_url(re.compile(rf"/invoices/{invoice_id}(#return)?$"))
        notes = page.locator("[data-credit-notes] tr")
        expect(notes).to_have_count(1)
        note_number = re.search(r"CN[\w-]+", notes.first.inner_text())
        assert note_number is not None
        read_for_english(
            page, "bill page after the return", english, "cash1", number, sugar, note_number[0]
        )
        page.goto(f"/customers/{customer_id}")
        expect(page.locator("[data-balance]")).to_have_text("₹2.00")
        read_for_english(
            page, "customer page after the return", english, "cash1", number, note_number[0]
        )
        page.screenshot(
            path=str(artifacts / "hindi-customer.png"), full_page=True, animations="disabled"
        )
    finally:
        context.close()
    assert not js_errors, f"JavaScript errors: {js_errors}"
    assert not english, f"English left on the Hindi screens: {english}"
    with live_server.app.app_context():
        # 96 on credit, 50 paid, 48 returned to the account: the customer holds 2 in advance.
        assert ledger.balance(db.session, customer_id) == -200
