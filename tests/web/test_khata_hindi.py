"""The customer, dues and invoice pages in Hindi, and their counts said in whole sentences.

The Hindi checks read the catalogs filled from the translation of these screens; the English
ones hold today: a count picks its singular or plural message, never "customer(s)".
"""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import Invoice
from posapp.services import checkout
from tests.factories import make_customer, make_product

HINDI = {"Accept-Language": "hi"}


def owing_customer(admin, amount: str = "300.00"):  # type: ignore[no-untyped-def]
    customer = make_customer(db.session, admin, credit_limit="5000")
    product = make_product(db.session, price=amount)
    checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {
                "customer_id": customer.id,
                "items": [{"product_id": product.id, "quantity": 1}],
                "payments": [{"method": "credit", "amount": amount}],
            }
        ),
        admin,
    )
    return customer


def test_the_customer_page_speaks_hindi(admin_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    customer = owing_customer(admin)
    page = admin_client.get(f"/customers/{customer.id}", headers=HINDI).get_data(as_text=True)
    assert "उधार सीमा" in page
    assert "बकाया" in page
    assert "भुगतान दर्ज करें" in page
    assert "उधार बाकी" in page  # the credit words, from the ledger service
    # The reminder is for the customer: their language, else the shop's documents' (English
    # here), whatever the screen speaks.
    assert "Namaste" in page and "this is a reminder" in page


def test_the_dues_list_speaks_hindi_and_counts_in_hindi(admin_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    owing_customer(admin)
    page = admin_client.get("/customers/dues", headers=HINDI).get_data(as_text=True)
    assert "कुल बकाया" in page
    assert "कुल (1 ग्राहक)" in page


def test_an_invoice_page_speaks_hindi(admin_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    owing_customer(admin)
    invoice = db.session.scalar(select(Invoice))
    page = admin_client.get(f"/invoices/{invoice.id}", headers=HINDI).get_data(as_text=True)
    assert "माल वापसी" in page
    assert "क्रेडिट नोट बनाएँ" in page
    assert "टैक्स" in page


def test_the_dues_total_says_one_customer_or_customers(admin_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    owing_customer(admin)
    page = admin_client.get("/customers/dues").get_data(as_text=True)
    assert "Total (1 customer)" in page
    owing_customer(admin)
    page = admin_client.get("/customers/dues").get_data(as_text=True)
    assert "Total (2 customers)" in page


def test_a_payment_flash_counts_the_bills_it_settled(admin_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    customer = owing_customer(admin)
    response = admin_client.post(
        f"/customers/{customer.id}/payments",
        data={"amount": "300", "method": "cash"},
        follow_redirects=True,
    )
    assert "recorded; 1 bill settled." in response.get_data(as_text=True)
