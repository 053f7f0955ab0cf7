"""The till's and the forms' error messages in Hindi: the messages of the rules (money parsing,
quantities, customers) follow the page's language, English staying the default.

The Hindi comes from the committed catalogs (posapp/translations).
"""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import Customer, User
from tests.factories import make_product
from tests.web.test_customers_pages import field_error

HINDI = {"Accept-Language": "hi"}


def test_the_till_refuses_a_bad_quantity_in_hindi(cashier_client: FlaskClient) -> None:
    salt = make_product(db.session, name="Tata Salt 1kg")
    for quantity, hindi, english in (
        ("1.5", "नग पूरी संख्या में गिने जाते हैं।", "Pieces are counted in whole numbers."),
        ("1,5", "मात्रा ऐसे लिखें: 2.5, 2,5 नहीं", "Quantity: write 2.5, not 2,5"),
    ):
        cart = {"items": [{"product_id": salt.id, "quantity": quantity}]}
        response = cashier_client.post("/pos/price", json=cart, headers=HINDI)
        assert response.status_code == 422
        error = response.get_json()["error"]
        assert error["code"] == "validation_error"
        assert error["message"].startswith("Tata Salt 1kg: ") and hindi in error["message"]
        assert hindi in error["details"]["fields"]["items.0.quantity"]
        plain = cashier_client.post("/pos/price", json=cart).get_json()["error"]
        assert english in plain["message"]


def test_the_till_speaks_the_cashiers_own_language(
    cashier_client: FlaskClient, cashier: User
) -> None:
    # The till's scripts call with the session cookie: the language chosen on My account
    # answers, whatever the browser sends.
    cashier.language = "hi"
    db.session.commit()
    response = cashier_client.post(
        "/pos/price", json={"items": []}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["message"] == "बिल खाली है।"


def test_the_customer_form_shows_its_errors_in_hindi(admin_client: FlaskClient) -> None:
    response = admin_client.post(
        "/customers/new",
        data={"name": "", "phone": "12", "email": "nope", "credit_limit": "1.005"},
        headers=HINDI,
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "name") == "नाम लिखें।"
    assert field_error(html, "email") == "यह ईमेल पता नहीं है।"
    assert field_error(html, "credit_limit") == "रकम में दशमलव के बाद ज़्यादा से ज़्यादा 2 अंक होते हैं।"
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 0
