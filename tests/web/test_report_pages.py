"""Pages of posapp/web/reports.py: each report, its CSV, bad input."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from posapp.extensions import db
from tests.factories import make_product


@pytest.mark.parametrize("name", ["stock", "movements", "dead-stock", "reorder"])
def test_every_report_renders_and_downloads(admin_client: FlaskClient, name: str) -> None:
    make_product(db.session, name="-cmd|calc", opening_stock="1", low_stock_threshold="5")
    page = admin_client.get(f"/reports/{name}")
    assert page.status_code == 200
    assert "-cmd|calc" in page.get_data(as_text=True)
    csv = admin_client.get(f"/reports/{name}?format=csv")
    assert csv.mimetype == "text/csv"
    assert "'-cmd|calc" in csv.get_data(as_text=True)


def test_bad_report_input(admin_client: FlaskClient) -> None:
    assert admin_client.get("/reports/nope").status_code == 404
    response = admin_client.get("/reports/movements?from=2026-99-01")
    assert response.status_code == 422 and "YYYY-MM-DD" in response.get_data(as_text=True)
    assert admin_client.get("/reports/movements?reason=bogus").status_code == 422
    assert admin_client.get("/reports/dead-stock?days=abc").status_code == 422
    assert admin_client.get("/reports/movements?format=csv&from=x").status_code == 422


def test_a_long_report_shows_its_first_rows_and_downloads_them_all(
    admin_client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from posapp.web import reports as report_pages

    monkeypatch.setattr(report_pages, "SHOWN_ROWS", 2)
    for name in ("Alpha", "Bravo", "Charlie"):
        make_product(db.session, name=name, cost="2", opening_stock="1")
    page = admin_client.get("/reports/stock").get_data(as_text=True)
    assert 'data-row-count="3"' in page and "the first 2 are shown" in page
    assert "Bravo" in page and "Charlie" not in page
    # the total values all three products, not the two shown
    assert re.search(r'data-total="Value at cost">[^<0-9]*6\.00<', page)
    csv = admin_client.get("/reports/stock?format=csv").get_data(as_text=True).splitlines()
    assert [line.split(",")[1] for line in csv[1:4]] == ["Alpha", "Bravo", "Charlie"]
    assert csv[4].startswith("Total,") and ",6.00," in csv[4]
