"""The scale PLU on the product form and the sample scale label on a loose product's page."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import Product
from posapp.models.base import write_transaction
from posapp.money import ean13_check_digit
from posapp.services import catalog
from posapp.services.settings import save_settings
from tests.factories import make_product

FORM = {"name": "Onion", "unit": "kg", "price": "38.00", "tax_rate": "0", "scale_plu": "00001"}


def plu_box(html: str) -> str:
    match = re.search(r"<div class=\"col-md-6\" data-scale-plu[^>]*>", html)
    assert match, "the form has the scale PLU box"
    return match.group(0)


def test_the_field_shows_for_loose_units_only(admin_client: FlaskClient) -> None:
    html = admin_client.get("/products/new").get_data(as_text=True)
    assert "hidden" in plu_box(html) and 'name="scale_plu"' in html
    assert "5 digits" in html  # the length the shop's labels carry
    loose = make_product(db.session, name="Rice", unit="kg")
    html = admin_client.get(f"/products/{loose.id}/edit").get_data(as_text=True)
    assert "hidden" not in plu_box(html)


def test_a_plu_is_saved_from_the_form_and_a_sample_label_shown(admin_client: FlaskClient) -> None:
    response = admin_client.post("/products/new", data=FORM)
    assert response.status_code == 302
    onion = db.session.scalars(select(Product).where(Product.name == "Onion")).one()
    assert onion.scale_plu == "00001"
    page = admin_client.get(f"/products/{onion.id}").get_data(as_text=True)
    label = "2000001" + "01250"  # prefix 20, PLU 00001, 1.250 kg
    label += str(ean13_check_digit(label))
    assert f"data-sample-code>{label}<" in page
    image = admin_client.get(f"/products/{onion.id}/scale-label.svg")
    assert image.status_code == 200 and image.mimetype == "image/svg+xml"
    assert catalog.lookup_code(db.session, label).product.id == onion.id  # it scans
    # A price layout prints what 1.250 kg costs: 47.50
    with write_transaction(db.session):
        save_settings(db.session, scale_value="price")
    page = admin_client.get(f"/products/{onion.id}").get_data(as_text=True)
    label = "2000001" + "04750"
    assert f"data-sample-code>{label}{ean13_check_digit(label)}<" in page


def test_no_sample_label_without_a_plu(admin_client: FlaskClient) -> None:
    soap = make_product(db.session, name="Soap")
    assert "data-sample-label" not in admin_client.get(f"/products/{soap.id}").get_data(
        as_text=True
    )
    assert admin_client.get(f"/products/{soap.id}/scale-label.svg").status_code == 404


def test_bad_plus_re_show_the_form_and_write_nothing(admin_client: FlaskClient) -> None:
    make_product(db.session, name="Potato", unit="kg", scale_plu="00002")
    before = db.session.scalar(select(func.count()).select_from(Product))
    for plu, message in (
        ("12", "A scale PLU is 4 to 6 digits."),
        ("0001", "5-digit item code"),
        ("00002", "This PLU is taken."),
    ):
        response = admin_client.post("/products/new", data={**FORM, "scale_plu": plu})
        assert response.status_code in (409, 422)
        html = response.get_data(as_text=True)
        assert message in html and "hidden" not in plu_box(html)
    response = admin_client.post("/products/new", data={**FORM, "unit": "pcs"})
    assert "Only products sold by kg, g or l" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Product)) == before
