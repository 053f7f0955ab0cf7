"""Sales, tax and expense report pages: render, CSV (BOM, injection), bad input, expenses form."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from posapp.extensions import db
from posapp.services.ledger import local_today
from posapp.web.reports import RANGED
from tests.sales_data import seed
from tests.web.helpers import AuthActions


@pytest.fixture
def admin_client(client: FlaskClient, auth: AuthActions, admin, cashier) -> FlaskClient:  # type: ignore[no-untyped-def]
    seed(db.session, admin, cashier)
    auth.login("admin")
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
    assert lines[0] == (
        "Code,Name,Quantity,Net sales,Net revenue (excl. tax),Cost of goods,Gross profit"
    )
    assert lines[1].endswith("Rice,2.500,150.00,142.86,113.75,29.11")
    assert lines[-1] == "Total,,,315.50,286.86,221.75,65.11"


def test_bad_ranges_answer_a_message_not_a_500(admin_client: FlaskClient) -> None:
    response = admin_client.get("/reports/sales-by-day?from=2026-13-01")
    assert response.status_code == 422 and "YYYY-MM-DD" in response.get_data(as_text=True)
    response = admin_client.get("/reports/tax-by-rate?from=2026-02-01&to=2026-01-01")
    assert response.status_code == 422 and "ends before it starts" in response.get_data(
        as_text=True
    )
    assert admin_client.get("/reports/tax-by-rate?from=x&format=csv").status_code == 422


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
    assert "Expense of ₹1,250.50 recorded." in page  # the flash writes money like the table
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


def test_cash_sessions_report_is_listed_and_exports(admin_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    from posapp.services import cash_sessions

    sid = cash_sessions.open_session(db.session, {"opening_float": "250.00"}, admin).id
    cash_sessions.close_session(db.session, sid, {"counted": "249.50"}, admin)
    assert "/reports/cash-sessions" in admin_client.get("/reports/").get_data(as_text=True)
    page = admin_client.get("/reports/cash-sessions").get_data(as_text=True)
    assert "Over/short" in page and "₹249.50" in page
    text = admin_client.get("/reports/cash-sessions?format=csv").get_data(as_text=True)
    header, row, total = text.lstrip("\ufeff").splitlines()
    assert header.startswith("Opened,Opened by,Closed,Closed by,Float,Expected,Counted,Over/short")
    assert ",admin,250.00,250.00,249.50,-0.50,0,0.00,0.00,0.00,0.00" in row  # plain -0.50
    assert total.startswith("Total,,,,,,249.50,-0.50,0,0.00")


def test_report_and_product_csv_downloads_are_audited(admin_client: FlaskClient) -> None:
    import json

    from sqlalchemy import select

    from posapp.models import AuditLog

    def exported() -> list[dict[str, str]]:
        rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "export.create"))
        return [json.loads(entry.after or "{}") for entry in rows]

    assert exported() == []
    admin_client.get("/reports/tax-by-rate")  # looking at a page is not an export
    assert admin_client.get("/reports/tax-by-rate?format=csv").status_code == 200
    assert admin_client.get("/products/export.csv").status_code == 200
    assert exported() == [
        {"what": "report tax-by-rate", "to": "download"},
        {"what": "products", "to": "download"},
    ]


def test_charted_reports_embed_exact_figures(admin_client: FlaskClient) -> None:
    import json
    import re

    html = admin_client.get("/reports/sales-by-month").get_data(as_text=True)
    raw = re.search(r'id="report-chart-data">(.*?)</script>', html, re.S)
    assert raw and "chart.umd.min.js" in html
    chart = json.loads(raw.group(1))
    # The month as people read it ("Nov 2026"), not "2026-11" (the CSV keeps that).
    assert chart["type"] == "line" and chart["labels"] == [local_today().strftime("%b %Y")]
    assert f'<td class="text-nowrap">{local_today().strftime("%b %Y")}</td>' in html
    assert chart["series"] == [
        {"label": "Net sales", "data": ["315.50"]},
        {"label": "Gross profit", "data": ["65.11"]},
    ]
    plain = admin_client.get("/reports/profit-and-loss").get_data(as_text=True)
    assert "report-chart" not in plain and "chart.umd.min.js" not in plain


def test_days_read_dd_mm_yyyy_on_the_page_and_chart_but_iso_in_the_csv(
    admin_client: FlaskClient,
) -> None:
    import json
    import re

    today = local_today()
    html = admin_client.get("/reports/sales-by-day").get_data(as_text=True)
    raw = re.search(r'id="report-chart-data">(.*?)</script>', html, re.S)
    assert raw and json.loads(raw.group(1))["labels"] == [today.strftime("%d-%m-%Y")]
    table = html[html.index("<tbody") :]
    assert f'<td class="text-nowrap">{today.strftime("%d-%m-%Y")}</td>' in table
    assert today.isoformat() not in table
    csv = admin_client.get("/reports/sales-by-day?format=csv").get_data(as_text=True)
    assert today.isoformat() in csv  # machines read ISO
