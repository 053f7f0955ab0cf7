"""API: customers, their ledger, payments on account, and credit at checkout (docs/API.md)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from posapp.extensions import db
from tests.api.test_products_api import assert_envelope
from tests.factories import make_product

Headers = dict[str, str]


def create(client: FlaskClient, headers: Headers, **fields: object) -> dict:
    body = {"name": "Ramesh Kumar", "phone": "98765 43210", **fields}
    response = client.post("/api/customers", headers=headers, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def sell_on_credit(
    client: FlaskClient, headers: Headers, customer_id: int, product_id: int, qty: int, **extra
) -> object:
    return client.post(
        "/api/invoice/create",
        headers=headers,
        json={
            "customer_id": customer_id,
            "items": [{"product_id": product_id, "quantity": qty}],
            **extra,
        },
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/customers"),
        ("post", "/api/customers"),
        ("get", "/api/customers/1"),
        ("put", "/api/customers/1"),
        ("get", "/api/customers/1/ledger"),
        ("post", "/api/customers/1/payments"),
        ("post", "/api/customers/1/adjustments"),
    ],
)
@pytest.mark.servers_first_case(
    "who may call is decided before any query; the first case reaches the database"
)
def test_every_customer_endpoint_needs_a_login(client: FlaskClient, method: str, path: str) -> None:
    response = getattr(client, method)(path, json={})
    assert_envelope(response, 401, "unauthorized")


def test_create_returns_the_customer_with_balance_and_aging(
    client: FlaskClient, admin_headers: Headers
) -> None:
    body = create(
        client,
        admin_headers,
        phone="+91-98765-43210",
        email="ramesh@example.com",
        address="12 Market Road",
        credit_limit="2000",
    )
    assert body["phone"] == "+919876543210"
    assert body["phone_display"] == "+91 98765 43210"
    assert body["credit_limit"] == "2000.00"
    assert body["balance"] == "0.00"
    assert body["available_credit"] == "2000.00"
    assert body["aging"] == {"0_30": "0.00", "31_60": "0.00", "61_90": "0.00", "90_plus": "0.00"}
    assert body["archived"] is False
    assert body["last_visit"] is None and body["total_spent"] == "0.00"
    again = client.get(f"/api/customers/{body['id']}", headers=admin_headers).get_json()
    assert again == body


def test_create_validation_duplicate_and_roles(
    client: FlaskClient, admin_headers: Headers, cashier_headers: Headers
) -> None:
    error = assert_envelope(
        client.post(
            "/api/customers",
            headers=admin_headers,
            json={"name": "", "phone": "12", "credit_limit": "1.234", "email": "x"},
        ),
        422,
        "validation_error",
    )
    assert set(error["details"]["fields"]) == {"name", "phone", "credit_limit", "email"}
    assert_envelope(
        client.post("/api/customers", headers=admin_headers, json={"name": "No phone"}),
        422,
    )
    assert_envelope(
        client.post("/api/customers", headers=admin_headers, json=["not", "an", "object"]),
        422,
    )
    bad_json = client.post(
        "/api/customers",
        headers={**admin_headers, "Content-Type": "application/json"},
        data="{oops",
    )
    assert_envelope(bad_json, 400, "malformed_json")
    first = create(client, admin_headers)
    error = assert_envelope(
        client.post(
            "/api/customers",
            headers=cashier_headers,
            json={"name": "Other", "phone": "09876543210"},
        ),
        409,
        "duplicate",
    )
    assert error["details"]["customer_id"] == first["id"]
    assert_envelope(
        client.post(
            "/api/customers",
            headers=cashier_headers,
            json={"name": "Greedy", "phone": "9123456789", "credit_limit": "99999"},
        ),
        403,
        "forbidden",
    )
    made = create(client, cashier_headers, name="Cashier made", phone="9123456789")
    assert made["credit_limit"] == "2000.00"  # the shop's limit for new customers


def test_list_searches_by_phone_and_fuzzy_name(client: FlaskClient, admin_headers: Headers) -> None:
    ramesh = create(client, admin_headers)
    create(client, admin_headers, name="Sunita Devi", phone="91234 56789")
    for q in ("98765", "+91 98765 43210", "09876543210", "Rmaesh", "ramesh"):
        body = client.get("/api/customers", headers=admin_headers, query_string={"q": q}).get_json()
        assert [c["id"] for c in body["items"]][:1] == [ramesh["id"]], q
    body = client.get("/api/customers", headers=admin_headers).get_json()
    assert set(body) == {"items", "total", "page", "per_page"}
    assert body["total"] == 2 and body["per_page"] == 50
    assert body["items"][0]["balance"] == "0.00"
    assert_envelope(
        client.get("/api/customers", headers=admin_headers, query_string={"per_page": 501}), 422
    )


def test_get_and_put_unknown_customers_are_404(client: FlaskClient, admin_headers: Headers) -> None:
    assert_envelope(client.get("/api/customers/999", headers=admin_headers), 404, "not_found")
    assert_envelope(
        client.put("/api/customers/999", headers=admin_headers, json={"name": "x"}), 404
    )
    assert_envelope(client.get("/api/customers/999/ledger", headers=admin_headers), 404)
    assert_envelope(
        client.post(
            "/api/customers/999/payments",
            headers=admin_headers,
            json={"amount": "1", "method": "cash"},
        ),
        404,
    )


def test_put_is_a_partial_update(
    client: FlaskClient, admin_headers: Headers, cashier_headers: Headers
) -> None:
    customer = create(client, admin_headers, email="a@b.in")
    url = f"/api/customers/{customer['id']}"
    body = client.put(url, headers=cashier_headers, json={"address": "Shop lane"}).get_json()
    assert body["address"] == "Shop lane" and body["email"] == "a@b.in"
    assert body["name"] == "Ramesh Kumar"
    error = assert_envelope(
        client.put(url, headers=cashier_headers, json={"phone": "123", "email": "bad"}), 422
    )
    assert set(error["details"]["fields"]) == {"phone", "email"}
    assert_envelope(client.put(url, headers=cashier_headers, json={"credit_limit": "10"}), 403)
    body = client.put(url, headers=admin_headers, json={"credit_limit": "10"}).get_json()
    assert body["credit_limit"] == "10.00"
    other = create(client, admin_headers, name="Other", phone="9123456789")
    assert_envelope(
        client.put(url, headers=admin_headers, json={"phone": other["phone"]}), 409, "duplicate"
    )


def test_credit_sale_then_payment_through_the_api(
    client: FlaskClient, admin, admin_headers: Headers
) -> None:  # type: ignore[no-untyped-def]
    product = make_product(db.session, admin.id, price="100.00", opening_stock="50")
    customer = create(client, admin_headers, credit_limit="1000")
    response = sell_on_credit(
        client,
        admin_headers,
        customer["id"],
        product.id,
        3,
        payments=[{"method": "cash", "amount": "50"}, {"method": "credit", "amount": "250"}],
    )
    assert response.status_code == 201, response.get_json()
    invoice = response.get_json()
    assert invoice["customer"] == {
        "id": customer["id"],
        "name": "Ramesh Kumar",
        "phone": "+919876543210",
    }
    assert (invoice["paid"], invoice["balance_due"], invoice["status"]) == (
        "50.00",
        "250.00",
        "partial",
    )
    assert [p["method"] for p in invoice["payments"]] == ["cash"]

    detail = client.get(f"/api/customers/{customer['id']}", headers=admin_headers).get_json()
    assert detail["balance"] == "250.00"
    assert detail["available_credit"] == "750.00"
    assert detail["aging"]["0_30"] == "250.00"
    assert detail["total_spent"] == "300.00"
    assert detail["last_visit"] == invoice["created_at"]

    response = client.post(
        f"/api/customers/{customer['id']}/payments",
        headers=admin_headers,
        json={"amount": "300", "method": "upi", "note": "GPay ref 1234"},
    )
    assert response.status_code == 201, response.get_json()
    payment = response.get_json()
    assert payment["amount"] == "300.00" and payment["method"] == "upi"
    assert payment["note"] == "GPay ref 1234"
    assert payment["allocations"] == [
        {"invoice_id": invoice["id"], "invoice_number": invoice["number"], "amount": "250.00"}
    ]
    assert payment["unallocated"] == "50.00"
    assert payment["advance"] == "50.00"
    assert payment["balance"] == "-50.00"

    settled = client.get(f"/api/invoice/{invoice['id']}", headers=admin_headers).get_json()
    assert (settled["paid"], settled["balance_due"], settled["status"]) == (
        "300.00",
        "0.00",
        "paid",
    )
    assert [(p["method"], p["amount"]) for p in settled["payments"]] == [
        ("cash", "50.00"),
        ("upi", "250.00"),
    ]
    listed = client.get(
        "/api/invoices", headers=admin_headers, query_string={"customer_id": customer["id"]}
    ).get_json()
    assert [i["status"] for i in listed["items"]] == ["paid"]

    ledger = client.get(f"/api/customers/{customer['id']}/ledger", headers=admin_headers).get_json()
    assert set(ledger) == {"items", "total", "page", "per_page"}
    assert [(e["kind"], e["amount"], e["balance"]) for e in ledger["items"]] == [
        ("credit_sale", "250.00", "250.00"),
        ("payment", "-300.00", "-50.00"),
    ]
    assert ledger["items"][0]["invoice"] == {"id": invoice["id"], "number": invoice["number"]}
    assert ledger["items"][1]["payment_id"] == payment["id"]
    assert ledger["items"][1]["note"] == "GPay ref 1234"
    newest = client.get(
        f"/api/customers/{customer['id']}/ledger",
        headers=admin_headers,
        query_string={"order": "desc", "per_page": 1},
    ).get_json()
    assert newest["total"] == 2 and newest["items"][0]["kind"] == "payment"
    assert_envelope(
        client.get(
            f"/api/customers/{customer['id']}/ledger",
            headers=admin_headers,
            query_string={"order": "sideways"},
        ),
        422,
    )


def test_checkout_credit_errors(  # type: ignore[no-untyped-def]
    client: FlaskClient, admin, admin_headers: Headers, cashier_headers: Headers
) -> None:
    product = make_product(db.session, admin.id, price="100.00", opening_stock="50")
    customer = create(client, admin_headers, credit_limit="150")
    # A cashier's credit over the limit needs an admin: the reason says the figures.
    error = assert_envelope(
        sell_on_credit(
            client,
            cashier_headers,
            customer["id"],
            product.id,
            2,
            payments=[{"method": "credit", "amount": "200"}],
        ),
        409,
        "approval_required",
    )
    [reason] = error["details"]["reasons"]
    assert reason["code"] == "credit_limit"
    assert "credit left ₹150.00 of ₹150.00" in reason["message"]
    error = assert_envelope(
        client.post(
            "/api/invoice/create",
            headers=admin_headers,
            json={
                "items": [{"product_id": product.id}],
                "payments": [{"method": "credit", "amount": "100"}],
            },
        ),
        422,
    )
    assert "customer_id" in error["details"]["fields"]
    error = assert_envelope(
        sell_on_credit(client, admin_headers, 999, product.id, 1),
        422,
    )
    assert "customer_id" in error["details"]["fields"]
    listed = client.get("/api/invoices", headers=admin_headers).get_json()
    assert listed["total"] == 0


def test_payment_validation_errors(client: FlaskClient, admin_headers: Headers) -> None:
    customer = create(client, admin_headers)
    url = f"/api/customers/{customer['id']}/payments"
    error = assert_envelope(
        client.post(url, headers=admin_headers, json={"amount": "0.001", "method": "credit"}), 422
    )
    assert set(error["details"]["fields"]) == {"amount", "method"}
    assert_envelope(client.post(url, headers=admin_headers, json={"amount": 12.5}), 422)
    ok = client.post(url, headers=admin_headers, json={"amount": 12.5, "method": "cash"})
    assert ok.status_code == 201 and ok.get_json()["amount"] == "12.50"


def test_adjustments_are_admin_only(
    client: FlaskClient, admin_headers: Headers, cashier_headers: Headers
) -> None:
    customer = create(client, admin_headers)
    url = f"/api/customers/{customer['id']}/adjustments"
    body = {"amount": "120.00", "reason": "Old notebook balance"}
    assert_envelope(client.post(url, headers=cashier_headers, json=body), 403, "forbidden")
    error = assert_envelope(
        client.post(url, headers=admin_headers, json={"amount": "5"}), 422, "validation_error"
    )
    assert "reason" in error["details"]["fields"]
    response = client.post(url, headers=admin_headers, json=body)
    assert response.status_code == 201
    assert response.get_json()["balance"] == "120.00"
    assert_envelope(
        client.put(
            f"/api/customers/{customer['id']}", headers=admin_headers, json={"archived": True}
        ),
        409,
        "has_balance",
    )


def test_invoice_list_finds_bills_by_customer_name_or_phone(
    client: FlaskClient,
    admin,  # type: ignore[no-untyped-def]
    admin_headers: Headers,
) -> None:
    product = make_product(db.session, admin.id, price="10.00", opening_stock="50")
    customer = create(client, admin_headers, name="Farhan Shaikh", phone="91234 56789")
    sold = sell_on_credit(client, admin_headers, customer["id"], product.id, 1)
    assert sold.status_code == 201
    client.post(
        "/api/invoice/create", headers=admin_headers, json={"items": [{"product_id": product.id}]}
    )
    for q in ("Farhan", "shaikh", "91234 5", "09123456789"):
        body = client.get("/api/invoices", headers=admin_headers, query_string={"q": q}).get_json()
        assert [i["id"] for i in body["items"]] == [sold.get_json()["id"]], q
    body = client.get("/api/invoices", headers=admin_headers, query_string={"q": "100%"}).get_json()
    assert body["total"] == 0
