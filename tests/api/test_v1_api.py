"""API v1: the versioned paths, deprecation of the old ones, who am I, token refresh, stock
status and history, stock adjustment, payments and an invoice's payment status."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import Order, Product
from posapp.services import checkout, orders, returns
from tests.factories import make_customer, make_product


def test_v1_answers_plainly_and_the_old_paths_are_deprecated(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    new = client.get("/api/v1/products?per_page=5", headers=admin_headers)
    assert new.status_code == 200
    assert "Deprecation" not in new.headers and "Link" not in new.headers
    old = client.get("/api/products?per_page=5", headers=admin_headers)
    assert old.status_code == 200 and old.get_json() == new.get_json()
    assert old.headers["Deprecation"].startswith("@")
    assert int(old.headers["Deprecation"][1:]) > 0
    assert old.headers["Link"] == '</api/v1/products>; rel="successor-version"'
    # Errors on an old path say it too, in the same envelope.
    missing = client.get("/api/products/999", headers=admin_headers)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    assert missing.headers["Link"] == '</api/v1/products/999>; rel="successor-version"'
    # Endpoints new in v1 have no old path.
    assert client.get("/api/orders", headers=admin_headers).status_code == 404
    assert client.get("/api/v1/orders", headers=admin_headers).status_code == 200


def test_me_names_the_user_the_role_and_the_shop(
    client: FlaskClient, admin_headers: dict[str, str], cashier_headers: dict[str, str]
) -> None:
    shop = {"shop_name": "Sri Lakshmi Stores"}
    assert client.put("/api/v1/settings", json=shop, headers=admin_headers).status_code == 200
    response = client.get("/api/v1/auth/me", headers=cashier_headers)
    assert response.status_code == 200
    me = response.get_json()
    assert me["user"]["username"] == "cashier" and me["role"] == "cashier"
    assert me["shop"] == {"name": "Sri Lakshmi Stores", "gstin": None, "currency": "INR"}
    assert me["token_expires_at"] is not None
    assert client.get("/api/v1/auth/me").status_code == 401


def test_refresh_swaps_the_token_and_ends_the_old_one(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    response = client.post("/api/v1/auth/refresh", headers=admin_headers)
    assert response.status_code == 200
    fresh = {"Authorization": f"Bearer {response.get_json()['token']}"}
    assert response.get_json()["user"]["username"] == "admin"
    assert client.get("/api/v1/auth/me", headers=admin_headers).status_code == 401
    assert client.get("/api/v1/auth/me", headers=fresh).status_code == 200
    assert client.post("/api/v1/auth/refresh", headers=admin_headers).status_code == 401


def test_stock_status_shows_reserved_and_available_and_filters_by_state(
    client: FlaskClient, admin_headers: dict[str, str], admin: Any
) -> None:
    rice = make_product(
        db.session,
        admin.id,
        name="Sona Rice 5kg",
        opening_stock="10",
        low_stock_threshold="3",
        category="Grains",
    )
    make_product(db.session, admin.id, name="Sugar 1kg", opening_stock="2", low_stock_threshold="5")
    make_product(db.session, admin.id, name="Salt 1kg", opening_stock="0")
    customer = make_customer(db.session, admin)
    order = orders.create_order(
        db.session,
        orders.parse_order(
            {"customer_id": customer.id, "items": [{"product_id": rice.id, "quantity": "8"}]}
        ),
        admin,
        "api",
    )
    orders.change_status(db.session, order.id, "confirmed", admin)
    body = client.get("/api/v1/inventory/status", headers=admin_headers).get_json()
    by_name = {item["name"]: item for item in body["items"]}
    assert body["total"] == 3 and body["page"] == 1 and body["per_page"] == 50
    assert by_name["Sona Rice 5kg"] | {} == {
        **by_name["Sona Rice 5kg"],
        "on_hand": "10",
        "reserved": "8",
        "available": "2",
        "low": True,
        "out": False,
        "state": "low",
        "category": "Grains",
    }
    assert by_name["Salt 1kg"]["state"] == "out" and by_name["Salt 1kg"]["out"] is True

    def names(query: str) -> list[str]:
        answer = client.get(f"/api/v1/inventory/status?{query}", headers=admin_headers)
        assert answer.status_code == 200, answer.get_json()
        return [item["name"] for item in answer.get_json()["items"]]

    assert names("state=low") == ["Sona Rice 5kg", "Sugar 1kg"]
    assert names("state=out") == ["Salt 1kg"]
    assert names("state=ok") == []
    assert names("q=rice") == ["Sona Rice 5kg"]
    assert names("q=1kg") == ["Salt 1kg", "Sugar 1kg"]
    assert names("category=grains") == ["Sona Rice 5kg"]
    assert names("per_page=1&page=2") == ["Sona Rice 5kg"]
    bad = client.get("/api/v1/inventory/status?state=gone", headers=admin_headers)
    assert bad.status_code == 422 and "state" in bad.get_json()["error"]["details"]["fields"]


def test_history_lists_movements_and_adjust_books_one(
    client: FlaskClient, admin_headers: dict[str, str], admin: Any
) -> None:
    product_id = make_product(db.session, admin.id, name="Ghee 500ml", opening_stock="10").id
    other_id = make_product(db.session, admin.id, name="Oil 1l").id
    adjusted = client.post(
        "/api/v1/inventory/adjust",
        json={"product_id": product_id, "delta": "-1", "reason": "adjust_damage", "note": "Leak"},
        headers=admin_headers,
    )
    assert adjusted.status_code == 200 and adjusted.get_json()["stock"] == "9"
    history = client.get(
        f"/api/v1/inventory/history?product_id={product_id}", headers=admin_headers
    ).get_json()
    assert [(m["reason"], m["delta"]) for m in history["items"]] == [
        ("adjust_damage", "-1"),
        ("opening", "10"),
    ]
    assert history["items"][0]["note"] == "Leak" and history["items"][0]["user"] == "admin"
    everything = client.get("/api/v1/inventory/history", headers=admin_headers).get_json()
    assert everything["total"] == 3 and {m["product_id"] for m in everything["items"]} == {
        product_id,
        other_id,
    }
    none = client.get(
        "/api/v1/inventory/history?from=2000-01-01&to=2000-01-31", headers=admin_headers
    ).get_json()
    assert none["total"] == 0
    for body, field in (
        ({"product_id": "x", "delta": "1", "reason": "purchase"}, "product_id"),
        ({"product_id": product_id, "delta": "2,5", "reason": "purchase"}, "delta"),
        ({"product_id": product_id, "delta": "1", "reason": "gift"}, "reason"),
    ):
        refused = client.post("/api/v1/inventory/adjust", json=body, headers=admin_headers)
        assert refused.status_code == 422, body
        assert field in refused.get_json()["error"]["details"]["fields"]
    missing = client.post(
        "/api/v1/inventory/adjust",
        json={"product_id": 99999, "delta": "1", "reason": "purchase"},
        headers=admin_headers,
    )
    assert missing.status_code == 404
    reversed_range = client.get(
        "/api/v1/inventory/history?from=2026-02-01&to=2026-01-01", headers=admin_headers
    )
    assert reversed_range.status_code == 422
    assert db.session.get(Product, product_id).stock_milli == 9000


def test_payments_list_and_invoice_payment_status(
    client: FlaskClient,
    admin_headers: dict[str, str],
    cashier_headers: dict[str, str],
    admin: Any,
) -> None:
    product = make_product(db.session, admin.id, price="100.00", opening_stock="20")
    customer = make_customer(db.session, admin, credit_limit="1000.00")
    cash = checkout.checkout(
        db.session,
        checkout.parse_checkout({"items": [{"product_id": product.id, "quantity": 1}]}),
        admin,
    )
    credit = checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {
                "items": [{"product_id": product.id, "quantity": 3}],
                "customer_id": customer.id,
                "payments": [
                    {"method": "upi", "amount": "100.00"},
                    {"method": "credit", "amount": "200.00"},
                ],
            }
        ),
        admin,
    )
    cash_id, credit_id, customer_id = cash.id, credit.id, customer.id

    def status(invoice_id: int) -> dict[str, Any]:
        response = client.get(
            f"/api/v1/invoices/{invoice_id}/payment-status", headers=admin_headers
        )
        assert response.status_code == 200
        return response.get_json()  # type: ignore[no-any-return]

    assert status(cash_id)["payment_status"] == "paid"
    partial = status(credit_id)
    assert partial["payment_status"] == "partial" and partial["balance_due"] == "200.00"
    assert [(p["method"], p["amount"]) for p in partial["payments"]] == [("upi", "100.00")]
    paid = client.post(
        f"/api/v1/customers/{customer_id}/payments",
        json={"amount": "200.00", "method": "cash"},
        headers=admin_headers,
    )
    assert paid.status_code == 201
    assert status(credit_id)["payment_status"] == "paid"
    returns.void_invoice(db.session, str(cash_id), {"reason": "Wrong item"}, admin)
    assert status(cash_id)["payment_status"] == "refunded"

    page = client.get(f"/api/v1/payments?customer_id={customer_id}", headers=admin_headers)
    listed = page.get_json()
    assert listed["total"] == 2
    assert [(p["method"], p["invoice_id"]) for p in listed["items"]] == [
        ("cash", None),
        ("upi", credit_id),
    ]
    one = client.get(f"/api/v1/payments?invoice_id={cash_id}", headers=admin_headers).get_json()
    assert [p["invoice_number"] for p in one["items"]] == [status(cash_id)["number"]]
    # A cashier sees the payments they took: none here.
    assert client.get("/api/v1/payments", headers=cashier_headers).get_json()["total"] == 0
    assert client.get(
        f"/api/v1/invoices/{cash_id}/payment-status", headers=cashier_headers
    ).status_code in (403, 404)
    assert client.get("/api/v1/payments?from=2026-13-01", headers=admin_headers).status_code == 422
    assert db.session.scalar(select(Order)) is None
