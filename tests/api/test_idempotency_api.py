"""Idempotency-Key on the API's money and stock POSTs: a retry answers the first result and
writes nothing; a key reused for another request is refused; concurrent retries write once."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import IdempotencyKey, Invoice, Payment, StockMovement
from posapp.models.base import utcnow
from posapp.services import idempotency
from tests.conftest import LiveServer
from tests.factories import PASSWORD, make_customer, make_product, make_user


def _count(model: Any) -> int:
    db.session.remove()
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def _sale(product_id: int, quantity: int = 1) -> dict[str, Any]:
    return {"items": [{"product_id": product_id, "quantity": quantity}]}


def test_a_retried_sale_answers_the_first_invoice_and_writes_nothing(
    client: FlaskClient, admin_headers: dict[str, str], admin: Any
) -> None:
    product = make_product(db.session, admin.id, opening_stock="10")
    headers = {**admin_headers, "Idempotency-Key": "till-1 sale 0001"}
    first = client.post("/api/v1/invoice/create", json=_sale(product.id), headers=headers)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    # The same body with its keys in another order and other spacing is the same request.
    again = client.post(
        "/api/v1/invoice/create",
        data='{"items":[{"quantity":1,"product_id":' + str(product.id) + "}]}",
        content_type="application/json",
        headers=headers,
    )
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    # The deprecated path is the same operation: still the first answer.
    legacy = client.post("/api/invoice/create", json=_sale(product.id), headers=headers)
    assert legacy.status_code == 201 and legacy.get_json()["id"] == first.get_json()["id"]
    assert _count(Invoice) == 1
    assert _count(IdempotencyKey) == 1
    stored = db.session.scalar(select(IdempotencyKey))
    assert stored is not None and stored.endpoint == "POST /api/v1/invoice/create"
    assert stored.status_code == 201


def test_the_same_key_with_another_body_or_operation_is_refused(
    client: FlaskClient, admin_headers: dict[str, str], admin: Any
) -> None:
    product_id = make_product(db.session, admin.id, opening_stock="10").id
    customer_id = make_customer(db.session, admin, credit_limit="1000.00").id
    headers = {**admin_headers, "Idempotency-Key": "k-42"}
    sale = client.post("/api/v1/invoice/create", json=_sale(product_id), headers=headers)
    assert sale.status_code == 201
    other = client.post("/api/v1/invoice/create", json=_sale(product_id, 2), headers=headers)
    assert other.status_code == 422
    assert other.get_json()["error"]["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in other.get_json()["error"]["details"]["fields"]
    payment = client.post(
        f"/api/v1/customers/{customer_id}/payments",
        json={"amount": "5.00", "method": "cash"},
        headers=headers,
    )
    assert payment.status_code == 422
    assert payment.get_json()["error"]["code"] == "idempotency_key_reused"
    assert _count(Invoice) == 1 and _count(Payment) == 1  # the sale's own cash payment


@pytest.mark.parametrize("key", ["", "x" * 201, "naïve", "tab\there"])
@pytest.mark.servers_first_case(
    "validation in Python; the first case shows a refused write leaves nothing"
)
def test_a_malformed_key_is_refused_before_anything_is_written(
    client: FlaskClient, admin_headers: dict[str, str], admin: Any, key: str
) -> None:
    product = make_product(db.session, admin.id, opening_stock="10")
    response = client.post(
        "/api/v1/invoice/create",
        json=_sale(product.id),
        headers={**admin_headers, "Idempotency-Key": key},
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_idempotency_key"
    assert _count(Invoice) == 0 and _count(IdempotencyKey) == 0


def test_a_failed_request_leaves_no_key_and_its_retry_runs_for_real(
    client: FlaskClient,
    admin_headers: dict[str, str],
    cashier_headers: dict[str, str],
    admin: Any,
) -> None:
    product_id = make_product(db.session, admin.id, opening_stock="1").id
    headers = {**cashier_headers, "Idempotency-Key": "retry-me"}
    short = client.post("/api/v1/invoice/create", json=_sale(product_id, 2), headers=headers)
    assert short.status_code == 409
    assert _count(IdempotencyKey) == 0 and _count(Invoice) == 0
    restock = client.post(
        f"/api/v1/products/{product_id}/stock",
        json={"delta": "5", "reason": "purchase"},
        headers={**admin_headers, "Idempotency-Key": "restock-1"},
    )
    assert restock.status_code == 200 and restock.get_json()["stock"] == "6"
    again = client.post("/api/v1/invoice/create", json=_sale(product_id, 2), headers=headers)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert _count(Invoice) == 1 and _count(IdempotencyKey) == 2


def test_payments_and_stock_adjustments_are_written_once(
    client: FlaskClient, admin_headers: dict[str, str], admin: Any
) -> None:
    product_id = make_product(db.session, admin.id, opening_stock="10").id
    customer_id = make_customer(db.session, admin).id
    pay = {**admin_headers, "Idempotency-Key": "pay-1"}
    url = f"/api/v1/customers/{customer_id}/payments"
    body = {"amount": "250.00", "method": "upi"}
    answers = [client.post(url, json=body, headers=pay) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert answers[1].get_json() == answers[0].get_json() == answers[2].get_json()
    assert _count(Payment) == 1
    move = {**admin_headers, "Idempotency-Key": "count-2026-12-06"}
    adjust = {"delta": "-2", "reason": "adjust_damage"}
    stock_url = f"/api/v1/products/{product_id}/stock"
    first = client.post(stock_url, json=adjust, headers=move)
    second = client.post(stock_url, json=adjust, headers=move)
    assert first.status_code == second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.get_json()["stock"] == second.get_json()["stock"] == "8"
    moves = db.session.scalars(
        select(StockMovement)
        .where(StockMovement.product_id == product_id)
        .order_by(StockMovement.id)
    ).all()
    assert [m.reason for m in moves] == ["opening", "adjust_damage"]


def test_keys_are_per_user(client: FlaskClient, admin: Any, api: Any) -> None:
    product = make_product(db.session, admin.id, opening_stock="10")
    make_user(db.session, "second", "cashier")
    for who in ("admin", "second"):
        headers = {**api.token(who), "Idempotency-Key": "same"}
        response = client.post("/api/v1/invoice/create", json=_sale(product.id), headers=headers)
        assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert _count(Invoice) == 2


def test_keys_older_than_a_day_are_purged(
    client: FlaskClient, admin_headers: dict[str, str], admin: Any
) -> None:
    product_id = make_product(db.session, admin.id, opening_stock="10").id
    for key in ("old", "new"):
        headers = {**admin_headers, "Idempotency-Key": key}
        sale = client.post("/api/v1/invoice/create", json=_sale(product_id), headers=headers)
        assert sale.status_code == 201
    db.session.remove()
    with db.session.begin():
        old = db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == "old"))
        assert old is not None
        old.created_at = utcnow() - timedelta(hours=25)
    with db.session.begin():
        assert idempotency.purge(db.session) == 1
    assert [k.key for k in db.session.scalars(select(IdempotencyKey))] == ["new"]


def test_eight_tills_sending_one_key_at_once_write_one_invoice(live_server: LiveServer) -> None:
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        product = make_product(db.session, owner.id, opening_stock="100", price="25.00")
        product_id = product.id
        db.session.remove()
    login = requests.post(
        f"{live_server.url}/api/v1/auth/login",
        json={"username": "owner", "password": PASSWORD},
        timeout=30,
    )
    token = login.json()["token"]
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "flaky-lan-0007"}
    start = threading.Barrier(8)
    answers: list[requests.Response] = []
    lock = threading.Lock()

    def send() -> None:
        start.wait()
        response = requests.post(
            f"{live_server.url}/api/v1/invoice/create",
            json=_sale(product_id, 3),
            headers=headers,
            timeout=60,
        )
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201] * 8, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 7
    with live_server.app.app_context():
        assert _count(Invoice) == 1
        assert _count(IdempotencyKey) == 1
        left = db.session.scalar(
            select(StockMovement.delta_milli).where(StockMovement.reason == "sale")
        )
        assert left == -3000
        db.session.remove()
