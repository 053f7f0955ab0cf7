"""Customer PDFs: the statement and the payment receipt (xhtml2pdf, DejaVu embedded)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from posapp.documents.customer_pdf import render_payment_pdf, render_statement_pdf
from posapp.extensions import db
from posapp.models import User
from posapp.services import checkout, ledger, ledger_views
from posapp.services.settings import load_settings
from tests.factories import make_customer, make_product
from tests.services.test_invoice_pdf import embedded_fonts, pdf_text

pytestmark = pytest.mark.one_backend("rendering PDFs")


def owing(admin: User):  # type: ignore[no-untyped-def]
    customer = make_customer(
        db.session, admin, name="Lakshmi <Stores> & Sons", credit_limit="5000", opening_balance="75"
    )
    product = make_product(db.session, price="1250.00")
    invoice = checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {
                "customer_id": customer.id,
                "items": [{"product_id": product.id, "quantity": 1}],
                "payments": [
                    {"method": "cash", "amount": "250"},
                    {"method": "credit", "amount": "1000"},
                ],
            }
        ),
        admin,
    )
    return customer, invoice


def test_statement_pdf_has_opening_every_entry_and_closing(admin: User) -> None:
    customer, invoice = owing(admin)
    ledger.record_payment(
        db.session, customer.id, {"amount": "400", "method": "upi", "note": "<b>ref</b>"}, admin
    )
    today = ledger.local_today()
    data = ledger_views.statement(db.session, customer, today - timedelta(days=7), today)
    pdf = render_statement_pdf(data, load_settings(db.session))
    text = pdf_text(pdf)
    assert "STATEMENT OF ACCOUNT" in text
    assert "Lakshmi <Stores> & Sons" in text  # escaped in HTML, drawn as typed
    assert invoice.number in text
    assert "Opening balance" in text and "Closing balance" in text
    assert "₹675.00" in text  # 75 + 1000 - 400
    assert "1,000.00" in text and "400.00" in text
    assert "<b>ref</b>" in text
    assert {"DejaVuSans", "DejaVuSans-Bold"} <= embedded_fonts(pdf)


def test_payment_receipt_pdf_lists_the_bills_it_settled(admin: User) -> None:
    customer, invoice = owing(admin)
    result = ledger.record_payment(
        db.session, customer.id, {"amount": "1100", "method": "cash"}, admin
    )
    pdf = render_payment_pdf(
        ledger_views.payment_receipt(db.session, result.payment.id), load_settings(db.session)
    )
    text = pdf_text(pdf)
    assert "PAYMENT RECEIPT" in text
    assert f"PAY-{result.payment.id:06d}" in text
    assert "₹1,100.00" in text
    assert invoice.number in text and "1,000.00" in text
    # 100 was not for a bill: 75 paid the opening balance, 25 is kept as an advance.
    assert "Towards earlier balance" in text and "₹75.00" in text
    assert "Kept as advance" in text and "₹25.00" in text
    assert "Advance after this payment" in text
    assert "DejaVuSans" in embedded_fonts(pdf)


def test_a4_invoice_names_the_customer_it_was_billed_to(admin: User) -> None:
    from posapp.documents.invoice_pdf import render_invoice_pdf

    _customer, invoice = owing(admin)
    text = pdf_text(render_invoice_pdf(invoice, load_settings(db.session)))
    assert "BILL TO" in text and "Lakshmi <Stores> & Sons" in text
    assert "+9198" in text
