"""Inputs that schemathesis found answering 500; each now gets a clean 4xx envelope."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from posapp.money import is_valid_ean13
from tests.factories import PASSWORD


@pytest.mark.parametrize(
    "method,url",
    [
        ("GET", "/api/invoice/%C2%B2"),  # "²": str.isdigit() says yes, int() says no
        ("GET", "/api/invoice/%C2%B2/pdf"),
        ("GET", "/api/credit-note/%C2%B9"),
        ("GET", "/api/invoice/" + "9" * 30),  # beyond 64 bits: SQLite raised OverflowError
        ("GET", "/api/credit-note/" + "9" * 30),
        ("GET", "/api/products/" + "9" * 30),
        ("DELETE", "/api/products/" + "9" * 30),
        ("PUT", "/api/customers/" + "9" * 19),
    ],
)
def test_odd_keys_are_not_found(
    client: FlaskClient, admin_headers: dict[str, str], method: str, url: str
) -> None:
    response = client.open(url, method=method, json={}, headers=admin_headers)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_a_return_on_an_odd_key_is_not_found(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/invoice/%C2%B2/return",
        json={"lines": [{"line_id": 1, "quantity": "1"}]},
        headers=admin_headers,
    )
    assert response.status_code == 404


def test_web_pages_with_huge_ids_are_not_found(client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    # The bounded <int:> converter serves every blueprint, not only the API.
    client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert client.get("/products/1").status_code == 404  # logged in: no such product
    assert client.get("/products/" + "9" * 30).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"items": [{"product_id": 10**30, "quantity": 1}]},
        {"items": [{"code": "x", "quantity": 1}], "customer_id": -(10**30)},
    ],
)
def test_huge_json_integers_are_refused(
    client: FlaskClient, admin_headers: dict[str, str], body: dict
) -> None:
    response = client.post("/api/invoice/create", json=body, headers=admin_headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["message"] == "A number in the request is too large."


def test_huge_query_integers_are_refused(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    for url in ("/api/invoices?customer_id=" + "9" * 30, "/api/products?page=" + "9" * 30):
        response = client.get(url, headers=admin_headers)
        assert response.status_code == 422, url


def test_superscript_digits_are_no_ean13() -> None:
    assert not is_valid_ean13("²" * 13)
