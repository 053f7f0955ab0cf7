"""Sales, tax and expense report pages: render, CSV (BOM, injection), bad input, expenses form."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from posapp.extensions import db
from posapp.services.ledger import local_today
from posapp.web.reports import RANGED
from tests.factories import PASSWORD
from tests.sales_data import seed


@pytest.fixture
def admin_client(client: FlaskClient, admin, cashier) -> FlaskClient:  # type: ignore[no-untyped-def]
    seed(db.session, admin, cashier)
    client.post("/login", data={"username": "admin", "password": PASSWORD})
    return client


@pytest.mark.parametrize("name", list(RANGED))
def test_every_ranged_report_renders_and_downloads(admin_client: FlaskClient, name: str) -> None:
    today = local_today().isoformat()
    page = admin_client.get(f"/reports/{name}?from={today}&to={today}")
    assert page.status_code == 200, name
    assert 'type="date"' in page.get_data(as_text=True)
    csv = admin_client.get(f"/reports/{name}?from={today}&to={today}&format=csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    raw = csv.get_data()
    assert raw.startswith("\ufeff".encode())
    raw.decode("utf-8")


def test_report_figures_reach_the_csv_as_plain_decimals(admin_client: FlaskClient) -> None:
    text = admin_client.get("/reports/sales-by-product?format=csv").get_data(as_text=True)
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0] == "Code,Name,Quantity,Sales,Net of tax,Cost of goods,Gross profit"
    assert lines[1].endswith("Rice,2.500,150.00,142.86,113.75,29.11")
    assert lines[-1] == "Total,,,315.50,286.89,221.75,65.14"


def test_bad_ranges_answer_a_message_not_a_500(admin_client: FlaskClient) -> None:
    response = admin_client.get("/reports/sales-by-day?from=2026-13-01")
    assert response.status_code == 422 and "YYYY-MM-DD" in response.get_data(as_text=True)
    response = admin_client.get("/reports/tax-by-rate?from=2026-02-01&to=2026-01-01")
    assert response.status_code == 422 and "ends before it starts" in response.get_data(
        as_text=True
    )
    assert admin_client.get("/reports/hsn-summary?from=x&format=csv").status_code == 422


def test_expenses_are_added_listed_and_neutralised(admin_client: FlaskClient) -> None:
    today = local_today().isoformat()
    response = admin_client.post(
        "/reports/expenses",
        data={
            "day": today,
            "category": "electricity",
            "amount": "1250.50",
            "note": "=HYPERLINK(1)",
        },
    )
    assert response.status_code == 302
    page = admin_client.get("/reports/expenses").get_data(as_text=True)
    assert "electricity" in page and "1,250.50" in page
    csv = admin_client.get("/reports/expenses?format=csv").get_data(as_text=True)
    assert "'=HYPERLINK(1)" in csv and "1250.50" in csv
    bad = admin_client.post(
        "/reports/expenses", data={"day": today, "category": "x", "amount": "-1"}
    )
    assert bad.status_code == 422 and "category" in bad.get_data(as_text=True)
    pnl = admin_client.get("/reports/profit-and-loss").get_data(as_text=True)
    assert "Expense: electricity" in pnl


def test_the_index_links_every_report_and_the_dues(admin_client: FlaskClient) -> None:
    html = admin_client.get("/reports/").get_data(as_text=True)
    for name in [*RANGED, "stock", "dead-stock"]:
        assert f"/reports/{name}" in html
    assert "/customers/dues" in html
