"""The Print labels page, the product page's single label, and the default sheet setting."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader

from posapp.extensions import db
from posapp.services import catalog
from posapp.services.settings import load_settings
from tests.factories import make_product
from tests.web.helpers import login


def form(*rows: tuple[str, str], sheet: str = "a4-3x8", skip: str = "0") -> dict:
    return {
        "code": [code for code, _ in rows],
        "count": [count for _, count in rows],
        "sheet": sheet,
        "skip": skip,
    }


def test_ticked_products_fill_the_form_with_the_default_sheet(admin_client: FlaskClient) -> None:
    one = make_product(db.session, name="Ticked One")
    two = make_product(db.session, name="Ticked Two")
    page = admin_client.get(f"/products/labels?ids={two.id}&ids={one.id}&ids=x")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.index(two.code) < html.index(one.code)
    assert "Ticked One" in html and "Ticked Two" in html
    assert '<option value="a4-3x8" selected>' in html


def test_the_products_list_offers_label_checkboxes(admin_client: FlaskClient) -> None:
    product = make_product(db.session)
    html = admin_client.get("/products/").get_data(as_text=True)
    assert f'name="ids" value="{product.id}" form="labels-form"' in html
    assert 'id="labels-form" method="get" action="/products/labels"' in html


def test_printing_answers_a_pdf(admin_client: FlaskClient) -> None:
    product = make_product(db.session, name="Chai Patti 250g", price="95.00")
    response = admin_client.post("/products/labels", data=form((product.code, "50")))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "inline" in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 3
    assert "Chai Patti 250g" in reader.pages[0].extract_text()


@pytest.mark.parametrize(
    ("code", "count", "message"),
    [
        (None, "0", "print at least 1 label"),
        (None, "-3", "print at least 1 label"),
        (None, "lots", "whole number"),
        (None, "1001", "at most 1000 labels"),
        ("NO-SUCH", "1", "no product has the code NO-SUCH"),
        ("archived", "1", "is archived"),
    ],
)
def test_bad_input_reshows_the_form(
    admin_client: FlaskClient, code: str | None, count: str, message: str
) -> None:
    product = make_product(db.session, name="Label <b>Soap</b>")
    if code == "archived":
        catalog.archive_product(db.session, product.id, None)
        code = product.code
    response = admin_client.post("/products/labels", data=form((code or product.code, count)))
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert message in html
    assert "is-invalid" in html
    assert "<b>Soap</b>" not in html
    assert f'value="{count}"' in html  # what was typed stays


def test_bad_sheet_and_skip_reshow_the_form(admin_client: FlaskClient) -> None:
    product = make_product(db.session)
    response = admin_client.post("/products/labels", data=form((product.code, "1"), sheet="x"))
    assert response.status_code == 422
    assert "Choose one of the label sheet formats" in response.get_data(as_text=True)
    response = admin_client.post("/products/labels", data=form((product.code, "1"), skip="99"))
    assert response.status_code == 422
    assert "fewer than the labels on one sheet" in response.get_data(as_text=True)
    response = admin_client.post("/products/labels", data=form(("", "")))
    assert response.status_code == 422
    assert "Add at least one product" in response.get_data(as_text=True)


def test_single_label_from_the_product_page(admin_client: FlaskClient) -> None:
    product = make_product(db.session, name="Gel Pen")
    page = admin_client.get(f"/products/{product.id}").get_data(as_text=True)
    assert f"/products/{product.id}/label.pdf" in page
    response = admin_client.get(f"/products/{product.id}/label.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert len(PdfReader(io.BytesIO(response.data)).pages) == 1
    catalog.archive_product(db.session, product.id, None)
    assert f"/products/{product.id}/label.pdf" not in admin_client.get(
        f"/products/{product.id}"
    ).get_data(as_text=True)
    assert admin_client.get(f"/products/{product.id}/label.pdf").status_code == 422
    assert admin_client.get("/products/9999/label.pdf").status_code == 404


def test_cashiers_cannot_print_labels(client: FlaskClient, cashier) -> None:  # type: ignore[no-untyped-def]
    product = make_product(db.session)
    login(client, "cashier")
    assert client.get("/products/labels").status_code == 403
    assert client.post("/products/labels", data=form((product.code, "1"))).status_code == 403
    assert client.get(f"/products/{product.id}/label.pdf").status_code == 403


def test_default_sheet_setting(admin_client: FlaskClient) -> None:
    # The shop settings are cached per app context, which the test fixture keeps open: save first.
    data = {
        "low_stock_default": "5",
        "expiry_warning_days": "30",
        "dead_stock_days": "60",
        "label_sheet": "a4-4x10",
    }
    assert admin_client.post("/inventory/settings", data=data).status_code == 302
    assert load_settings(db.session).label_sheet == "a4-4x10"
    page = admin_client.get("/products/labels").get_data(as_text=True)
    assert '<option value="a4-4x10" selected>' in page
    page = admin_client.get("/inventory/settings").get_data(as_text=True)
    assert 'name="label_sheet"' in page and '<option value="a4-4x10" selected>' in page
    response = admin_client.post("/inventory/settings", data={**data, "label_sheet": "bogus"})
    assert response.status_code == 422
    assert load_settings(db.session).label_sheet == "a4-4x10"
