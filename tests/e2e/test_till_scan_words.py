"""The scan field takes names people say, quantities before a scan, and the receipt page hands
the next customer's first scan to a new sale. Driven by keyboard at 1366×768 and 390 px."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from posapp.extensions import db
from tests.e2e.conftest import log_in
from tests.factories import make_product, make_user

pytestmark = pytest.mark.e2e

SIZES = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
SALT = "8901058000016"


def shop(live_server: Any) -> None:
    with live_server.app.app_context():
        make_user(db.session, "cash1", "cashier")
        make_product(db.session, name="Taj Mahal Tea 250 g", price="140.00")
        make_product(db.session, name="Kohinoor Basmati Rice 1 kg", price="165.00")
        make_product(
            db.session,
            name="Sugar (loose)",
            unit="kg",
            price="46.00",
            aliases="chini, cheeni, shakkar",
        )
        make_product(db.session, name="Onion", unit="kg", price="38.00", aliases="pyaz, kanda")
        make_product(db.session, name="Tata Salt 1kg", price="28.00", code=SALT)


def line(page: Any, name: str) -> Any:
    return page.locator("#cart-body tr", has_text=name)


def selected_text(page: Any) -> str:
    return page.evaluate(
        "() => { const s = document.getElementById('scan');"
        " return s.value.slice(s.selectionStart, s.selectionEnd); }"
    )


def shot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / name), animations="disabled")


@pytest.mark.parametrize("size", list(SIZES))
def test_enter_takes_the_top_suggestion_aliases_and_quantity_prefixes(
    page: Any, live_server: Any, artifacts: Path, size: str
) -> None:
    shop(live_server)
    page.set_viewport_size(SIZES[size])
    log_in(page, "cash1")
    scan = page.locator("#scan")
    rows = page.locator("#cart-body tr")
    alert = page.locator("#scan-alert")
    hint = page.locator("#scan-prefix")
    expect(scan).to_be_focused()

    # Part of a name and Enter at once: Enter waits for the suggestions, then takes the top one.
    page.keyboard.type("taj")
    page.keyboard.press("Enter")
    expect(rows).to_have_count(1)
    expect(line(page, "Taj Mahal Tea 250 g").locator(".qty-input")).to_have_value("1")
    expect(scan).to_have_value("")
    expect(alert).to_be_hidden()

    # A word people say: the alias finds Sugar, ahead of anything merely like it.
    page.keyboard.type("chini")
    expect(page.locator("#suggestions .suggestion").first).to_contain_text("Sugar (loose)")
    page.keyboard.press("Enter")
    expect(rows).to_have_count(2)
    expect(line(page, "Sugar (loose)").locator(".qty-input")).to_have_value("1.000")

    # A code that matches nothing: said so, the text kept and selected for correction.
    page.keyboard.type("99999")
    page.keyboard.press("Enter")
    expect(alert).to_have_text("Unknown code: 99999")
    expect(scan).to_have_value("99999")
    expect(scan).to_be_focused()
    assert selected_text(page) == "99999"
    expect(rows).to_have_count(2)

    # Typing replaces the selected text; words that match nothing are not "codes".
    page.keyboard.type("zzqx")
    page.keyboard.press("Enter")
    expect(alert).to_have_text("No product matches “zzqx”")
    expect(scan).to_have_value("zzqx")
    assert selected_text(page) == "zzqx"
    page.keyboard.press("Escape")
    expect(scan).to_have_value("")

    # "3*" then a scan adds 3; the hint shows while the quantity waits; the alert clears.
    page.keyboard.type("3*")
    page.keyboard.press("Enter")
    expect(hint).to_be_visible()
    expect(hint).to_have_text("×3 — scan the item")
    shot(page, artifacts, f"till-scan-prefix-{size}.png")
    page.keyboard.type(SALT)
    page.keyboard.press("Enter")
    expect(line(page, "Tata Salt 1kg").locator(".qty-input")).to_have_value("3")
    expect(hint).to_be_hidden()
    expect(alert).to_be_hidden()

    # Typed in one go, as a scanner with a prefix key would.
    page.keyboard.type(f"2*{SALT}")
    page.keyboard.press("Enter")
    expect(line(page, "Tata Salt 1kg").locator(".qty-input")).to_have_value("5")

    # A loose item by weight: 1.5* then its name.
    page.keyboard.type("1.5*")
    page.keyboard.press("Enter")
    page.keyboard.type("pyaz")
    page.keyboard.press("Enter")
    expect(line(page, "Onion").locator(".qty-input")).to_have_value("1.500")
    expect(page.locator("#total-amount")).to_have_text("₹383.00")  # 140 + 46 + 5 × 28 + 1.5 × 38

    # A fraction of a piece item is refused, naming it, and nothing changes.
    page.keyboard.type(f"1.5*{SALT}")
    page.keyboard.press("Enter")
    expect(alert).to_have_text(
        "Tata Salt 1kg is sold in whole pieces: 1.5* is not a number of pieces."
    )
    expect(scan).to_have_value(f"1.5*{SALT}")
    expect(line(page, "Tata Salt 1kg").locator(".qty-input")).to_have_value("5")
    expect(rows).to_have_count(4)


@pytest.mark.parametrize("size", list(SIZES))
def test_a_scan_on_the_receipt_page_starts_the_next_sale(
    page: Any, live_server: Any, artifacts: Path, size: str
) -> None:
    shop(live_server)
    page.set_viewport_size(SIZES[size])
    log_in(page, "cash1")
    rows = page.locator("#cart-body tr")
    page.keyboard.type("taj")
    page.keyboard.press("Enter")
    expect(rows).to_have_count(1)
    expect(page.locator("#total-amount")).to_have_text("₹140.00")
    page.keyboard.press("F9")
    expect(page).to_have_url(re.compile(r"/pos/receipt/\d+"))

    # After printing (the page printed itself on load), focus is on "New sale": the code's
    # digits must not be lost, nor its Enter open an empty till.
    page.wait_for_load_state("load")
    new_sale = page.locator("#new-sale")
    new_sale.focus()
    page.keyboard.type(SALT)
    expect(page.locator("#next-scan")).to_contain_text(SALT)
    shot(page, artifacts, f"receipt-next-scan-{size}.png")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/pos/$"))  # the code left the address once used
    # A new page loads, then looks the code up: on a loaded machine that outlasts 5 s.
    expect(rows).to_have_count(1, timeout=15_000)
    expect(line(page, "Tata Salt 1kg").locator(".qty-input")).to_have_value("1")
    expect(page.locator("#total-amount")).to_have_text("₹28.00")
    page.reload()  # a reload does not add it again
    expect(rows).to_have_count(1)
    expect(line(page, "Tata Salt 1kg").locator(".qty-input")).to_have_value("1")

    # Escape on the receipt still opens an empty till (on the page without the automatic
    # print: while a print dialog is open, Escape is the dialog's Cancel); Enter on "New sale"
    # with nothing typed still follows it.
    page.keyboard.press("F9")
    expect(page).to_have_url(re.compile(r"/pos/receipt/\d+\?print=1$"))
    page.goto(page.url.removesuffix("?print=1"))
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"/pos/$"))
    expect(rows).to_have_count(0)
    page.keyboard.type("chini")
    page.keyboard.press("Enter")
    expect(rows).to_have_count(1)
    page.keyboard.press("F9")
    expect(page).to_have_url(re.compile(r"/pos/receipt/\d+"))
    page.locator("#new-sale").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/pos/$"))
    expect(rows).to_have_count(0)


def test_aliases_typed_on_the_product_form_find_it_at_the_till(
    page: Any, live_server: Any, artifacts: Path
) -> None:
    with live_server.app.app_context():
        make_user(db.session, "owner", "admin")
        rice = make_product(db.session, name="Sona Masoori Rice (loose)", unit="kg", price="62.00")
        make_product(db.session, name="Chawal Papad 200 g", price="40.00")
        rice_id = rice.id
    page.set_viewport_size(SIZES["laptop"])
    log_in(page, "owner")
    page.goto(f"/products/{rice_id}/edit")
    aliases = page.locator("#f-aliases")
    aliases.focus()
    page.keyboard.type(", ".join(f"w{n}" for n in range(13)))
    page.keyboard.press("Enter")  # submits the form
    expect(page.locator("#f-aliases-error")).to_have_text("At most 12 aliases (there are 13).")
    page.locator("#f-aliases").scroll_into_view_if_needed()
    shot(page, artifacts, "product-aliases-error-laptop.png")
    page.locator("#f-aliases").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("Chawal, khula chawal")
    page.keyboard.press("Enter")
    expect(page.locator("[data-aliases]")).to_have_text("chawal, khula chawal")

    page.goto("/pos/")
    page.keyboard.type("chawal")  # an exact alias ranks above "Chawal Papad"
    page.keyboard.press("Enter")
    expect(line(page, "Sona Masoori Rice (loose)").locator(".qty-input")).to_have_value("1.000")
    expect(page.locator("#cart-body tr")).to_have_count(1)
