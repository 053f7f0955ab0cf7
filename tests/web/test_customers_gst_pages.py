"""Business customers on the pages: the GSTIN in the form, the list, the customer page, search."""

from __future__ import annotations

import csv
import io
import re

from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import Customer
from tests.factories import make_customer

MAHARASHTRA = "27AAPFU0939F1ZV"
KARNATAKA = "29AAGCB7383J1Z4"


def field_error(html: str, name: str) -> str:
    match = re.search(rf'id="f-{name}-error">([^<]*)<', html)
    return match.group(1) if match else ""


def test_adding_a_business_customer_shows_the_gstin_everywhere(
    cashier_client: FlaskClient,
) -> None:
    form = cashier_client.get("/customers/new").get_data(as_text=True)
    assert 'name="gstin"' in form and 'name="legal_name"' in form
    assert 'name="state_code"' in form and "29 – Karnataka" in form
    response = cashier_client.post(
        "/customers/new",
        data={
            "name": "Bhat Stores",
            "phone": "98765 43210",
            "gstin": KARNATAKA.lower(),
            "legal_name": "Bhat Stores Pvt Ltd",
            "state_code": "",
        },
    )
    assert response.status_code == 302
    customer = db.session.scalar(select(Customer))
    assert customer is not None
    assert (customer.gstin, customer.state_code) == (KARNATAKA, "29")
    page = cashier_client.get(response.headers["Location"]).get_data(as_text=True)
    assert KARNATAKA in page and "Bhat Stores Pvt Ltd" in page and "29 – Karnataka" in page
    listing = cashier_client.get("/customers/").get_data(as_text=True)
    assert ">B2B<" in listing and f"GSTIN {KARNATAKA}" in listing
    found = cashier_client.get("/customers/", query_string={"q": "29aagcb"}).get_data(as_text=True)
    assert "Bhat Stores" in found and "1 customer matches" in found


def test_a_corrupted_gstin_is_reshown_with_the_reason(cashier_client: FlaskClient) -> None:
    response = cashier_client.post(
        "/customers/new",
        data={"name": "Bhat Stores", "phone": "98765 43210", "gstin": "29AAGCB7383J1Z5"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "check character" in field_error(html, "gstin")
    assert 'value="29AAGCB7383J1Z5"' in html
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 0


def test_editing_sets_and_checks_the_state(admin_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    customer = make_customer(db.session, admin, name="Sharma", gstin=MAHARASHTRA)
    form = admin_client.get(f"/customers/{customer.id}/edit").get_data(as_text=True)
    assert f'value="{MAHARASHTRA}"' in form and '<option value="27" selected>' in form
    response = admin_client.post(
        f"/customers/{customer.id}/edit",
        data={"name": "Sharma", "phone": customer.phone, "gstin": MAHARASHTRA, "state_code": "29"},
    )
    assert response.status_code == 422
    assert "27 – Maharashtra" in field_error(response.get_data(as_text=True), "state_code")
    response = admin_client.post(
        f"/customers/{customer.id}/edit",
        data={"name": "Sharma", "phone": customer.phone, "gstin": "", "state_code": "29"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    fresh = db.session.get(Customer, customer.id)
    assert fresh is not None and (fresh.gstin, fresh.state_code) == ("", "29")
    assert ">B2B<" not in admin_client.get("/customers/").get_data(as_text=True)


def test_the_customers_csv_has_the_gst_columns(admin_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    make_customer(db.session, admin, name="Sharma", gstin=MAHARASHTRA, legal_name="S LLP")
    text = admin_client.get("/exports/customers.csv").get_data().decode("utf-8-sig")
    (row,) = csv.DictReader(io.StringIO(text))
    assert (row["gstin"], row["legal_name"], row["state_code"]) == (MAHARASHTRA, "S LLP", "27")
