"""API: the scan lookup reads GS1 codes (element strings, raw scanner output, Digital Link)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from posapp.extensions import db
from posapp.models.base import write_transaction
from posapp.services.settings import save_settings
from tests.factories import make_product

pytestmark = pytest.mark.one_backend("reading GS1 codes (lookup by code is tested on each backend)")

Headers = dict[str, str]


def lookup(client: FlaskClient, headers: Headers, code: str):  # type: ignore[no-untyped-def]
    return client.get(f"/api/products/lookup?code={quote(code, safe='')}", headers=headers)


def test_gs1_codes_answer_the_product_with_batch_and_expiry(
    client: FlaskClient,
    admin,  # type: ignore[no-untyped-def]
    cashier_headers: Headers,
) -> None:
    tea = make_product(db.session, admin.id, name="Tea", code="8901234567890")
    soap = make_product(db.session, admin.id, name="Soap", code="012345678905")
    body = lookup(client, cashier_headers, "(01)08901234567890(17)491231(10)AB12").get_json()
    assert body["product"]["id"] == tea.id and body["quantity"] == "1"
    assert (body["batch"], body["expiry"], body["expired"]) == ("AB12", "2049-12-31", False)
    assert body["expiry_label"] == "31-12-2049"  # as an Indian shop writes dates
    body = lookup(
        client, cashier_headers, "https://id.gs1.org/01/00012345678905/10/L%2F7?17=200200"
    ).get_json()
    assert body["product"]["id"] == soap.id
    assert (body["batch"], body["expiry"], body["expired"]) == ("L/7", "2020-02-29", True)
    body = lookup(client, cashier_headers, "]C1010001234567890510L7\x1d17491200").get_json()
    assert (body["product"]["id"], body["batch"], body["expiry"]) == (soap.id, "L7", "2049-12-31")
    # An ordinary code answers no batch and no expiry.
    body = lookup(client, cashier_headers, tea.code).get_json()
    assert (body["batch"], body["expiry"], body["expired"]) == (None, None, False)
    assert body["expiry_label"] is None


def test_the_expiry_label_follows_the_shop_locale(
    client: FlaskClient,
    admin,  # type: ignore[no-untyped-def]
    cashier_headers: Headers,
) -> None:
    make_product(db.session, admin.id, name="Tea", code="8901234567890")
    with write_transaction(db.session):
        save_settings(db.session, locale="en_US")
    body = lookup(client, cashier_headers, "(01)08901234567890(17)491231").get_json()
    assert (body["expiry"], body["expiry_label"]) == ("2049-12-31", "12/31/2049")


def test_gs1_refusals_use_the_error_envelope(
    client: FlaskClient,
    admin,  # type: ignore[no-untyped-def]
    cashier_headers: Headers,
) -> None:
    make_product(db.session, admin.id, name="Tea", code="8901234567890")
    response = lookup(client, cashier_headers, "(01)08901234567891")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and "check digit" in error["message"]
    response = lookup(client, cashier_headers, "(01)04006381333931(10)X")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "unknown_code"
    assert "04006381333931" in response.get_json()["error"]["message"]
    response = lookup(client, cashier_headers, "https://id.gs1.org/01/08901234567890/17/261231")
    assert response.status_code == 422
