from __future__ import annotations
import re
from pathlib import Path
from typing import Any
from playwright.sync_api import expect
from posapp.extensions import db
from tests.e2e.conftest import log_in
from tests.factories import make_user
from tests.switch_in_data import customers_200, write_xlsx

def test_shots(page: Any, live_server: Any, tmp_path: Path) -> None:
    with live_server.app.app_context():
        make_user(db.session, "owner", "admin")
    data = customers_200()
    data.rows[149][1] = "9000000149"
    good = write_xlsx(data, tmp_path / "parties.xlsx")
    log_in(page, "owner")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/dashboard/")
    page.screenshot(path="/work/shots/dash-1366.png")
    page.goto("/import/customers")
    page.screenshot(path="/work/shots/upload-1366.png", full_page=True)
    page.set_input_files("#f-file", str(good))
    page.get_by_role("button", name="Upload and check").click()
    page.select_option("#map-1", "phone")
    page.get_by_role("button", name="Read again").click()
    expect(page.locator("[data-bad]")).to_have_text("1")
    page.screenshot(path="/work/shots/preview-1366.png")
    page.screenshot(path="/work/shots/preview-1366-full.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.screenshot(path="/work/shots/preview-390.png", full_page=True)
    w = page.evaluate("document.documentElement.scrollWidth")
    print("scrollWidth390", w)
