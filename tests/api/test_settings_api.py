"""GET/PUT /api/settings: every key for admins, the till's keys for cashiers, partial audited
updates through the settings page's own checks (posapp/api/settings.py)."""

from __future__ import annotations

import json
from dataclasses import fields

from flask.testing import FlaskClient
from sqlalchemy import select

from posapp.api import schemas
from posapp.extensions import db
from posapp.models import AuditLog
from posapp.models.base import write_transaction
from posapp.services import scale_labels, shop_settings, upi
from posapp.services.settings import ShopSettings, load_settings, save_settings
from tests.api.test_products_api import assert_envelope

Headers = dict[str, str]
MAHARASHTRA = "27AAPFU0939F1ZV"
KARNATAKA = "29AAGCB7383J1Z4"


def audits() -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == "settings.change")))


def test_both_endpoints_need_a_login(client: FlaskClient) -> None:
    assert_envelope(client.get("/api/settings"), 401, "unauthorized")
    assert_envelope(client.put("/api/settings", json={}), 401, "unauthorized")


def test_an_admin_reads_every_setting(client: FlaskClient, admin_headers: Headers) -> None:
    body = client.get("/api/settings", headers=admin_headers).get_json()
    names = [f.name for f in fields(ShopSettings)]
    assert list(body) == [n.replace("low_stock_default_milli", "low_stock_default") for n in names]
    assert body["shop_name"] == "My Shop" and body["currency"] == "INR"
    assert body["low_stock_default"] == "5"  # 5000 thousandths
    assert body["prices_include_tax"] is True and body["receipt_width_mm"] == 80
    assert body["discount_audit_percent"] == 10 and body["printer_host"] == ""
    assert (body["tax_number"], body["state_code"], body["composition_scheme"]) == ("", "", False)


def test_a_cashier_reads_what_the_till_needs_only(
    client: FlaskClient, cashier_headers: Headers
) -> None:
    with write_transaction(db.session):
        save_settings(db.session, tax_number=MAHARASHTRA, state_code="27", printer_host="10.0.0.9")
    body = client.get("/api/settings", headers=cashier_headers).get_json()
    assert set(body) == set(schemas.TILL_SETTINGS)
    assert (body["tax_number"], body["state_code"]) == (MAHARASHTRA, "27")
    for secret in ("discount_audit_percent", "printer_host", "offsite_backup_dir", "allowed_hosts"):
        assert secret not in body


def test_a_cashier_may_not_change_settings(client: FlaskClient, cashier_headers: Headers) -> None:
    response = client.put("/api/settings", headers=cashier_headers, json={"shop_name": "Mine"})
    assert_envelope(response, 403, "forbidden")
    assert load_settings(db.session).shop_name == "My Shop"
    assert audits() == []


def test_a_partial_update_changes_only_what_was_sent_and_is_audited(
    client: FlaskClient,
    admin,
    admin_headers: Headers,  # type: ignore[no-untyped-def]
) -> None:
    response = client.put(
        "/api/settings",
        headers=admin_headers,
        json={
            "shop_name": "Sharma General Store",
            "tax_number": "27aapfu0939f1zv",
            "round_off": True,
            "low_stock_default": "2.5",
            "fy_start_month": 1,
            "receipt_footer": None,  # null: unchanged
        },
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["shop_name"], body["tax_number"], body["state_code"]) == (
        "Sharma General Store",
        MAHARASHTRA,
        "27",  # taken from the GSTIN
    )
    assert (body["round_off"], body["low_stock_default"], body["fy_start_month"]) == (
        True,
        "2.500",
        1,
    )
    settings = load_settings(db.session)
    assert settings.low_stock_default_milli == 2500
    assert (settings.currency, settings.receipt_footer, settings.invoice_prefix) == (
        "INR",
        "Thank you! Visit again.",
        "INV",
    )
    (entry,) = audits()
    assert entry.user_id == admin.id and entry.entity == "settings"
    assert json.loads(entry.before) == {
        "shop_name": "My Shop",
        "tax_number": "",
        "state_code": "",
        "round_off": "0",
        "low_stock_default_milli": "5000",
        "fy_start_month": "4",
    }
    assert json.loads(entry.after)["tax_number"] == MAHARASHTRA
    # The same body again changes nothing and audits nothing.
    again = client.put("/api/settings", headers=admin_headers, json={"round_off": True})
    assert again.status_code == 200 and len(audits()) == 1


def test_a_new_gstin_brings_its_state_and_a_contradiction_is_refused(
    client: FlaskClient, admin_headers: Headers
) -> None:
    put = client.put("/api/settings", headers=admin_headers, json={"tax_number": MAHARASHTRA})
    assert put.get_json()["state_code"] == "27"
    moved = client.put("/api/settings", headers=admin_headers, json={"tax_number": KARNATAKA})
    assert moved.get_json()["state_code"] == "29"
    refused = client.put("/api/settings", headers=admin_headers, json={"state_code": "27"})
    error = assert_envelope(refused, 422, "validation_error")
    assert "29 – Karnataka" in error["details"]["fields"]["state_code"]
    assert load_settings(db.session).state_code == "29"


