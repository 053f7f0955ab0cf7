"""static/js/exports.js in a real browser: "Export everything" to a folder, table by table, then
the workbook, with pywebview's folder dialog stood in for by a script answering a temp folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from posapp.extensions import db
from posapp.services import exports
from tests.e2e.conftest import log_in
from tests.factories import make_customer, make_product, make_user

pytestmark = pytest.mark.e2e


def test_export_everything_to_a_folder_ends_with_the_workbook(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        make_product(db.session, name="Window tea", code="WT-1", opening_stock="3")
        make_customer(db.session, owner, name="=1+1")
        db.session.remove()
    usb = tmp_path / "usb"
    usb.mkdir()
    answer = json.dumps(str(usb))
    page.context.add_init_script(
        f"window.pywebview = {{ api: {{ choose_folder: async () => {answer} }} }};"
    )
    log_in(page, "owner")
    page.goto("/exports/")
    page.get_by_role("button", name="Export to a folder or USB stick…").click()
    status = page.locator("[data-export-status]")
    expect(status).to_contain_text("and the workbook in", timeout=60_000)
    bar = page.locator("[data-progress]")
    assert bar.get_attribute("aria-valuenow") == str(len(exports.TABLES) + 1)
    [folder] = list(usb.iterdir())
    written = sorted(p.name for p in folder.iterdir())
    assert written == sorted([*(f"{t}.csv" for t in exports.TABLES), f"{folder.name}.xlsx"])
    book = load_workbook(folder / f"{folder.name}.xlsx")
    assert book.sheetnames == ["README", *exports.TABLES]
    name = book["customers"]["B2"]
    assert (name.value, name.data_type) == ("'=1+1", "s")
