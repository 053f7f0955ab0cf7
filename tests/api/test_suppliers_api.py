"""API: suppliers, their ledger and payments; admins only, bad input answers 422."""

from __future__ import annotations

from flask.testing import FlaskClient

from posapp.extensions import db
from posapp.models import Supplier, SupplierPayment, User
from posapp.services import inventory
from tests.factories import make_product


def _bill(admin: User, supplier_id: int, cost: str, bill_date: str) -> int:
    tea = make_product(db.session, opening_stock="0")
    purchase = inventory.receive_stock(
        db.session,
        {"supplier_id": supplier_id, "paid_now": "0", "bill_date": bill_date,
         "lines": [{"code": tea.code, "quantity": "1", "unit_cost": cost, "tax_rate": "0"}]},
        admin.id,
    )  # fmt: skip
    return purchase.id


def test_every_supplier_endpoint(
    client: FlaskClient, admin: User, admin_headers: dict[str, str]
) -> None:
    made = client.post(
        "/api/suppliers",
        json={"name": "Metro Wholesale", "phone": "98765 43210", "credit_days": 15,
              "opening_balance": "500.00", "opening_date": "2026-10-01"},
        headers=admin_headers,
    )  # fmt: skip
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    sid = body["id"]
    assert (body["phone"], body["balance"], body["credit_days"]) == ("+919876543210", "500.00", 15)
    first = _bill(admin, sid, "1000.00", "2026-11-01")
    second = _bill(admin, sid, "300.00", "2026-11-10")

    listed = client.get("/api/suppliers?q=metro", headers=admin_headers).get_json()
    assert listed["total"] == 1 and listed["items"][0]["balance"] == "1800.00"

    paid = client.post(
        f"/api/suppliers/{sid}/payments",
        json={"amount": "1700.00", "method": "bank", "reference": "UTR 9",
              "allocations": [{"purchase_id": second, "amount": "300"}]},
        headers=admin_headers,
    )  # fmt: skip
    assert paid.status_code == 201, paid.get_json()
    result = paid.get_json()
    assert [(a["purchase_id"], a["amount"]) for a in result["allocations"]] == [
        (second, "300.00"), (None, "500.00"), (first, "900.00"),
    ]  # fmt: skip
    assert (result["balance"], result["advance"]) == ("100.00", "0.00")

    detail = client.get(f"/api/suppliers/{sid}", headers=admin_headers).get_json()
    assert [b["open"] for b in detail["open_bills"]] == ["100.00"]
    assert detail["open_bills"][0]["due_date"] == "2026-11-16"

    ledger = client.get(f"/api/suppliers/{sid}/ledger", headers=admin_headers).get_json()
    assert [(i["kind"], i["balance"]) for i in ledger["items"]] == [
        ("opening", "500.00"), ("bill", "1500.00"), ("bill", "1800.00"), ("payment", "100.00"),
    ]  # fmt: skip
    newest = client.get(f"/api/suppliers/{sid}/ledger?order=desc&per_page=1",
                        headers=admin_headers).get_json()  # fmt: skip
    assert newest["total"] == 4 and newest["items"][0]["kind"] == "payment"

    changed = client.put(f"/api/suppliers/{sid}", json={"credit_days": 30}, headers=admin_headers)
    assert changed.status_code == 200 and changed.get_json()["credit_days"] == 30


def test_bad_input_answers_the_error_envelope(
    client: FlaskClient, admin: User, admin_headers: dict[str, str]
) -> None:
    sid = client.post("/api/suppliers", json={"name": "Kumar"}, headers=admin_headers).get_json()[
        "id"
    ]
    for amount in ("0", "-5", "2,5", "abc", 1.234, None, [], True):
        answer = client.post(
            f"/api/suppliers/{sid}/payments",
            json={"amount": amount, "method": "cash"},
            headers=admin_headers,
        )
        assert answer.status_code == 422, amount
        error = answer.get_json()["error"]
        assert error["code"] == "validation_error" and "amount" in error["details"]["fields"]
    assert db.session.query(SupplierPayment).count() == 0
    for body in ({"name": ""}, {"name": "X", "gstin": "nope"}, {"name": "Y", "credit_days": -1},
                 ["not", "an", "object"]):  # fmt: skip
        assert client.post("/api/suppliers", json=body, headers=admin_headers).status_code == 422
    assert client.put(f"/api/suppliers/{sid}", json={"phone": "12"},
                      headers=admin_headers).status_code == 422  # fmt: skip
    assert client.post("/api/suppliers", json={"name": "kumar"},
                       headers=admin_headers).status_code == 409  # fmt: skip
    assert client.get(f"/api/suppliers/{sid}/ledger?order=up",
                      headers=admin_headers).status_code == 422  # fmt: skip
    assert client.get("/api/suppliers/999999", headers=admin_headers).status_code == 404
    assert db.session.query(Supplier).count() == 1


def test_cashiers_may_not(
    client: FlaskClient, admin: User, cashier_headers: dict[str, str]
) -> None:
    for method, url in (
        ("get", "/api/suppliers"), ("post", "/api/suppliers"), ("get", "/api/suppliers/1"),
        ("put", "/api/suppliers/1"), ("get", "/api/suppliers/1/ledger"),
        ("post", "/api/suppliers/1/payments"),
    ):  # fmt: skip
        answer = getattr(client, method)(url, json={}, headers=cashier_headers)
        assert answer.status_code == 403, url
    assert client.get("/api/suppliers").status_code == 401
