"""The backups page in a real browser: download a backup, or (desktop window) pick a folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from posapp.extensions import db
from posapp.services import backups
from tests.e2e.conftest import log_in
from tests.factories import make_user


def _owner(live_server: Any) -> None:
    with live_server.app.app_context():
        make_user(db.session, "owner", "admin")
        db.session.remove()


def test_a_browser_downloads_a_verified_backup(page: Any, live_server: Any, tmp_path: Path) -> None:
    _owner(live_server)
    log_in(page, "owner")
    page.goto("/backups/")
    expect(page.locator("[data-choose-folder]")).to_be_hidden()  # no desktop window here
    with page.expect_download() as caught:
        page.locator("[data-download]").click()
    download = caught.value
    assert download.suggested_filename.endswith("-manual.db")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert backups.integrity_ok(saved) == []
    expect(page.locator("[data-progress]")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("[data-backup-status]")).to_contain_text("Backup verified")


def test_the_desktop_window_backs_up_into_the_chosen_folder(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    _owner(live_server)
    usb = tmp_path / "usb"
    usb.mkdir()
    # What pywebview's js_api gives the window (desktop.DesktopApi.choose_folder), stood in for.
    chosen = json.dumps(str(usb))
    page.add_init_script(
        "window.pywebview = {api: {choose_folder: () => Promise.resolve(" + chosen + ")}};"
    )
    log_in(page, "owner")
    page.goto("/backups/")
    expect(page.locator("[data-download]")).to_be_hidden()
    page.locator("[data-choose-folder]").click()
    expect(page.locator("[data-backup-status]")).to_contain_text(f"written: {usb}")
    (copy,) = list(usb.iterdir())
    assert copy.name.endswith("-manual.db") and backups.integrity_ok(copy) == []
    expect(page.locator("#backup-copy")).to_have_attribute("data-done", copy.name)
