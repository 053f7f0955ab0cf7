"""POST /api/products/rerate: a preview writes nothing; apply takes its token; admins only."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import AuditLog, Product
from tests.factories import make_product

URL = "/api/products/rerate"


def rates() -> dict[str, int]:
    db.session.expire_all()
    return {p.name: p.tax_rate_bp for p in db.session.scalars(select(Product))}


def audit_count() -> int:
    stmt = select(func.count()).select_from(AuditLog).where(AuditLog.action == "product.rerate")
    return db.session.scalar(stmt) or 0


def seed() -> dict[str, int]:
    made = [
        make_product(db.session, name="Namkeen", category="Snacks", tax_rate="12"),
        make_product(db.session, name="Biscuits", category="Snacks", tax_rate="18"),
        make_product(db.session, name="Butter", category="Dairy", tax_rate="12"),
    ]
    return {p.name: p.id for p in made}


def test_preview_then_apply(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    ids = seed()
    body = {"current_rate": "12", "new_rate": "5", "preview": True}
    response = client.post(URL, json=body, headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    preview = response.get_json()
    assert preview["applied"] is False and preview["count"] == 2 and preview["already"] == 0
    assert preview["new_rate"] == "5.00"
    assert [(p["id"], p["name"], p["category"], p["old_rate"], p["new_rate"])
            for p in preview["products"]] == [
        (ids["Butter"], "Butter", "Dairy", "12.00", "5.00"),
        (ids["Namkeen"], "Namkeen", "Snacks", "12.00", "5.00"),
    ]  # fmt: skip
    assert rates()["Namkeen"] == 1200 and audit_count() == 0
    apply = {"current_rate": "12", "new_rate": "5", "token": preview["token"]}
    response = client.post(URL, json=apply, headers=admin_headers)
    assert response.status_code == 200
    done = response.get_json()
    assert done["applied"] is True and done["products"] == preview["products"]
    assert rates() == {"Namkeen": 500, "Biscuits": 1800, "Butter": 500}
    assert audit_count() == 1


def test_stale_token_is_a_409(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    seed()
    body = {"category": "Dairy", "new_rate": "5", "preview": "yes"}
    token = client.post(URL, json=body, headers=admin_headers).get_json()["token"]
    make_product(db.session, name="Ghee", category="Dairy", tax_rate="12")
    response = client.post(
        URL, json={"category": "Dairy", "new_rate": "5", "token": token}, headers=admin_headers
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "stale_preview"
    assert rates()["Butter"] == 1200 and audit_count() == 0


def test_bad_bodies_are_422_and_write_nothing(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    seed()
    for body in (
        {"new_rate": "5"},
        {"category": "Snacks"},
        {"category": "Snacks", "new_rate": "101"},
        {"category": ["Snacks"], "new_rate": "5"},
        {"category": "Toys", "new_rate": "5", "preview": True},
        {"category": "Snacks", "new_rate": "5"},  # no token
        {"category": "Snacks", "new_rate": "5", "preview": "maybe"},
    ):
        response = client.post(URL, json=body, headers=admin_headers)
        assert response.status_code == 422, body
        assert response.get_json()["error"]["code"] == "validation_error"
    assert rates()["Namkeen"] == 1200 and audit_count() == 0


def test_cashiers_get_403(client: FlaskClient, cashier_headers: dict[str, str]) -> None:
    seed()
    body = {"category": "Snacks", "new_rate": "5", "preview": True}
    assert client.post(URL, json=body, headers=cashier_headers).status_code == 403
