"""A CSV imported through the upload and preview pages is sold at the till."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from posapp.extensions import db
from tests.e2e.conftest import log_in
from tests.factories import make_user

pytestmark = pytest.mark.e2e

CSV = (
    "\ufeffBarcode;Product Name;Category;Selling Price;GST %;Qty\r\n"
    "8901030865275;Surf Excel 1kg;Household;135,00;18;20\r\n"
    ";Moong Dal 1kg;Grains;148,50;5;15\r\n"
)


def test_import_a_csv_through_the_preview_and_sell_it(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    with live_server.app.app_context():
        make_user(db.session, "owner", "admin")
    log_in(page, "owner")
    bad = tmp_path / "bad.csv"
    bad.write_text("name;price\nBroken;abc\n", encoding="utf-8")
    good = tmp_path / "stock.csv"
    good.write_text(CSV, encoding="utf-8")

    page.goto("/products/")
    page.get_by_role("link", name="Import CSV").click()
    page.set_input_files("#f-file", str(bad))
    page.get_by_role("button", name="Upload and check").click()
    expect(page.locator("[data-bad]")).to_have_text("1")
    expect(page.locator("#import-errors")).to_contain_text("price: Amount must be a number")
    expect(page.locator("[data-confirm-import]")).to_have_count(0)

    page.get_by_role("link", name="Upload a corrected file").click()
    page.set_input_files("#f-file", str(good))
    page.get_by_role("button", name="Upload and check").click()
    expect(page).to_have_url(re.compile(r"/products/import/[0-9a-f]{32}$"))
    expect(page.locator("[data-creates]")).to_have_text("2")
    expect(page.locator("[data-bad]")).to_have_text("0")
    page.get_by_role("button", name="Import 2 rows").click()
    expect(page.locator(".alert-success")).to_contain_text("New products: 2")
    expect(page.locator("table")).to_contain_text("Surf Excel 1kg")

    page.get_by_role("link", name="Till", exact=True).click()
    scan = page.locator("#scan")
    scan.press_sequentially("8901030865275")
    scan.press("Enter")
    rows = page.locator("#cart-body tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Surf Excel 1kg")
    scan.press_sequentially("moong")
    expect(page.locator("#suggestions .suggestion").first).to_contain_text("Moong Dal 1kg")
    scan.press("ArrowDown")
    scan.press("Enter")
    expect(rows).to_have_count(2)
    expect(page.locator("#total-amount")).to_have_text("₹283.50")
