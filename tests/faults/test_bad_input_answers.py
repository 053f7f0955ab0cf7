"""Each cause of the hostile run's 500s, called directly: every one is now a 4xx, nothing saved."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp import json_depth
from posapp.extensions import db
from posapp.models import Invoice, Product
from tests.factories import PASSWORD, make_product

HUGE = str(2**64)


@pytest.fixture
def web(client: FlaskClient, admin) -> FlaskClient:  # type: ignore[no-untyped-def]
    assert (
        client.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 302
    )
    return client


@pytest.mark.parametrize("value", ["0", "xlsx", "", "1e3", "%00"])
def test_report_format_never_reaches_url_for(web: FlaskClient, value: str) -> None:
    response = web.get(f"/reports/sales-by-day?format={value}&_anchor=x&_external=1")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "format=csv" in page and "_anchor" not in page and "http://localhost" not in page


@pytest.mark.parametrize(
    "url",
    [
        "/invoices/?from=0001-01-01",
        "/invoices/?to=9999-12-31",
        "/audit/?from=0001-01-01",
        "/audit/?to=9999-12-31",
        "/reports/movements?from=0001-01-01&to=9999-12-31",
    ],
)
def test_dates_at_the_calendar_edges(web: FlaskClient, url: str) -> None:
    assert web.get(url).status_code in (200, 422)


@pytest.mark.parametrize(
    "url",
    [
        f"/invoices/?page={HUGE}",
        f"/invoices/?cashier={HUGE}",
        f"/audit/?page={HUGE}",
        f"/audit/?user={HUGE}",
        f"/customers/?page={HUGE}",
        f"/customers/dues?page={HUGE}",
        f"/products/?page={HUGE}",
        f"/inventory/count?page={HUGE}",
        f"/products/labels?ids={HUGE}",
        f"/products/labels?ids=\u0968&ids={'9' * 60}",
    ],
)
def test_integers_past_64_bits_in_filters(web: FlaskClient, url: str) -> None:
    assert web.get(url).status_code == 200


@pytest.mark.parametrize("url", ["/customers/", "/invoices/"])
def test_a_60_kb_search_is_a_clear_422(web: FlaskClient, url: str) -> None:
    response = web.get(url, query_string={"q": "x" * 60_000})
    assert response.status_code == 422
    assert "at most 200 characters" in response.get_data(as_text=True)


def test_a_port_in_superscript_digits_is_refused(web: FlaskClient) -> None:
    response = web.post("/network/", data={"lan_port": "\u00b2"})
    assert response.status_code == 422


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_deeply_nested_json_is_a_400(
    client: FlaskClient, admin_headers: dict[str, str], depth: int
) -> None:
    body = '{"name": ' + "[" * depth + "]" * depth + "}"
    response = client.post(
        "/api/customers", data=body, headers={**admin_headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "malformed_json"


def test_ordinary_nesting_is_accepted() -> None:
    assert json_depth({"items": [{"product_id": 1}]}) == 3
    assert json_depth("text") == 0
    assert json_depth([[[[]]]]) == 4


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/products", {"name": ["a", "b"], "price": "1"}),
        ("/api/products", {"name": "Tea", "price": "1", "category": {"a": 1}}),
        ("/api/customers", {"name": ["a", "b"], "phone": "9812345678"}),
        ("/api/customers", {"name": "Asha", "phone": "9812345678", "address": ["x"]}),
    ],
)
def test_lists_where_text_is_expected_are_a_422(
    client: FlaskClient, admin_headers: dict[str, str], url: str, body: dict
) -> None:
    response = client.post(url, json=body, headers=admin_headers)
    assert response.status_code == 422, response.get_json()
    assert db.session.scalar(select(func.count()).select_from(Product)) == 0


def test_price_times_quantity_past_64_bits_is_a_clear_422(
    client: FlaskClient,
    admin,
    admin_headers: dict[str, str],  # type: ignore[no-untyped-def]
) -> None:
    gold = make_product(
        db.session, admin.id, name="Gold", price="99999999999.99", unit="kg", opening_stock="0"
    )
    body = {
        "items": [{"product_id": gold.id, "quantity": "9999999.999"}],
        "payments": [{"method": "cash", "amount": "1.00"}],
    }
    response = client.post("/api/invoice/create", json=body, headers=admin_headers)
    assert response.status_code == 422
    assert "more than" in response.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0


def test_many_lines_past_the_bill_limit_are_a_clear_422(
    client: FlaskClient,
    admin,
    admin_headers: dict[str, str],  # type: ignore[no-untyped-def]
) -> None:
    big = make_product(
        db.session, admin.id, name="Big", price="99999999999", unit="pcs", opening_stock="0"
    )
    body = {
        "items": [{"product_id": big.id, "quantity": 1} for _ in range(3)],
        "payments": [{"method": "cash", "amount": "1.00"}],
    }
    response = client.post("/api/invoice/create", json=body, headers=admin_headers)
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0
