"""HQ's report pages (HQ mode only): every page for all shops and one shop, totals, CSV, the
customers-shared switch, and the due lookup a shop asks HQ. Admins only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import AuditLog
from posapp.services import hq, hq_reports
from tests.conftest import build_app
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
from tests.web.helpers import login

PAGES = ("", "sales", "tax", "khata", "stock", "books", "audit", "users")


@pytest.fixture
def app(data_dir: Path) -> Iterator[Flask]:
    """The app in HQ mode."""
    application = build_app(data_dir, WTF_CSRF_ENABLED=False, HQ_MODE=True)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def shops(app: Flask) -> tuple[str, str]:
    """Two shops with a bill, a customer who owes at both, products, books and audit."""
    session = db.session
    first = enrolled(session, "Main Road")
    second = enrolled(session, "Station Road")
    push(
        session,
        first,
        ("customer", "1", _customer("919876543210", "Sunita")),
        ("product", "1", _product("A1", "Atta", 5000)),
        ("invoice", "1", invoice("A-1", [line(1, 500, 10000, 500)], paid=0, customer="1")),
        ("ledger_entry", "1", _entry("1", 10500)),
        (
            "journal_entry",
            "1",
            {"day": DAY.isoformat(), "lines": [{"id": "1", "account_id": "3", "debit": 10500}]},
        ),
        ("audit", "1", {"created_at": AT, "action": "sale", "user_id": "1"}),
        ("user", "1", {"username": "asha", "role": "cashier", "active": True}),
    )
    push(
        session,
        second,
        ("customer", "4", _customer("919876543210", "Sunita Devi")),
        ("product", "2", _product("A1", "Atta", 0)),
        ("invoice", "1", invoice("B-1", [line(1, 1800, 20000, 3600)])),
        ("ledger_entry", "2", _entry("4", 2000)),
    )
    return first, second


def _range() -> str:
    return f"from={DAY.isoformat()}&to={DAY.isoformat()}"


def test_every_page_answers_for_all_shops_and_for_one(
    admin_client: FlaskClient, shops: tuple[str, str]
) -> None:
    for page in PAGES:
        for shop in ("", shops[0]):
            answer = admin_client.get(f"/hq/reports/{page}?shop={shop}&{_range()}")
            assert answer.status_code == 200, (page, shop)
            text = answer.get_data(as_text=True)
            assert "data-shop-select" in text and "data-hq-reports-nav" in text
    assert admin_client.get("/hq/reports/sales?shop=no-such-shop").status_code == 404
    assert admin_client.get(f"/hq/reports/?shop={'x' * 500}").status_code == 404


def test_the_dashboard_totals_row_is_the_sum_of_the_shops(
    admin_client: FlaskClient, shops: tuple[str, str]
) -> None:
    page = admin_client.get("/hq/reports/?period=months").get_data(as_text=True)
    table = page.split("data-hq-dashboard-shops", 1)[1]
    sales = re.findall(r'data-figure="sales">([^<]+)<', table)
    assert len(sales) == 3  # two shops and the totals row
    assert "105.00" in sales[0] and "236.00" in sales[1] and "341.00" in sales[2]


def test_sales_and_tax_download_as_csv(admin_client: FlaskClient, shops: tuple[str, str]) -> None:
    sales = admin_client.get(f"/hq/reports/sales?format=csv&{_range()}")
    assert sales.status_code == 200 and sales.mimetype == "text/csv"
    rows = sales.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert rows[0].startswith("Date,Bills,Gross sales")
    assert rows[1].startswith(f"{DAY.isoformat()},2,341.00")
    tax = admin_client.get(f"/hq/reports/tax?format=csv&shop={shops[1]}&{_range()}")
    assert tax.get_data(as_text=True).splitlines()[1] == "18.00,200.00,36.00,18.00,18.00,0.00,0.00"
    exported = db.session.scalars(select(AuditLog).where(AuditLog.action == "export.create"))
    assert len(list(exported)) == 2
    bad = admin_client.get("/hq/reports/sales?from=2026-12-31&to=2026-01-01")
    assert bad.status_code == 422 and "ends before it starts" in bad.get_data(as_text=True)


def test_the_sales_by_shop_table_and_the_stock_download_as_csv(
    admin_client: FlaskClient, shops: tuple[str, str]
) -> None:
    page = admin_client.get(f"/hq/reports/sales?{_range()}").get_data(as_text=True)
    assert "table=1" in page  # the second table's own download
    by_shop = admin_client.get(f"/hq/reports/sales?format=csv&table=1&{_range()}")
    assert by_shop.status_code == 200 and "hq-sales-2-" in by_shop.headers["Content-Disposition"]
    rows = by_shop.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert rows[0].startswith("Shop,Bills,Gross sales")
    assert [row.split(",")[:3] for row in rows[1:]] == [
        ["Main Road", "1", "105.00"],
        ["Station Road", "1", "236.00"],
        ["Total", "2", "341.00"],
    ]
    for bad in ("2", "-1", "x", "١", "9" * 5000):
        answer = admin_client.get(f"/hq/reports/sales?format=csv&table={bad}&{_range()}")
        assert answer.status_code == 422, bad

    stock_page = admin_client.get("/hq/reports/stock?q=atta").get_data(as_text=True)
    assert "format=csv" in stock_page and "q=atta" in stock_page
    stock = admin_client.get("/hq/reports/stock?format=csv")
    assert stock.status_code == 200 and stock.mimetype == "text/csv"
    lines = stock.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "Code,Product,Unit,Main Road,Station Road,Value at selling price"
    assert lines[1].split(",")[:5] == ["A1", "Atta", "pcs", "5", "0"]
    assert lines[-1].startswith("Total,")
    one_shop = admin_client.get(f"/hq/reports/stock?format=csv&shop={shops[1]}")
    assert one_shop.get_data(as_text=True).lstrip("\ufeff").splitlines()[0].count(",") == 4


def test_the_khata_sums_a_phone_number_once_customers_are_shared(
    admin_client: FlaskClient, shops: tuple[str, str]
) -> None:
    apart = admin_client.get("/hq/reports/khata").get_data(as_text=True)
    assert len(re.findall(r"data-due>", apart)) == 2
    answer = admin_client.post("/hq/reports/khata/sharing", data={"shared": "1"})
    assert answer.status_code == 302
    shared = admin_client.get("/hq/reports/khata").get_data(as_text=True)
    dues = re.findall(r"data-due>([^<]+)<", shared)
    assert len(dues) == 1 and "125.00" in dues[0]
    assert "Customers are shared across shops." in shared
    admin_client.post("/hq/reports/khata/sharing", data={"shared": "0"})
    assert hq_reports.customers_shared(db.session) is False


def test_the_stock_matrix_marks_a_shop_out_of_a_product(
    admin_client: FlaskClient, shops: tuple[str, str]
) -> None:
    page = admin_client.get("/hq/reports/stock?out=1").get_data(as_text=True)
    assert "Atta" in page and page.count("data-out") == 1


def test_users_of_a_shop_and_its_empty_state(
    admin_client: FlaskClient, shops: tuple[str, str]
) -> None:
    assert "asha" in admin_client.get(f"/hq/reports/users?shop={shops[0]}").get_data(as_text=True)
    empty = admin_client.get(f"/hq/reports/users?shop={shops[1]}").get_data(as_text=True)
    assert "data-no-users" in empty


def test_a_shop_asks_a_customers_due_only_while_customers_are_shared(
    app: Flask,
    shops: tuple[str, str],
    admin,  # type: ignore[no-untyped-def]  # HQ is set up: its owner exists
) -> None:
    made = hq.create_shop(db.session, "Third", None)
    body = {"code": made.code, "shop": {"name": "Third", "gstin": "", "version": "0.1.0"}}
    credential = hq.enrol(db.session, body, "HQ").credential
    client = app.test_client()
    url = "/hq/api/v1/customers/due?phone=919876543210"
    bearer = {"Authorization": f"Bearer {credential}"}
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
    refused = client.get(url, headers=bearer)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "customers_not_shared"
    hq_reports.set_customers_shared(db.session, True, None)
    answer = client.get(url, headers=bearer)
    assert answer.status_code == 200
    assert answer.get_json() == {
        "phone": "919876543210",
        "due": 12500,
        "shops": [{"name": "Main Road", "due": 10500}, {"name": "Station Road", "due": 2000}],
    }
    bad = client.get("/hq/api/v1/customers/due?phone=abc", headers=bearer)
    assert bad.status_code == 422


def test_the_pages_are_for_admins_only(app: Flask, admin, cashier) -> None:  # type: ignore[no-untyped-def]
    anonymous = app.test_client()
    for page in PAGES:
        answer = anonymous.get(f"/hq/reports/{page}")
        assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    till = app.test_client()
    login(till, "cashier")
    for page in PAGES:
        assert till.get(f"/hq/reports/{page}").status_code == 403
    assert till.post("/hq/reports/khata/sharing", data={"shared": "1"}).status_code == 403
    assert hq_reports.customers_shared(db.session) is False


def test_no_report_pages_without_hq_mode(tmp_path: Path, database: str) -> None:
    shop_app = build_app(tmp_path / "shop", WTF_CSRF_ENABLED=False)
    with shop_app.app_context():
        make_user(db.session, "owner", "admin")
        client = shop_app.test_client()
        login(client, "owner")
        assert client.get("/hq/reports/").status_code == 404
        assert client.get("/hq/api/v1/customers/due?phone=1").status_code == 404
        db.session.remove()
        db.engine.dispose()