def test_bad_values_are_422_field_errors_and_save_nothing(
    client: FlaskClient, admin_headers: Headers
) -> None:
    response = client.put(
        "/api/settings",
        headers=admin_headers,
        json={
            "shop_name": "Renamed",
            "tax_number": "27AAPFU0939F1ZW",  # the check character mistyped
            "receipt_width_mm": 70,
            "round_off": 1,
            "address": ["12", "MG Road"],
            "currency": "XYZ",
        },
    )
    error = assert_envelope(response, 422, "validation_error")
    found = error["details"]["fields"]
    assert "check character" in found["tax_number"]
    assert set(found) >= {"tax_number", "receipt_width_mm", "round_off", "address", "currency"}
    assert load_settings(db.session) == ShopSettings()
    assert audits() == []


def test_unknown_and_page_only_keys_are_refused(
    client: FlaskClient, admin_headers: Headers
) -> None:
    response = client.put(
        "/api/settings",
        headers=admin_headers,
        json={
            "shop_name": "Renamed",
            "shopname": "typo",
            "offsite_backup_dir": "/tmp/x",
            "allowed_hosts": "evil.example",
            "printer_host": "10.0.0.9",
        },
    )
    found = assert_envelope(response, 422, "validation_error")["details"]["fields"]
    assert found["shopname"] == "There is no such setting."
    for key in ("offsite_backup_dir", "allowed_hosts", "printer_host"):
        assert "own page" in found[key]
    assert "shop_name" not in found
    assert load_settings(db.session) == ShopSettings()


def test_what_the_api_may_set_is_a_part_of_the_settings_pages() -> None:
    assert set(schemas.WRITABLE_SETTINGS) == (
        set(shop_settings.FORM_FIELDS) - {"allowed_hosts"}
    ) | set(scale_labels.FORM_FIELDS) | set(upi.SETTING_KEYS)
    assert set(schemas.WRITABLE_SETTINGS) == set(schemas.SettingsUpdate.model_fields)


def test_scale_labels_through_the_api_use_the_pages_checks_and_audit(
    client: FlaskClient, admin_headers: Headers, cashier_headers: Headers
) -> None:
    body = client.get("/api/settings", headers=cashier_headers).get_json()
    assert (body["scale_prefix"], body["scale_item_digits"]) == ("20-29", 5)
    assert (body["scale_value"], body["scale_price_check"]) == ("weight", False)
    response = client.put(
        "/api/settings",
        headers=admin_headers,
        json={"scale_prefix": "19", "scale_item_digits": 6, "scale_price_check": True},
    )
    found = assert_envelope(response, 422, "validation_error")["details"]["fields"]
    assert set(found) == {"scale_prefix", "scale_price_check"}
    assert load_settings(db.session) == ShopSettings()
    response = client.put(
        "/api/settings",
        headers=admin_headers,
        json={"scale_prefix": "22, 21", "scale_item_digits": 4, "scale_value": "price",
              "scale_price_check": True, "shop_name": "Kirana"},
    )  # fmt: skip
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["scale_prefix"], body["scale_item_digits"]) == ("21,22", 4)
    assert (body["scale_value"], body["scale_price_check"]) == ("price", True)
    scale = db.session.scalars(select(AuditLog).where(AuditLog.action == "settings.scale")).one()
    assert json.loads(scale.after) == {
        "scale_prefix": "21,22",
        "scale_item_digits": "4",
        "scale_value": "price",
        "scale_price_check": "1",
    }
    assert [json.loads(a.after) for a in audits()] == [{"shop_name": "Kirana"}]


def test_the_stock_policy_and_cashier_limits_over_the_api(
    client: FlaskClient, admin_headers: Headers, cashier_headers: Headers
) -> None:
    body = {
        "stock_policy": "warn",
        "cashier_max_line_discount_percent": 15,
        "cashier_max_bill_discount_percent": 0,
    }
    saved = client.put("/api/settings", headers=admin_headers, json=body)
    assert saved.status_code == 200, saved.get_json()
    assert {k: saved.get_json()[k] for k in body} == body
    till = client.get("/api/settings", headers=cashier_headers).get_json()
    assert till["stock_policy"] == "warn" and till["cashier_max_line_discount_percent"] == 15
    for bad in (
        {"stock_policy": "sometimes"},
        {"cashier_max_line_discount_percent": 101},
        {"cashier_max_bill_discount_percent": -1},
        {"stock_policy": True},
    ):
        assert_envelope(client.put("/api/settings", headers=admin_headers, json=bad), 422)
    assert client.get("/api/settings", headers=admin_headers).get_json()["stock_policy"] == "warn"
