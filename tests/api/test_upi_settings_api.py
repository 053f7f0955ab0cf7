"""The UPI settings through GET/PUT /api/settings: the page's own checks, `settings.upi` audit,
the till's keys for cashiers; and a checkout through the API keeping the UTR."""

from __future__ import annotations

import json

from flask.testing import FlaskClient
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import AuditLog
from posapp.services.settings import ShopSettings, load_settings
from tests.api.test_products_api import assert_envelope
from tests.factories import make_product

Headers = dict[str, str]


def test_upi_ids_are_set_read_and_audited(
    client: FlaskClient, admin_headers: Headers, cashier_headers: Headers
) -> None:
    body = client.get("/api/settings", headers=cashier_headers).get_json()
    assert (body["upi_ids"], body["upi_payee_name"], body["upi_qr_on_documents"]) == ([], "", False)
    response = client.put(
        "/api/settings",
        headers=admin_headers,
        json={
            "upi_ids": [
                {"vpa": "Shop@OKAXIS", "label": "Axis"},
                {"vpa": "shop@ybl", "default": True},
            ],
            "upi_payee_name": "Sharma Store",
            "upi_qr_on_documents": True,
        },
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["upi_ids"] == [
        {"vpa": "shop@okaxis", "label": "Axis", "default": False},
        {"vpa": "shop@ybl", "label": "", "default": True},
    ]
    till = client.get("/api/settings", headers=cashier_headers).get_json()
    assert till["upi_ids"][1]["vpa"] == "shop@ybl" and till["upi_qr_on_documents"] is True
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "settings.upi")).one()
    assert set(json.loads(entry.after)) == {"upi_ids", "upi_payee_name", "upi_qr_on_documents"}
    # Only the keys sent change: the payee name alone keeps the UPI IDs.
    response = client.put("/api/settings", headers=admin_headers, json={"upi_payee_name": "S S"})
    assert response.get_json()["upi_ids"][1]["default"] is True
    # An empty list removes them all (the documents' switch must go off with them).
    cleared = client.put(
        "/api/settings", headers=admin_headers, json={"upi_ids": [], "upi_qr_on_documents": False}
    )
    assert cleared.status_code == 200 and cleared.get_json()["upi_ids"] == []


def test_bad_upi_settings_are_refused_whole(client: FlaskClient, admin_headers: Headers) -> None:
    for bad, field in (
        ({"upi_ids": [{"vpa": "not a vpa"}]}, "upi_ids.0.vpa"),
        ({"upi_ids": [{"vpa": "a1@b"}]}, "upi_ids.0.vpa"),
        ({"upi_ids": "shop@okaxis"}, "upi_ids"),
        ({"upi_ids": [{"vpa": 5}]}, "upi_ids.0"),
        ({"upi_ids": [{"vpa": "shop@ybl", "default": "yes"}]}, "upi_ids.0.default"),
        ({"upi_ids": [{"vpa": f"shop{i}@ybl"} for i in range(6)]}, "upi_ids"),
        ({"upi_ids": [{"vpa": "shop@ybl", "label": "x" * 31}]}, "upi_ids.0.label"),
        ({"upi_ids": [{"vpa": "shop@ybl"}], "upi_payee_name": "<b>"}, "upi_payee_name"),
        ({"upi_qr_on_documents": True}, "upi_qr_on_documents"),
        ({"upi_qr_on_documents": "perhaps"}, "upi_qr_on_documents"),
        ({"upi_payee_name": ["x"]}, "upi_payee_name"),
    ):
        response = client.put("/api/settings", headers=admin_headers, json=bad)
        found = assert_envelope(response, 422, "validation_error")["details"]["fields"]
        assert field in found, (bad, found)
    assert load_settings(db.session) == ShopSettings()
    assert db.session.scalars(select(AuditLog).where(AuditLog.action == "settings.upi")).all() == []


def test_checkout_through_the_api_keeps_the_reference(
    client: FlaskClient, cashier_headers: Headers
) -> None:
    product = make_product(db.session, price="100.00")
    body = {
        "items": [{"product_id": product.id, "quantity": 1}],
        "payments": [{"method": "upi", "amount": "100.00", "reference": "412345678901",
                      "upi_tr": "TB261206143005K7QX2M"}],
    }  # fmt: skip
    response = client.post("/api/invoice/create", headers=cashier_headers, json=body)
    assert response.status_code == 201, response.get_json()
    [payment] = response.get_json()["payments"]
    assert (payment["reference"], payment["upi_tr"]) == ("412345678901", "TB261206143005K7QX2M")
    body["payments"][0]["reference"] = "41234"
    refused = client.post("/api/invoice/create", headers=cashier_headers, json=body)
    assert "payments.0.reference" in assert_envelope(refused, 422)["details"]["fields"]
