"""Domain errors of orders, users, returns and cash speak the request's language.

The messages are marked where they are raised (services stay Flask-free), so an API call or a
form sent in Hindi answers in Hindi and the same request in English answers in English. The
tests with a stand-in language (the English message in «guillemets») check the marking and the
filling of the placeholders whatever the catalogs hold; the Hindi ones read the committed
catalog.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from posapp import i18n
from posapp.extensions import db
from posapp.models import User
from posapp.services import users
from tests.factories import PASSWORD, make_product
from tests.web.helpers import login

HINDI = {"Accept-Language": "hi"}
ENGLISH = {"Accept-Language": "en"}
Headers = dict[str, str]


@pytest.fixture
def quoting(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], str]:
    """A stand-in second language: each message in «guillemets», its placeholders kept, so a
    message that reaches the user unmarked (or built from pieces) shows."""

    def quote(message: str) -> str:
        return f"«{message}»"

    monkeypatch.setattr(i18n, "_gettext", quote)
    monkeypatch.setattr(i18n, "_ngettext", lambda one, many, n: quote(one if n == 1 else many))
    return quote


def _delivered_order(client: FlaskClient, headers: Headers, product_id: int) -> dict[str, Any]:
    """A pickup order taken, confirmed, packed, ready and delivered (paid in cash)."""
    body = {
        "customer": {"name": "Meena Rao", "phone": "98450 12345"},
        "items": [{"product_id": product_id, "quantity": "1"}],
        "fulfilment": "pickup",
    }
    taken = client.post("/api/v1/orders", json=body, headers=headers)
    assert taken.status_code == 201, taken.get_json()
    order_id = taken.get_json()["id"]
    for step in ("confirmed", "packed", "ready_for_pickup"):
        moved = client.post(
            f"/api/v1/orders/{order_id}/status", json={"status": step}, headers=headers
        )
        assert moved.status_code == 200, moved.get_json()
    delivered = client.post(
        f"/api/v1/orders/{order_id}/status",
        json={"status": "delivered", "payments": [{"method": "cash", "amount": "250.00"}]},
        headers=headers,
    )
    assert delivered.status_code == 200, delivered.get_json()
    return delivered.get_json()  # type: ignore[no-any-return]


def _cancel(client: FlaskClient, headers: Headers, order_id: int) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/orders/{order_id}/cancel", json={"reason": "Changed mind"}, headers=headers
    )
    assert response.status_code == 409
    error: dict[str, Any] = response.get_json()["error"]
    assert error["code"] == "transition_not_allowed"  # the machine code never changes
    return error


def _over_return(client: FlaskClient, headers: Headers, product_id: int) -> dict[str, Any]:
    """Sell 2 and ask 3 back."""
    sale = client.post(
        "/api/invoice/create",
        headers=headers,
        json={"items": [{"product_id": product_id, "quantity": "2"}]},
    )
    assert sale.status_code == 201, sale.get_json()
    invoice = sale.get_json()
    response = client.post(
        f"/api/invoice/{invoice['id']}/return",
        headers=headers,
        json={"lines": [{"line_id": invoice["lines"][0]["id"], "quantity": "3"}]},
    )
    assert response.status_code == 409
    error: dict[str, Any] = response.get_json()["error"]
    assert error["code"] == "over_return"
    return error


def _wrong_password_change(client: FlaskClient) -> str:
    response = client.post(
        "/account/password",
        data={"old_password": "not-the-password", "password": "brand-new-pass", "confirm": ""},
    )
    assert response.status_code == 422
    return response.get_data(as_text=True)


# ---------------------------------------------------------------- marked at the raise site


def test_a_refused_transition_is_one_marked_sentence_with_its_values(
    client: FlaskClient, admin: User, admin_headers: Headers, quoting: Callable[[str], str]
) -> None:
    soap = make_product(db.session, admin.id, name="Soap", price="250.00", opening_stock="5")
    order = _delivered_order(client, admin_headers, soap.id)
    message = _cancel(client, admin_headers, order["id"])["message"]
    # The sentence and the state names inside it are each looked up; the number is a value.
    assert message == (
        f"«Order {order['number']} is «delivered»; it cannot be made «cancelled». "
        "Allowed next: «none, the order is closed».»"
    )


def test_an_over_return_and_a_wrong_password_go_through_the_marks(
    client: FlaskClient, admin: User, admin_headers: Headers, quoting: Callable[[str], str]
) -> None:
    rice = make_product(db.session, admin.id, name="Rice", opening_stock="5")
    message = _over_return(client, admin_headers, rice.id)["message"]
    assert message == "«Rice: 3 pcs to return, but only 2 pcs of the 2 sold can still come back.»"
    login(client, "admin")
    assert "«The current password is wrong.»" in _wrong_password_change(client)


def test_throttled_logins_name_the_minutes_in_a_whole_sentence(
    app: Any, admin: User, quoting: Callable[[str], str]
) -> None:
    for _attempt in range(users.FREE_FAILURES):
        with pytest.raises(Exception, match="Wrong username"):
            users.authenticate(db.session, "admin", "wrong-password", "10.0.0.9")
    with pytest.raises(Exception) as refused:
        users.authenticate(db.session, "admin", PASSWORD, "10.0.0.9")
    assert str(refused.value).startswith("«Too many failed logins. Try again in ")


# ---------------------------------------------------------------- Hindi and English


def test_cancelling_a_delivered_order_answers_in_the_request_language(
    client: FlaskClient, admin: User, admin_headers: Headers
) -> None:
    soap = make_product(db.session, admin.id, name="Soap", price="250.00", opening_stock="5")
    order = _delivered_order(client, admin_headers, soap.id)
    english = _cancel(client, {**admin_headers, **ENGLISH}, order["id"])["message"]
    assert english == (
        f"Order {order['number']} is delivered; it cannot be made cancelled. "
        "Allowed next: none, the order is closed."
    )
    hindi = _cancel(client, {**admin_headers, **HINDI}, order["id"])["message"]
    assert hindi == (
        f"ऑर्डर {order['number']} की स्थिति 'डिलीवर हो गया' है; इसे 'रद्द' स्थिति में नहीं ले "
        "जाया जा सकता। आगे हो सकता है: कुछ नहीं, ऑर्डर बंद है।"
    )


def test_returning_more_than_was_sold_answers_in_the_request_language(
    client: FlaskClient, admin: User, admin_headers: Headers
) -> None:
    rice = make_product(db.session, admin.id, name="Rice", opening_stock="10")
    english = _over_return(client, {**admin_headers, **ENGLISH}, rice.id)["message"]
    assert english == "Rice: 3 pcs to return, but only 2 pcs of the 2 sold can still come back."
    hindi = _over_return(client, {**admin_headers, **HINDI}, rice.id)["message"]
    assert hindi == "Rice: 3 pcs वापस करना है, पर बिके 2 में से अब सिर्फ़ 2 pcs ही वापस हो सकता है।"


def test_a_wrong_password_change_answers_in_the_users_language(
    client: FlaskClient, admin: User
) -> None:
    login(client, "admin")
    assert "The current password is wrong." in _wrong_password_change(client)
    users.set_language(db.session, admin.id, "hi")
    page = _wrong_password_change(client)
    assert "मौजूदा पासवर्ड गलत है।" in page
    assert "The current password is wrong." not in page


def test_an_api_login_with_a_wrong_password_answers_in_the_request_language(
    client: FlaskClient, admin: User
) -> None:
    body = {"username": "admin", "password": "wrong-password"}
    english = client.post("/api/auth/login", json=body, headers=ENGLISH).get_json()["error"]
    assert english["message"] == "Wrong username or password."
    hindi = client.post("/api/auth/login", json=body, headers=HINDI).get_json()["error"]
    assert hindi["message"] == "यूज़रनेम या पासवर्ड गलत है।"
    assert hindi["code"] == english["code"] == "invalid_credentials"


def test_a_category_in_use_counts_its_products_in_the_request_language(
    client: FlaskClient, admin: User, admin_headers: Headers
) -> None:
    from posapp.models import Category

    make_product(db.session, admin.id, name="Tea", category="Beverages")
    make_product(db.session, admin.id, name="Coffee", category="Beverages")
    category = db.session.query(Category).filter_by(name="Beverages").one()
    login(client, "admin")
    url = f"/products/categories/{category.id}/delete"
    english = client.post(url, headers=ENGLISH, follow_redirects=True).get_data(as_text=True)
    assert "Beverages still has 2 products (archived ones count too)." in english
    hindi = client.post(url, headers=HINDI, follow_redirects=True).get_data(as_text=True)
    assert "Beverages में अभी 2 सामान हैं (संग्रह वाले भी गिने जाते हैं)।" in hindi
