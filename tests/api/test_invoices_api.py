"""API: checkout and invoices (docs/API.md)."""

from __future__ import annotations

import json
import re
from datetime import date

from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import AuditLog, Invoice
from posapp.services import users
from tests.api.test_products_api import assert_envelope
from tests.factories import make_product, make_user

Headers = dict[str, str]
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def test_checkout_returns_the_invoice_as_documented(
    client: FlaskClient,
    admin,  # type: ignore[no-untyped-def]
    admin_headers: Headers,
) -> None:
    tea = make_product(
        db.session, admin.id, name="Tea 250g", price="118.00", tax_rate="18", opening_stock="5"
    )
    dal = make_product(
        db.session,
        admin.id,
        name="Moong Dal",
        price="100.00",
        tax_rate="5",
        unit="kg",
        opening_stock="10",
    )
    response = client.post(
        "/api/invoice/create",
        headers=admin_headers,
        json={
            "items": [
                {"product_id": tea.id, "quantity": "2"},
                {"code": dal.code, "quantity": 1.5, "discount": "5.00"},
            ],
            "discount": "10%",
            "payments": [{"method": "cash", "amount": "500"}],
            "note": "regular customer",
        },
    )
    assert response.status_code == 201, response.get_json()
    invoice = response.get_json()
    assert set(invoice) >= {
        "id",
        "number",
        "created_at",
        "cashier",
        "customer",
        "lines",
        "subtotal",
        "discount_total",
        "tax_total",
        "tax_summary",
        "round_off",
        "total",
        "paid",
        "change",
        "balance_due",
        "status",
        "payments",
    }
    assert re.match(r"^INV\d{4}-000001$", invoice["number"])
    assert ISO_WITH_OFFSET.match(invoice["created_at"])
    assert invoice["cashier"] == "admin"
    assert invoice["customer"] is None
    # gross 236.00 + 150.00; line discount 5.00; bill 10 % of 381.00 = 38.10
    assert invoice["subtotal"] == "386.00"
    assert invoice["discount_total"] == "43.10"
    assert invoice["total"] == "342.90"
    assert invoice["paid"] == "342.90"
    assert invoice["change"] == "157.10"
    assert invoice["balance_due"] == "0.00"
    assert invoice["status"] == "paid"
    assert [p["method"] for p in invoice["payments"]] == ["cash"]
    line = invoice["lines"][1]
    assert line["quantity"] == "1.500" and line["unit"] == "kg" and line["tax_rate"] == "5.00"
    assert {r["rate"] for r in invoice["tax_summary"]} == {"5.00", "18.00"}
    assert sum(int(r["tax"].replace(".", "")) for r in invoice["tax_summary"]) == int(
        invoice["tax_total"].replace(".", "")
    )
    by_id = client.get(f"/api/invoice/{invoice['id']}", headers=admin_headers).get_json()
    by_number = client.get(f"/api/invoice/{invoice['number']}", headers=admin_headers).get_json()
    assert by_id == by_number == invoice


def test_omitted_payments_mean_exact_cash(
    client: FlaskClient,
    admin,  # type: ignore[no-untyped-def]
    cashier_headers: Headers,
) -> None:
    item = make_product(db.session, admin.id, price="12.34")
    invoice = client.post(
        "/api/invoice/create",
        headers=cashier_headers,
        json={"items": [{"product_id": item.id, "quantity": 1}]},
    ).get_json()
    assert invoice["paid"] == invoice["total"] == "12.34"
    assert invoice["change"] == "0.00"
    assert invoice["cashier"] == "cashier"


def test_checkout_errors(  # type: ignore[no-untyped-def]
    client: FlaskClient, admin, admin_headers: Headers, cashier_headers: Headers
) -> None:
    item = make_product(db.session, admin.id, name="Soap", price="30.00", opening_stock="2")
    short = client.post(
        "/api/invoice/create",
        headers=cashier_headers,
        json={"items": [{"product_id": item.id, "quantity": 3}]},
    )
    error = assert_envelope(short, 409, "approval_required")
    assert error["details"]["reasons"] == [
        {"code": "stock_short", "message": "Stock short: Soap — selling 3 pcs, 2 pcs in stock"}
    ]
    short_pay = client.post(
        "/api/invoice/create",
        headers=admin_headers,
        json={
            "items": [{"product_id": item.id, "quantity": 1}],
            "payments": [{"method": "cash", "amount": "10"}],
        },
    )
    assert_envelope(short_pay, 422)
    unknown = client.post(
        "/api/invoice/create",
        headers=admin_headers,
        json={
            "items": [{"product_id": item.id, "quantity": 1}],
            "payments": [{"method": "bitcoin", "amount": "30"}],
        },
    )
    assert "payments.0.method" in assert_envelope(unknown, 422)["details"]["fields"]
    assert_envelope(client.post("/api/invoice/create", headers=admin_headers, json={}), 422)
    assert_envelope(
        client.post(
            "/api/invoice/create",
            headers=admin_headers,
            json={"items": [{"product_id": item.id, "quantity": "0.5"}]},
        ),
        422,
    )
    listing = client.get("/api/invoices", headers=admin_headers).get_json()
    assert listing["total"] == 0


