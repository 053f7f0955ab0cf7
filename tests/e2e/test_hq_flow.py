"""HQ's pages in the browser: an owner adds a shop, reads its code, and the shops list fits
a phone and a laptop without scrolling sideways (HQ mode: not in test_layout_widths' app)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from posapp.extensions import db
from posapp.models.base import clock_at, utcnow
from posapp.services import hq
from tests.conftest import LiveServer, build_app
from tests.e2e.conftest import log_in
from tests.factories import make_user


@pytest.fixture
def live_server(data_dir: Path) -> Iterator[LiveServer]:
    """A running HQ (HQ mode, CSRF on, as shipped)."""
    application = build_app(data_dir, HQ_MODE=True)
    server = LiveServer(application).start()
    yield server
    server.stop()
    with application.app_context():
        db.engine.dispose()


def fits(page: Any) -> bool:
    """Tell whether the page is no wider than the window (no sideways scrolling)."""
    wide, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return bool(wide <= window)


@pytest.mark.parametrize("width", [390, 1366])
def test_an_owner_adds_a_shop_and_sees_the_shops(page: Any, live_server: Any, width: int) -> None:
    with live_server.app.app_context():
        make_user(db.session, "owner", "admin")
        with clock_at(utcnow() - timedelta(days=2)):
            made = hq.create_shop(db.session, "A shop with a rather long name in Navi Mumbai", None)
            body = {"code": made.code, "shop": {"name": "x", "gstin": "27AAAAA0000A1Z5"}}
            hq.enrol(db.session, body, "HQ")
        db.session.remove()
    page.set_viewport_size({"width": width, "height": 768})
    log_in(page, "owner")
    page.goto("/hq/shops/")
    expect(page.locator("[data-silent]")).to_have_count(1)
    page.get_by_role("link", name="Add a shop").click()
    page.fill("#f-name", "Andheri West")
    page.get_by_role("button", name="Add the shop").click()
    expect(page.locator("[data-code]")).to_have_text(re.compile(r"^([A-Z2-7]{4}-){7}[A-Z2-7]{4}$"))
    expect(page.locator("[data-enrolment-qr] svg")).to_be_visible()
    assert fits(page), "the code page"
    for path in ("/hq/shops/", "/hq/shops/new"):
        page.goto(path)
        assert fits(page), path
    page.goto("/hq/shops/")
    expect(page.locator("tr[data-shop-id]")).to_have_count(2)
