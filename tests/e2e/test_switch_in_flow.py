"""Customers with their udhaar brought from another app's Excel file: upload, map a column by
hand, preview, import, and the dues list shows what the file says they owe."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from posapp.extensions import db
from posapp.money import format_money
from tests.e2e.conftest import log_in
from tests.factories import make_user
from tests.switch_in_data import _paise, customers_200, write_csv, write_xlsx

pytestmark = pytest.mark.e2e


def test_customers_with_dues_go_from_an_excel_file_to_the_dues_list(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    with live_server.app.app_context():
        make_user(db.session, "owner", "admin")
    data = customers_200()
    bad = write_csv(data, tmp_path / "parties.csv")  # a duplicate phone and a bad one
    data.rows[149][1] = "9000000149"
    data.rows[76][1] = "9000000076"
    good = write_xlsx(data, tmp_path / "parties.xlsx")
    owed = sum(max(_paise(row), 0) for row in data.rows)
    advance = sum(max(-_paise(row), 0) for row in data.rows)
    log_in(page, "owner")

    page.goto("/dashboard/")
    page.get_by_role("link", name="Customers and their dues").click()
    page.get_by_role("link", name="Import customers with dues").click()
    page.set_input_files("#f-file", str(bad))
    page.get_by_role("button", name="Upload and check").click()
    expect(page.locator("[data-problem]")).to_contain_text("No column gives the phone")
    page.select_option("#map-1", "phone")
    page.get_by_role("button", name="Read again").click()
    expect(page.locator("[data-bad]")).to_have_text("2")
    expect(page.locator("#import-errors")).to_contain_text("is already on line 21")
    expect(page.locator("[data-confirm-import]")).to_have_count(0)

    page.get_by_role("link", name="Upload a corrected file").click()
    page.set_input_files("#f-file", str(good))
    page.get_by_role("button", name="Upload and check").click()
    expect(page).to_have_url(re.compile(r"/import/customers/[0-9a-f]{32}$"))
    page.select_option("#map-1", "phone")
    page.get_by_role("button", name="Read again").click()
    expect(page.locator("[data-creates]")).to_have_text("200")
    expect(page.locator("[data-bad]")).to_have_text("0")
    expect(page.locator("[data-total-owed]")).to_have_text(format_money(owed))
    expect(page.locator("[data-total-advance]")).to_have_text(format_money(advance))
    page.get_by_role("button", name="Import 200 rows").click()

    expect(page).to_have_url(re.compile(r"/customers/dues$"))
    expect(page.locator(".alert-success")).to_contain_text("200 added")
    expect(page.locator("[data-dues-total]")).to_have_text(format_money(owed))
