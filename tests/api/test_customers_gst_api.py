"""API: business customers' GSTIN, legal name and state (create, update, read, search)."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.api.test_products_api import assert_envelope

Headers = dict[str, str]
MAHARASHTRA = "27AAPFU0939F1ZV"
KARNATAKA = "29AAGCB7383J1Z4"


def test_create_read_and_list_a_business_customer(
    client: FlaskClient, cashier_headers: Headers
) -> None:
    response = client.post(
        "/api/customers",
        headers=cashier_headers,
        json={
            "name": "Sharma Traders",
            "phone": "98765 43210",
            "gstin": "27aapfu0939f1zv",
            "legal_name": "Sharma Traders LLP",
        },
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["gstin"], body["legal_name"], body["state_code"]) == (
        MAHARASHTRA,
        "Sharma Traders LLP",
        "27",
    )
    read = client.get(f"/api/customers/{body['id']}", headers=cashier_headers).get_json()
    assert read["gstin"] == MAHARASHTRA and read["state_code"] == "27"
    plain = client.post(
        "/api/customers", headers=cashier_headers, json={"name": "Asha", "phone": "98765 11111"}
    ).get_json()
    assert (plain["gstin"], plain["legal_name"], plain["state_code"]) == (None, None, None)
    found = client.get(
        "/api/customers", headers=cashier_headers, query_string={"q": "AAPFU0939"}
    ).get_json()
    assert [c["id"] for c in found["items"]] == [body["id"]]


def test_a_corrupted_gstin_is_a_422_with_the_field(
    client: FlaskClient, cashier_headers: Headers
) -> None:
    for bad, reason in (
        ("27AAPFU0939F1ZW", "check character"),
        ("hello", "15 characters"),
        (27, "text"),
    ):
        response = client.post(
            "/api/customers",
            headers=cashier_headers,
            json={"name": "Sharma", "phone": "98765 43210", "gstin": bad},
        )
        assert_envelope(response, 422, "validation_error")
        assert reason in response.get_json()["error"]["details"]["fields"]["gstin"]
    listing = client.get("/api/customers", headers=cashier_headers).get_json()
    assert listing["total"] == 0


def test_update_checks_the_state_against_the_gstin(
    client: FlaskClient, cashier_headers: Headers
) -> None:
    created = client.post(
        "/api/customers",
        headers=cashier_headers,
        json={"name": "Bhat Stores", "phone": "98765 43210", "state_code": "07"},
    ).get_json()
    path = f"/api/customers/{created['id']}"
    assert created["state_code"] == "07"
    updated = client.put(path, headers=cashier_headers, json={"gstin": KARNATAKA})
    assert updated.status_code == 200
    assert (updated.get_json()["gstin"], updated.get_json()["state_code"]) == (KARNATAKA, "29")
    refused = client.put(path, headers=cashier_headers, json={"state_code": "27", "name": "X"})
    assert_envelope(refused, 422, "validation_error")
    assert "29 – Karnataka" in refused.get_json()["error"]["details"]["fields"]["state_code"]
    after = client.get(path, headers=cashier_headers).get_json()
    assert (after["name"], after["state_code"]) == ("Bhat Stores", "29")
    cleared = client.put(path, headers=cashier_headers, json={"gstin": ""}).get_json()
    assert (cleared["gstin"], cleared["state_code"]) == (None, "29")
