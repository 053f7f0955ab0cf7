"""The books' export page in the browser, by keyboard at 1366×768 and at 390 px: a range the
wrong way round is refused on the page, then the Tally XML and the CSV download."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from posapp.extensions import db
from posapp.models.base import write_transaction
from posapp.services import books
from posapp.services.books import cr, dr
from tests.e2e.conftest import log_in
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/h20-tally")


def test_export_the_books_by_keyboard(page: Any, live_server: Any) -> None:
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        buyer = make_customer(db.session, owner, name="Sharma & Sons")
        with write_transaction(db.session):
            books.post(
                db.session, day=date(2026, 11, 3), source_kind="sale", source_id=1,
                reference="INV/0002", narration="On credit",
                lines=[dr("receivable", 21000, customer_id=buyer.id), cr("sales", 21000)],
            )  # fmt: skip
        db.session.remove()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, "owner")
    page.goto("/exports/")  # the CSV exports page leads to the books' export
    page.get_by_role("link", name="export the books to Tally").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/books/export/")
    page.screenshot(path=str(SHOTS / "export-1366.png"), full_page=True)

    page.locator("#from").fill("2026-11-30")
    page.locator("#to").fill("2026-11-01")
    page.locator("#to").press("Enter")  # the form's first button: Tally XML
    expect(page.locator("#export-error")).to_have_text("The first day is after the last.")
    expect(page.locator("#to-error")).to_be_visible()
    page.screenshot(path=str(SHOTS / "export-error-1366.png"), full_page=True)

    page.locator("#from").fill("2026-11-01")
    page.locator("#to").fill("2026-11-30")
    page.locator("#to").focus()
    xml_button = page.get_by_role("button", name="Download Tally XML")
    for _ in range(4):  # Tab steps through the date's day, month and year, then out
        page.keyboard.press("Tab")
        if xml_button.evaluate("b => b === document.activeElement"):
            break
    expect(xml_button).to_be_focused()
    with page.expect_download() as xml_download:
        page.keyboard.press("Enter")
    assert xml_download.value.suggested_filename == "tally-20261101-20261130.xml"
    root = ET.fromstring(Path(xml_download.value.path()).read_bytes())  # noqa: S314 (ours)
    assert [v.findtext("VOUCHERNUMBER") for v in root.iter("VOUCHER")] == ["INV/0002"]
    assert {x.get("NAME") for x in root.iter("LEDGER")} == {"Sharma & Sons", "Sales"}

    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Download CSV")).to_be_focused()
    with page.expect_download() as csv_download:
        page.keyboard.press("Enter")
    text = Path(csv_download.value.path()).read_text(encoding="utf-8-sig")
    assert "2026-11-03,Sales,INV/0002,On credit,1300," in text

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/books/export/?from=2026-11-01&to=2026-11-30")
    expect(page.locator("#from")).to_have_value("2026-11-01")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing sticks out sideways on a phone
    page.screenshot(path=str(SHOTS / "export-390.png"), full_page=True)
