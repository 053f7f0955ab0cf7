"""API: an error's "message" speaks the request's language (Accept-Language, else the token
user's own), while its "code" stays the machine code.

The Hindi comes from the committed catalogs (posapp/translations).
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import Customer, StockMovement, User
from tests.api.test_products_api import assert_envelope
from tests.factories import make_customer, make_product

pytestmark = pytest.mark.one_backend("the language of error messages")

Headers = dict[str, str]
HINDI = {"Accept-Language": "hi"}
ENGLISH = {"Accept-Language": "en"}


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_bad_amount_is_refused_in_the_language_asked_for(
    client: FlaskClient, admin_headers: Headers
) -> None:
    body = {"name": "Ramu", "phone": "98111 00001", "credit_limit": "abc"}
    hindi = client.post("/api/v1/customers", headers={**admin_headers, **HINDI}, json=body)
    error = assert_envelope(hindi, 422, "validation_error")
    assert error["details"]["fields"]["credit_limit"] == "रकम ऐसे लिखें: 12.50"
    assert error["message"] == "ग्राहक की जानकारी ठीक करें: रकम ऐसे लिखें: 12.50"
    comma = client.post(
        "/api/v1/customers",
        headers={**admin_headers, **HINDI},
        json={**body, "credit_limit": "2,5"},
    )
    assert "रकम ऐसे लिखें: 2.5" in assert_envelope(comma, 422)["message"]
    english = client.post("/api/v1/customers", headers=admin_headers, json=body)
    error = assert_envelope(english, 422, "validation_error")
    assert error["details"]["fields"]["credit_limit"] == "Amount must be a number, e.g. 12.50."
    assert count(Customer) == 0


def test_credit_over_the_limit_is_explained_in_hindi(
    client: FlaskClient, admin: User, cashier_headers: Headers
) -> None:
    product = make_product(db.session, admin.id, name="Atta", price="100.00", opening_stock="9")
    customer = make_customer(db.session, admin, name="Ramu", credit_limit="50")
    sale = {
        "customer_id": customer.id,
        "items": [{"product_id": product.id, "quantity": 1}],
        "payments": [{"method": "credit", "amount": "100"}],
    }
    hindi = client.post("/api/v1/invoice/create", headers={**cashier_headers, **HINDI}, json=sale)
    error = assert_envelope(hindi, 409, "approval_required")
    [reason] = error["details"]["reasons"]
    assert reason["code"] == "credit_limit"
    assert "उधार देने से Ramu अपनी सीमा से ऊपर चले जाएँगे" in reason["message"]
    assert "एडमिन सीमा बढ़ा सकते हैं" in reason["message"]
    english = client.post(
        "/api/v1/invoice/create", headers={**cashier_headers, **ENGLISH}, json=sale
    )
    [reason] = assert_envelope(english, 409, "approval_required")["details"]["reasons"]
    assert reason["message"].startswith("Credit of ₹100.00 would take Ramu over the limit")


def test_not_enough_stock_is_refused_in_hindi(
    client: FlaskClient, admin: User, admin_headers: Headers
) -> None:
    product = make_product(db.session, admin.id, name="Soap", opening_stock="2")
    before = count(StockMovement)
    take = {"product_id": product.id, "delta": "-5", "reason": "adjust_damage"}
    hindi = client.post("/api/v1/inventory/adjust", headers={**admin_headers, **HINDI}, json=take)
    error = assert_envelope(hindi, 409, "insufficient_stock")
    assert error["message"] == "Soap का स्टॉक कम है: 5 pcs निकालना है, 2 उपलब्ध।"
    english = client.post("/api/v1/inventory/adjust", headers=admin_headers, json=take)
    error = assert_envelope(english, 409, "insufficient_stock")
    assert error["message"] == "Not enough stock of Soap: 5 pcs to take, 2 available."
    assert count(StockMovement) == before


def test_without_accept_language_the_token_users_language_answers(
    client: FlaskClient, admin: User, admin_headers: Headers
) -> None:
    admin.language = "hi"
    db.session.commit()
    missing = client.get("/api/v1/customers/999999", headers=admin_headers)
    assert assert_envelope(missing, 404, "not_found")["message"] == "ऐसा कोई ग्राहक नहीं है।"
    # The request's own language comes first.
    asked = client.get("/api/v1/customers/999999", headers={**admin_headers, **ENGLISH})
    assert assert_envelope(asked, 404, "not_found")["message"] == "No such customer."
    admin.language = ""
    db.session.commit()
    plain = client.get("/api/v1/customers/999999", headers=admin_headers)
    assert assert_envelope(plain, 404, "not_found")["message"] == "No such customer."


def test_a_refused_token_is_answered_in_the_language_asked_for(client: FlaskClient) -> None:
    bad = client.get("/api/v1/customers", headers={"Authorization": "Bearer nope", **HINDI})
    error = assert_envelope(bad, 401, "invalid_token")
    assert "टोकन ग़लत है" in error["message"]
