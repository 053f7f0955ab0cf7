"""API v1 orders: take (with a new customer, idempotently), list and filter, every allowed
and refused transition, delivery into an invoice, cancellation releasing stock."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import Customer, Invoice, Order, Product
from posapp.services import orders
from tests.factories import make_customer, make_product


def _take(client: FlaskClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/orders", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def _move(
    client: FlaskClient, headers: dict[str, str], order_id: int, **body: Any
) -> tuple[int, dict[str, Any]]:
    response = client.post(f"/api/v1/orders/{order_id}/status", json=body, headers=headers)
    return response.status_code, response.get_json()


def _stock(product_id: int) -> tuple[int, int]:
    db.session.remove()
    product = db.session.get(Product, product_id)
    assert product is not None
    return product.stock_milli, product.reserved_milli


def test_a_phone_order_is_taken_confirmed_packed_and_delivered_into_an_invoice(
    client: FlaskClient, admin_headers: dict[str, str], admin: Any
) -> None:
    product_id = make_product(db.session, admin.id, name="Atta 5kg", price="250.00").id
    headers = {**admin_headers, "Idempotency-Key": "phone-order-1"}
    body = {
        "customer": {"name": "Meena Rao", "phone": "98450 12345"},
        "items": [{"product_id": product_id, "quantity": "2"}],
        "fulfilment": "delivery",
        "address": "14 Temple Street",
        "delivery_charge": "30.00",
        "payment_plan": "on_delivery",
    }
    order = _take(client, headers, body)
    again = client.post("/api/v1/orders", json=body, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json() == order
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert order["number"].startswith("ORD-") and order["status"] == "pending"
    assert order["estimate"] == "530.00" and order["to_pay"] == "530.00"
    assert order["allowed_next"] == ["confirmed", "cancelled"]
    assert [e["to_status"] for e in order["events"]] == ["pending"]
    assert order["customer"]["name"] == "Meena Rao"
    order_id = order["id"]

    status, confirmed = _move(client, admin_headers, order_id, status="confirmed", note="Called")
    assert status == 200 and confirmed["lines"][0]["reserved"] == "2"
    assert _stock(product_id) == (100_000, 2_000)
    status, _ = _move(client, admin_headers, order_id, status="packed")
    assert status == 200
    # A delivery order is never "ready for pickup".
    status, refused = _move(client, admin_headers, order_id, status="ready_for_pickup")
    assert status == 409 and refused["error"]["code"] == "transition_not_allowed"
    status, _ = _move(client, admin_headers, order_id, status="out_for_delivery")
    assert status == 200
    status, delivered = _move(
        client,
        admin_headers,
        order_id,
        status="delivered",
        payments=[{"method": "upi", "amount": "530.00"}],
    )
    assert status == 200, delivered
    assert delivered["status"] == "delivered" and delivered["invoice_id"] is not None
    assert delivered["allowed_next"] == []
    assert [e["to_status"] for e in delivered["events"]] == [
        "pending",
        "confirmed",
        "packed",
        "out_for_delivery",
        "delivered",
    ]
    assert delivered["events"][1]["note"] == "Called" and delivered["events"][1]["user"] == "admin"
    assert _stock(product_id) == (98_000, 0)
    invoice = client.get(f"/api/v1/invoice/{delivered['invoice_id']}", headers=admin_headers)
    assert invoice.get_json()["total"] == "530.00" and invoice.get_json()["status"] == "paid"
    assert delivered["invoice_number"] == invoice.get_json()["number"]
    read = client.get(f"/api/v1/orders/{order_id}", headers=admin_headers).get_json()
    assert read == delivered
    status, late = _move(client, admin_headers, order_id, status="cancelled", note="x")
    assert status == 409 and late["error"]["code"] == "transition_not_allowed"


@pytest.mark.parametrize(
    "path,to_status",
    [
        (["confirmed"], "pending"),
        ([], "packed"),
        ([], "out_for_delivery"),
        ([], "delivered"),
        (["confirmed"], "ready_for_pickup"),
        (["confirmed", "packed", "ready_for_pickup"], "packed"),
    ],
)
@pytest.mark.servers_first_case(
    "the allowed moves are a table in Python; the first case writes through the database"
)
def test_transitions_not_allowed_answer_409_and_change_nothing(
    client: FlaskClient, admin_headers: dict[str, str], admin: Any, path: list[str], to_status: str
) -> None:
    product_id = make_product(db.session, admin.id).id
    customer_id = make_customer(db.session, admin).id
    order = _take(
        client,
        admin_headers,
        {"customer_id": customer_id, "items": [{"product_id": product_id, "quantity": 1}]},
    )
    for step in path:
        assert _move(client, admin_headers, order["id"], status=step)[0] == 200
    status, answer = _move(client, admin_headers, order["id"], status=to_status)
    assert status == 409, answer
    assert answer["error"]["code"] == "transition_not_allowed"
    after = client.get(f"/api/v1/orders/{order['id']}", headers=admin_headers).get_json()
    assert after["status"] == (path[-1] if path else "pending")
    assert len(after["events"]) == 1 + len(path)


def test_cancel_needs_a_reason_and_releases_the_reserved_stock(
    client: FlaskClient, admin_headers: dict[str, str], admin: Any
) -> None:
    product_id = make_product(db.session, admin.id, opening_stock="5").id
    customer_id = make_customer(db.session, admin).id
    order = _take(
        client,
        admin_headers,
        {"customer_id": customer_id, "items": [{"product_id": product_id, "quantity": "4"}]},
    )
    assert _move(client, admin_headers, order["id"], status="confirmed")[0] == 200
    assert _stock(product_id) == (5_000, 4_000)
    # Another order cannot take the reserved stock.
    second = _take(
        client,
        admin_headers,
        {"customer_id": customer_id, "items": [{"product_id": product_id, "quantity": "2"}]},
    )
    status, short = _move(client, admin_headers, second["id"], status="confirmed")
    assert status == 409 and short["error"]["code"] == "insufficient_stock"
    url = f"/api/v1/orders/{order['id']}/cancel"
    for body in ({}, {"reason": ""}, {"reason": 5}, {"reason": "x" * 201}):
        refused = client.post(url, json=body, headers=admin_headers)
        assert refused.status_code == 422, body
    assert _stock(product_id) == (5_000, 4_000)
    cancelled = client.post(url, json={"reason": "Customer called"}, headers=admin_headers)
    assert cancelled.status_code == 200
    assert cancelled.get_json()["status"] == "cancelled"
    assert cancelled.get_json()["cancel_reason"] == "Customer called"
    assert _stock(product_id) == (5_000, 0)
    assert _move(client, admin_headers, second["id"], status="confirmed")[0] == 200
    again = client.post(url, json={"reason": "twice"}, headers=admin_headers)
    assert again.status_code == 409


def test_a_prepaid_order_is_confirmed_with_its_advance(
    client: FlaskClient, admin_headers: dict[str, str], admin: Any
) -> None:
    product_id = make_product(db.session, admin.id, price="100.00").id
    customer_id = make_customer(db.session, admin).id
    order = _take(
        client,
        admin_headers,
        {
            "customer_id": customer_id,
            "items": [{"product_id": product_id, "quantity": 1}],
            "payment_plan": "prepaid",
        },
    )
    status, refused = _move(client, admin_headers, order["id"], status="confirmed")
    assert status == 422 and "payment" in refused["error"]["details"]["fields"]
    status, _ = _move(client, admin_headers, order["id"], status="confirmed", payment="100")
    assert status == 422
    status, confirmed = _move(
        client,
        admin_headers,
        order["id"],
        status="confirmed",
        payment={"amount": "100.00", "method": "upi", "reference": "412345678901"},
    )
    assert status == 200, confirmed
    assert confirmed["to_pay"] == "0.00"


def test_lists_filter_by_status_customer_text_and_day(
    client: FlaskClient, admin_headers: dict[str, str], admin: Any
) -> None:
    product_id = make_product(db.session, admin.id).id
    meena = make_customer(db.session, admin, name="Meena Rao").id
    ravi = make_customer(db.session, admin, name="Ravi Kumar").id
    first = _take(
        client,
        admin_headers,
        {"customer_id": meena, "items": [{"product_id": product_id, "quantity": 1}]},
    )
    _take(
        client,
        admin_headers,
        {"customer_id": ravi, "items": [{"product_id": product_id, "quantity": 1}]},
    )
    assert _move(client, admin_headers, first["id"], status="confirmed")[0] == 200

    def numbers(query: str) -> list[str]:
        response = client.get(f"/api/v1/orders?{query}", headers=admin_headers)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert set(body) == {"items", "total", "page", "per_page"}
        return [o["customer"]["name"] for o in body["items"]]

    assert numbers("status=confirmed") == ["Meena Rao"]
    assert numbers("status=pending,confirmed") == ["Meena Rao", "Ravi Kumar"]
    assert numbers(f"customer_id={ravi}") == ["Ravi Kumar"]
    assert numbers("q=ravi") == ["Ravi Kumar"]
    assert numbers(f"q={first['number']}") == ["Meena Rao"]
    assert numbers("from=2000-01-01&to=2000-01-02") == []
    assert numbers("status=pending,confirmed&per_page=1&page=2") == ["Ravi Kumar"]
    for query, field in (
        ("status=lost", "status"),
        ("status=,", "status"),
        ("from=01-01-2026", "from"),
        ("customer_id=x", "customer_id"),
        ("per_page=0", "per_page"),
    ):
        refused = client.get(f"/api/v1/orders?{query}", headers=admin_headers)
        assert refused.status_code == 422, query
        assert field in refused.get_json()["error"]["details"]["fields"], query


def test_bad_orders_are_refused_and_write_nothing(
    client: FlaskClient, admin_headers: dict[str, str], admin: Any
) -> None:
    product_id = make_product(db.session, admin.id).id
    customers_before = db.session.scalar(select(func.count()).select_from(Customer))
    for body in (
        {"items": [{"product_id": product_id, "quantity": 1}]},
        {"customer": {"name": "A", "phone": "12"}, "items": []},
        {
            "customer": {"name": "New", "phone": "98450 99999"},
            "items": [{"product_id": product_id, "quantity": "2,5"}],
        },
        {
            "customer": {"name": "New", "phone": "98450 99999"},
            "items": [{"product_id": product_id, "quantity": 1}],
            "fulfilment": "delivery",
        },
        {
            "customer": {"name": "New", "phone": "98450 99999"},
            "items": [{"product_id": product_id, "quantity": 1}],
            "slot_date": "tomorrow",
        },
    ):
        refused = client.post("/api/v1/orders", json=body, headers=admin_headers)
        assert refused.status_code == 422, (body, refused.get_json())
        assert refused.get_json()["error"]["code"] == "validation_error"
    missing = client.post(
        "/api/v1/orders",
        json={"customer_id": 99999, "items": [{"product_id": product_id, "quantity": 1}]},
        headers=admin_headers,
    )
    assert missing.status_code in (404, 422)
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0
    assert db.session.scalar(select(func.count()).select_from(Customer)) == customers_before
    assert client.get("/api/v1/orders/99999", headers=admin_headers).status_code == 404
    unknown = client.post(
        "/api/v1/orders/99999/status", json={"status": "confirmed"}, headers=admin_headers
    )
    assert unknown.status_code == 404
    odd = client.post("/api/v1/orders/1/status", json={"status": "shipped"}, headers=admin_headers)
    assert odd.status_code == 422
    assert orders.open_counts(db.session)["pending"] == 0
