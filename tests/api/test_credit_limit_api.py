"""API: credit limits may be null (no limit); the shop's limit for new customers is a setting."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import Customer
from posapp.services.settings import ShopSettings, load_settings
from tests.api.test_products_api import assert_envelope

Headers = dict[str, str]


def customer_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Customer))


def test_null_limit_round_trips(client: FlaskClient, admin_headers: Headers) -> None:
    made = client.post(
        "/api/customers",
        headers=admin_headers,
        json={"name": "Open Book", "phone": "98111 00001", "credit_limit": None},
    ).get_json()
    assert made["credit_limit"] is None and made["available_credit"] is None
    url = f"/api/customers/{made['id']}"
    assert client.get(url, headers=admin_headers).get_json()["credit_limit"] is None
    # Left out of an update: unchanged; "0" is no credit; null lifts the limit again.
    assert (
        client.put(url, headers=admin_headers, json={"notes": "x"}).get_json()["credit_limit"]
        is None
    )
    zero = client.put(url, headers=admin_headers, json={"credit_limit": "0"}).get_json()
    assert (zero["credit_limit"], zero["available_credit"]) == ("0.00", "0.00")
    lifted = client.put(url, headers=admin_headers, json={"credit_limit": None}).get_json()
    assert lifted["credit_limit"] is None


def test_left_out_limit_is_the_shops_and_bad_input_writes_nothing(
    client: FlaskClient, admin_headers: Headers, cashier_headers: Headers
) -> None:
    made = client.post(
        "/api/customers", headers=cashier_headers, json={"name": "Ramu", "phone": "98111 00002"}
    ).get_json()
    assert (made["credit_limit"], made["available_credit"]) == ("2000.00", "2000.00")
    for bad in ("-1", "abc", "1.234", ["5"], {"a": 1}, True):
        response = client.post(
            "/api/customers",
            headers=admin_headers,
            json={"name": "Bad", "phone": "98111 00003", "credit_limit": bad},
        )
        assert_envelope(response, 422, "validation_error")
    # A cashier may not lift a limit (null) or give more than the shop's.
    for more in (None, "2000.01"):
        response = client.post(
            "/api/customers",
            headers=cashier_headers,
            json={"name": "Greedy", "phone": "98111 00004", "credit_limit": more},
        )
        assert_envelope(response, 403, "forbidden")
    assert customer_count() == 1


def test_the_new_customer_limit_setting(
    client: FlaskClient, admin_headers: Headers, cashier_headers: Headers
) -> None:
    body = client.get("/api/settings", headers=admin_headers).get_json()
    assert body["new_customer_credit_limit"] == "2000.00"
    assert body["new_customer_no_credit_limit"] is False
    # Admins only: a cashier neither reads nor changes it.
    cashier_view = client.get("/api/settings", headers=cashier_headers).get_json()
    assert cashier_view.get("new_customer_credit_limit") is None
    assert_envelope(
        client.put(
            "/api/settings", headers=cashier_headers, json={"new_customer_credit_limit": "1"}
        ),
        403,
    )
    for bad in ("-5", "12.345", "lots", ""):
        response = client.put(
            "/api/settings", headers=admin_headers, json={"new_customer_credit_limit": bad}
        )
        error = assert_envelope(response, 422, "validation_error")
        assert "new_customer_credit_limit" in error["details"]["fields"]
    assert_envelope(
        client.put(
            "/api/settings", headers=admin_headers, json={"new_customer_no_credit_limit": "maybe"}
        ),
        422,
    )
    assert load_settings(db.session) == ShopSettings()
    saved = client.put(
        "/api/settings", headers=admin_headers, json={"new_customer_credit_limit": "750.50"}
    ).get_json()
    assert saved["new_customer_credit_limit"] == "750.50"
    made = client.post(
        "/api/customers", headers=admin_headers, json={"name": "Asha", "phone": "98111 00005"}
    ).get_json()
    assert made["credit_limit"] == "750.50"
    client.put("/api/settings", headers=admin_headers, json={"new_customer_no_credit_limit": True})
    made = client.post(
        "/api/customers", headers=cashier_headers, json={"name": "Bina", "phone": "98111 00006"}
    ).get_json()
    assert made["credit_limit"] is None
