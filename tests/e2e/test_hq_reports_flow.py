"""HQ's report pages in the browser: each fits a phone (390 px) and a laptop (1366×768)
without scrolling sideways, with two shops' figures in them (HQ mode)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from posapp.extensions import db
from tests.conftest import LiveServer, build_app
from tests.e2e.conftest import log_in
from tests.e2e.test_hq_flow import fits
from tests.factories import make_user
from tests.services.test_hq_reports import (
    AT,
    DAY,
    _customer,
    _entry,
    _product,
    enrolled,
    invoice,
    line,
    push,
)

PAGES = ("", "sales", "tax", "khata", "stock", "books", "audit", "users")


@pytest.fixture
def live_server(data_dir: Path) -> Iterator[LiveServer]:
    """A running HQ (HQ mode, CSRF on, as shipped) holding two shops' records."""
    application = build_app(data_dir, HQ_MODE=True)
    with application.app_context():
        make_user(db.session, "owner", "admin")
        session = db.session
        for number, name in enumerate(("Sharma Kirana, Main Road", "Sharma Kirana, Station Road")):
            shop = enrolled(session, name)
            push(
                session,
                shop,
                ("customer", "1", _customer("919876543210", "Sunita Devi")),
                ("product", "1", _product("8901234567890", "Aashirvaad Atta 5kg", number * 5000)),
                (
                    "invoice",
                    "1",
                    invoice("INV-1", [line(1, 500, 1234500, 61725)], paid=0, customer="1"),
                ),
                ("ledger_entry", "1", _entry("1", 1296225)),
                (
                    "audit",
                    "1",
                    {
                        "created_at": AT,
                        "action": "invoice.create",
                        "user_id": "1",
                        "entity": "invoice",
                        "entity_id": "1",
                    },
                ),
                (
                    "journal_entry",
                    "1",
                    {
                        "day": DAY.isoformat(),
                        "lines": [{"id": "1", "account_id": "12", "debit": 1296225, "credit": 0}],
                    },
                ),
                (
                    "user",
                    "1",
                    {
                        "username": "cashier-with-a-long-name",
                        "role": "cashier",
                        "active": True,
                        "language": "hi",
                        "last_login_at": "2026-11-20T06:00:00Z",
                    },
                ),
            )
        db.session.remove()
    server = LiveServer(application).start()
    yield server
    server.stop()
    with application.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("width", [390, 1366])
def test_every_report_page_fits_a_phone_and_a_laptop(
    page: Any, live_server: Any, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 768})
    log_in(page, "owner")
    page.goto("/hq/reports/?period=months")
    expect(page.locator("[data-hq-dashboard-shops] tbody tr")).to_have_count(2)
    with live_server.app.app_context():
        from posapp.services import hq_reports

        shop = hq_reports.shops(db.session)[0].id
        db.session.remove()
    span = f"from={DAY.isoformat()}&to={DAY.isoformat()}"
    for name in PAGES:
        for chosen in ("", shop):
            page.goto(f"/hq/reports/{name}?shop={chosen}&{span}")
            assert fits(page), (name, chosen)
