"""Devanagari on the pages in the vendored Noto Sans Devanagari, whatever the laptop has.

Chromium tells (DevTools' CSS.getPlatformFontsForNode) which font drew an element's text and
whether it was a web font the page loaded: the names come out in "TillBook Devanagari"
(app.css's @font-face of static/vendor/noto-sans-devanagari-2.001) and the Latin beside them
in the fonts it had before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from posapp.extensions import db
from posapp.services import checkout
from tests.e2e.conftest import log_in, scan
from tests.factories import make_product, make_user

pytestmark = pytest.mark.e2e

NAME = "मूंग दाल"


def fonts_drawing(page: Any, selector: str) -> list[dict[str, Any]]:
    """The fonts chromium drew the text of `selector`'s first match with."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, selector
    return list(cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"])


def mark_text(page: Any, text: str) -> str:
    """Mark the innermost element whose own text holds `text`; its selector."""
    page.evaluate(
        """(text) => {
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          while (walker.nextNode()) {
            if (walker.currentNode.nodeValue.includes(text)) {
              walker.currentNode.parentElement.setAttribute("data-deva-test", "");
              return;
            }
          }
        }""",
        text,
    )
    return "[data-deva-test]"


def assert_drawn_in_the_bundled_font(page: Any, text: str) -> None:
    fonts = fonts_drawing(page, mark_text(page, text))
    deva = [f for f in fonts if "Devanagari" in f["familyName"]]
    assert deva, fonts
    assert all(f["isCustomFont"] for f in deva), fonts  # the page's web font, not the laptop's
    assert {f["familyName"] for f in deva} == {"Noto Sans Devanagari"}, fonts


def a_hindi_sale(live_server: Any) -> tuple[int, int, str]:
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        make_user(db.session, "cash1", "cashier")
        product = make_product(db.session, name=NAME, price="148.50")
        invoice = checkout.checkout(
            db.session,
            checkout.parse_checkout({"items": [{"product_id": product.id, "quantity": 1}]}),
            owner,
        )
        return invoice.id, product.id, product.code


@pytest.mark.parametrize("width", [390, 1366])
def test_the_receipt_draws_devanagari_with_the_vendored_font(
    browser: Any, live_server: Any, artifacts: Path, width: int
) -> None:
    invoice_id, _, _ = a_hindi_sale(live_server)
    height = 844 if width == 390 else 768
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}, color_scheme="light"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    log_in(page, "owner")
    page.goto(f"/pos/receipt/{invoice_id}")
    expect(page.locator(".receipt")).to_contain_text(NAME)
    page.evaluate("document.fonts.ready")
    assert_drawn_in_the_bundled_font(page, NAME)
    # Latin beside it is not drawn in the Devanagari font.
    latin = fonts_drawing(page, ".r-shop") if page.locator(".r-shop").count() else []
    assert all("Devanagari" not in f["familyName"] for f in latin), latin
    page.screenshot(path=str(artifacts / f"receipt-devanagari-{width}.png"))
    context.close()


def test_the_till_and_the_labels_page_draw_devanagari_with_the_vendored_font(
    page: Any, live_server: Any
) -> None:
    _, product_id, code = a_hindi_sale(live_server)
    log_in(page, "cash1")
    scan(page, code)
    expect(page.locator("#cart-body tr")).to_have_count(1)
    expect(page.locator("#cart-body")).to_contain_text(NAME)
    page.evaluate("document.fonts.ready")
    assert_drawn_in_the_bundled_font(page, NAME)

    page.context.clear_cookies()
    log_in(page, "owner")
    page.goto(f"/products/labels?ids={product_id}")
    expect(page.locator("body")).to_contain_text(NAME)
    page.evaluate("document.fonts.ready")
    assert_drawn_in_the_bundled_font(page, NAME)