def test_cashiers_see_only_their_own_invoices(
    client: FlaskClient,
    admin,  # type: ignore[no-untyped-def]
    admin_headers: Headers,
    api,
) -> None:
    make_user(db.session, "asha", "cashier")
    make_user(db.session, "ravi", "cashier")
    asha, ravi = api.token("asha"), api.token("ravi")
    item = make_product(db.session, admin.id, opening_stock="10")
    sale = {"items": [{"product_id": item.id, "quantity": 1}]}
    a = client.post("/api/invoice/create", headers=asha, json=sale).get_json()
    client.post("/api/invoice/create", headers=ravi, json=sale)
    assert client.get(f"/api/invoice/{a['id']}", headers=asha).status_code == 200
    assert_envelope(client.get(f"/api/invoice/{a['id']}", headers=ravi), 403, "forbidden")
    assert_envelope(client.get(f"/api/invoice/{a['id']}/pdf", headers=ravi), 403)
    assert client.get("/api/invoices", headers=asha).get_json()["total"] == 1
    assert client.get("/api/invoices", headers=admin_headers).get_json()["total"] == 2
    assert_envelope(client.get("/api/invoice/99999", headers=admin_headers), 404, "not_found")
    assert_envelope(client.get("/api/invoice/INV-nope", headers=admin_headers), 404)


def test_invoice_list_filters(client: FlaskClient, admin, admin_headers: Headers) -> None:  # type: ignore[no-untyped-def]
    item = make_product(db.session, admin.id, opening_stock="10")
    numbers = [
        client.post(
            "/api/invoice/create",
            headers=admin_headers,
            json={"items": [{"product_id": item.id, "quantity": 1}]},
        ).get_json()["number"]
        for _ in range(3)
    ]
    today = date.today().isoformat()
    body = client.get(
        f"/api/invoices?from={today}&to={today}&per_page=2", headers=admin_headers
    ).get_json()
    assert body["total"] == 3 and len(body["items"]) == 2
    assert body["items"][0]["number"] == numbers[-1]  # newest first
    assert (
        client.get(f"/api/invoices?q={numbers[0]}", headers=admin_headers).get_json()["total"] == 1
    )
    assert client.get("/api/invoices?status=void", headers=admin_headers).get_json()["total"] == 0
    assert (
        client.get("/api/invoices?from=2000-01-01&to=2000-01-02", headers=admin_headers).get_json()[
            "total"
        ]
        == 0
    )
    assert_envelope(client.get("/api/invoices?status=lost", headers=admin_headers), 422)
    assert_envelope(client.get("/api/invoices?from=yesterday", headers=admin_headers), 422)


def test_an_admin_pin_approves_a_cashiers_sale_over_the_api(  # type: ignore[no-untyped-def]
    client: FlaskClient, admin, cashier_headers: Headers
) -> None:
    users.set_pin(db.session, admin.id, "2468", "2468")
    item = make_product(db.session, admin.id, name="Soap", price="30.00", opening_stock="1")
    body = {"items": [{"product_id": item.id, "quantity": 2, "discount": "15"}]}
    asked = assert_envelope(
        client.post("/api/invoice/create", headers=cashier_headers, json=body),
        409,
        "approval_required",
    )
    assert [r["code"] for r in asked["details"]["reasons"]] == ["stock_short", "line_discount"]
    wrong = assert_envelope(
        client.post(
            "/api/invoice/create",
            headers=cashier_headers,
            json={**body, "approval": {"username": "admin", "pin": "1111"}},
        ),
        422,
    )
    assert "approval.pin" in wrong["details"]["fields"]
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0
    done = client.post(
        "/api/invoice/create",
        headers=cashier_headers,
        json={**body, "approval": {"username": "admin", "pin": "2468"}},
    )
    assert done.status_code == 201 and done.get_json()["total"] == "45.00"
    override = db.session.scalar(select(AuditLog).where(AuditLog.action == "sale.override"))
    assert override is not None
    after = json.loads(override.after or "{}")
    assert (after["cashier"], after["approved_by"]) == ("cashier", "admin")
    assert [r["code"] for r in after["reasons"]] == ["stock_short", "line_discount"]
