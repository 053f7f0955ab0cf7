"""A credit sale's receipt, ESC/POS text and PDFs say the customer's total due after the bill,
as issued: a later payment never changes a reprint."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from posapp.documents import escpos_receipt
from posapp.extensions import db
from posapp.models import Invoice, User
from posapp.models.base import write_transaction
from posapp.services import checkout, ledger
from posapp.services.settings import load_settings, save_settings
from tests.factories import make_customer, make_product
from tests.services.test_escpos_receipt import text_lines
from tests.services.test_invoice_pdf import pdf_text


def sell(user: User, customer_id: int | None, product_id: int, payments: list) -> int:
    invoice = checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {
                "customer_id": customer_id,
                "items": [{"product_id": product_id, "quantity": 1}],
                "payments": payments,
            }
        ),
        user,
    )
    return invoice.id


def texts(client: FlaskClient, invoice_id: int) -> dict[str, str]:
    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice_id)
    job = escpos_receipt.receipt_job(invoice, load_settings(db.session), columns=48)
    return {
        "receipt": client.get(f"/pos/receipt/{invoice_id}").get_data(as_text=True),
        "escpos": "\n".join(text_lines(job)),
        "pdf": pdf_text(client.get(f"/invoices/{invoice_id}/pdf").data),
    }


@pytest.mark.parametrize("layout", ["a4", "receipt"])
def test_the_total_due_is_the_balance_at_issue(
    admin_client: FlaskClient, admin: User, layout: str
) -> None:
    with write_transaction(db.session):
        save_settings(db.session, invoice_layout=layout)
    customer = make_customer(
        db.session, admin, name="Ramu Kaka", credit_limit="2000", opening_balance="300"
    )
    product = make_product(db.session, price="200.00", opening_stock="10")
    invoice_id = sell(
        admin,
        customer.id,
        product.id,
        [{"method": "credit", "amount": "120.00"}, {"method": "cash", "amount": "80.00"}],
    )
    assert ledger.balance(db.session, customer.id) == 42_000
    before = texts(admin_client, invoice_id)
    # A payment after the sale: today's balance changes, the bill's words do not.
    ledger.record_payment(db.session, customer.id, {"amount": "420", "method": "cash"}, admin)
    assert ledger.balance(db.session, customer.id) == 0
    after = texts(admin_client, invoice_id)
    for name, text in {**before, **{f"reprint {k}": v for k, v in after.items()}}.items():
        flat = " ".join(text.split())
        assert "Total due after this bill" in flat, name
        assert "420.00" in flat.split("Total due after this bill", 1)[1][:80], name
    assert "data-due-after>₹420.00<" in after["receipt"]


def test_a_sale_without_credit_has_no_total_due(admin_client: FlaskClient, admin: User) -> None:
    customer = make_customer(db.session, admin, credit_limit="2000")
    product = make_product(db.session, price="50.00", opening_stock="10")
    paid = sell(admin, customer.id, product.id, [{"method": "cash", "amount": "50.00"}])
    walk_in = sell(admin, None, product.id, [{"method": "cash", "amount": "50.00"}])
    for invoice_id in (paid, walk_in):
        for name, text in texts(admin_client, invoice_id).items():
            assert "Total due after this bill" not in text, name
