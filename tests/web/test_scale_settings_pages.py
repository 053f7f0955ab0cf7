"""The Scale labels settings page: the worked example, validation that writes nothing, audit."""

from __future__ import annotations

import json

from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import AuditLog, Setting
from posapp.money import ean13_check_digit
from posapp.services.settings import load_settings


def scale_audits() -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == "settings.scale")))


def test_the_page_explains_the_default_layout(admin_client: FlaskClient) -> None:
    page = admin_client.get("/settings/scale/").get_data(as_text=True)
    assert 'value="20-29"' in page
    assert "PPIIIIIVVVVVE" in page
    # prefix 20, PLU 00001, 1250 g, the EAN check digit
    check = ean13_check_digit("200000101250")
    assert f'<span class="scale-part scale-part-4">{check}</span>' in page
    assert '<span class="scale-part scale-part-3">01250</span>' in page
    assert "the weight: 1250 g = 1.250 kg" in page
    assert "the product whose scale PLU is 00001" in page
    settings_page = admin_client.get("/settings/").get_data(as_text=True)
    assert 'href="/settings/scale/"' in settings_page


def test_cashiers_may_not_open_it(cashier_client: FlaskClient) -> None:
    assert cashier_client.get("/settings/scale/").status_code == 403
    assert cashier_client.post("/settings/scale/", data={}).status_code == 403


def test_bad_input_is_shown_and_writes_nothing(admin_client: FlaskClient) -> None:
    before = db.session.scalar(select(func.count()).select_from(Setting))
    response = admin_client.post(
        "/settings/scale/",
        data={
            "scale_prefix": "19-31",
            "scale_item_digits": "6",
            "scale_value": "volume",
            "scale_price_check": "1",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Scale labels use prefixes 20 to 29 only" in page
    assert "Choose what the label carries" in page
    assert "A price check digit leaves room for a 4- or 5-digit value only" in page
    assert 'value="19-31"' in page  # the form keeps what was typed
    assert db.session.scalar(select(func.count()).select_from(Setting)) == before
    assert scale_audits() == []


def test_a_saved_layout_is_audited_and_explained(admin_client: FlaskClient) -> None:
    response = admin_client.post(
        "/settings/scale/",
        data={
            "scale_prefix": "26",
            "scale_item_digits": "4",
            "scale_value": "price",
            "scale_price_check": "1",
        },
    )
    assert response.status_code == 302
    settings = load_settings(db.session)
    assert (settings.scale_prefix, settings.scale_item_digits) == ("26", 4)
    assert (settings.scale_value, settings.scale_price_check) == ("price", True)
    (entry,) = scale_audits()
    assert json.loads(entry.after)["scale_value"] == "price"
    page = admin_client.get("/settings/scale/").get_data(as_text=True)
    assert "PPIIIICVVVVVE" in page and "the price: ₹47.50" in page
    assert "Price check" in page
    # Saving the same again changes nothing and adds no audit entry.
    admin_client.post(
        "/settings/scale/",
        data={
            "scale_prefix": "26",
            "scale_item_digits": "4",
            "scale_value": "price",
            "scale_price_check": "1",
        },
    )
    assert len(scale_audits()) == 1
