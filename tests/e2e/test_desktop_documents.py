"""static/js/desktop.js in a real browser, with pywebview's js_api stood in for by a recorder.

Inside the desktop window the app's own documents go to DesktopApi.open_document (fetched with
the window's cookies), its own pages to open_window, and other sites' links are left alone.
The real window (Qt) runs the same path end to end in tests/desktop/test_window.py.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from playwright.sync_api import expect

from posapp.extensions import db
from tests.e2e.conftest import log_in
from tests.factories import make_product, make_user

pytestmark = pytest.mark.e2e

# What pywebview injects, recorded in sessionStorage (it survives the page's navigations).
FAKE_PYWEBVIEW = """
(() => {
  const record = (call) => {
    const calls = JSON.parse(sessionStorage.getItem("calls") || "[]");
    calls.push(call);
    sessionStorage.setItem("calls", JSON.stringify(calls));
  };
  window.pywebview = { api: {
    open_document: async (name, data, type) => {
      record({ kind: "document", name, data, type });
      return "C:\\\\TillBook\\\\exports\\\\documents\\\\" + name;
    },
    open_window: async (url) => { record({ kind: "window", url }); return true; },
    choose_folder: async () => null,
  } };
})();
"""


def calls(page: Any) -> list[dict[str, str]]:
    return list(page.evaluate("JSON.parse(sessionStorage.getItem('calls') || '[]')"))


def in_the_window(page: Any, live_server: Any) -> int:
    """Log in as the owner inside a stand-in desktop window; return a product's id."""
    with live_server.app.app_context():
        make_user(db.session, "owner", "admin")
        product_id = make_product(db.session, name="Window tea", code="WT-1").id
        db.session.remove()
    page.context.add_init_script(FAKE_PYWEBVIEW)
    log_in(page, "owner")
    return int(product_id)


def test_a_pdf_link_goes_to_open_document_with_the_pdf(page: Any, live_server: Any) -> None:
    product_id = in_the_window(page, live_server)
    page.goto(f"/products/{product_id}")
    page.get_by_role("link", name="Print label").click()
    # (the first PDF starts the PDF helper process: allow it its start-up time)
    expect(page.locator("#desktop-toast")).to_contain_text(
        "Saved to C:\\TillBook\\exports\\documents\\label-WT-1.pdf and opened.", timeout=60_000
    )
    [call] = calls(page)
    assert call["kind"] == "document"
    assert call["name"] == "label-WT-1.pdf"  # from Content-Disposition
    assert call["type"] == "application/pdf"
    assert base64.b64decode(call["data"]).startswith(b"%PDF")  # the real bytes, logged in
    assert page.url == f"{live_server.url}/products/{product_id}"  # the page stays


def test_other_sites_stay_outside_and_own_pages_get_a_second_window(
    page: Any, live_server: Any
) -> None:
    in_the_window(page, live_server)
    page.goto("/pos/")
    prevented = page.evaluate(
        """() => new Promise((resolve) => {
          const link = Object.assign(document.createElement("a"),
            { href: "https://wa.me/919800000001", target: "_blank", textContent: "WhatsApp" });
          document.body.append(link);
          // After desktop.js (on document) has seen it: note, then stop the real navigation.
          window.addEventListener("click", (event) => {
            resolve(event.defaultPrevented);
            event.preventDefault();
          }, { once: true });
          link.click();
        })"""
    )
    assert prevented is False  # pywebview hands it to the outside browser, as before
    assert calls(page) == []
    # An own page with target=_blank (the till's "Customer page") opens in a second window.
    page.evaluate(
        """() => {
          const link = Object.assign(document.createElement("a"),
            { href: "/customers/", target: "_blank", textContent: "Customers" });
          document.body.append(link);
          link.click();
        }"""
    )
    page.wait_for_function("JSON.parse(sessionStorage.getItem('calls') || '[]').length === 1")
    assert calls(page) == [{"kind": "window", "url": f"{live_server.url}/customers/"}]


def test_a_label_sheet_with_an_error_shows_the_error_in_the_window(
    page: Any, live_server: Any
) -> None:
    product_id = in_the_window(page, live_server)
    page.goto(f"/products/labels?ids={product_id}")
    page.locator("[name=code]").first.fill("NO-SUCH-CODE")
    with page.expect_navigation():
        page.get_by_role("button", name="Make label PDF").click()
    expect(page.locator("[data-form-error]")).to_be_visible()
    assert page.url == f"{live_server.url}/products/labels"
    assert calls(page) == []
    # Fixed, the same form hands the sheet to open_document.
    page.locator("[name=code]").first.fill("WT-1")
    page.locator("[name=count]").first.fill("2")
    page.get_by_role("button", name="Make label PDF").click()
    page.wait_for_function(
        "JSON.parse(sessionStorage.getItem('calls') || '[]').length === 1", timeout=60_000
    )
    [call] = calls(page)
    assert call["name"] == "labels.pdf" and base64.b64decode(call["data"]).startswith(b"%PDF")
