"""The sale writer: every row names every column, and a sale's objects never lazy-load."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Table, inspect, select

from posapp.extensions import db
from posapp.models import Customer, Invoice, InvoiceLine, Payment, StockMovement, User
from posapp.services import checkout, ledger, sale_writer
from posapp.services.pricing import BillDiscount, LineInput, price_cart
from posapp.services.settlement import PaymentRequest, settle
from tests.factories import make_customer, make_product


def a_sale(*, credit: bool = False) -> sale_writer.Sale:
    """A two-line sale built without a database (the row functions are pure)."""
    products = [
        SimpleNamespace(
            id=1,
            code="A1",
            name="Rice",
            unit="pcs",
            hsn="10",
            price=6250,
            cost=50,
            is_service=False,
        ),
        SimpleNamespace(
            id=2, code="B2", name="Dal", unit="kg", hsn="", price=14250, cost=0, is_service=False
        ),
    ]
    quantities = [2000, 1250]
    priced = price_cart(
        [LineInput(p.price, q, 500, 0) for p, q in zip(products, quantities, strict=True)],
        BillDiscount(),
        prices_include_tax=True,
        round_off=False,
    )
    tenders = [PaymentRequest("card", 1000), PaymentRequest("cash", priced.total)]
    if credit:
        tenders = [PaymentRequest("credit", 1000), PaymentRequest("cash", priced.total - 1000)]
    return sale_writer.Sale(
        number="INV2026-000001",
        fy=2026,
        seq=1,
        created_at=datetime(2026, 12, 5, 9, 0),
        cashier=User(id=7, username="till"),
        cashier_id=7,
        customer=Customer(id=3, name="Asha") if credit else None,
        prices_include_tax=True,
        products=products,
        qty_milli=quantities,
        priced=priced,
        settlement=settle(priced.total, tenders, has_customer=credit),
        note="",
        cash_session_id=None,
        allow_negative_stock=False,
    )


def written_columns(table: Table) -> set[str]:
    """The columns a sale's row must name: all but the ones the writer leaves to the DB."""
    return {c.name for c in table.columns} - sale_writer.LEFT_TO_THE_DATABASE[table.name]


def test_only_generated_primary_keys_are_left_to_the_database() -> None:
    for model in (Invoice, InvoiceLine, StockMovement, Payment):
        table = model.__table__
        left = sale_writer.LEFT_TO_THE_DATABASE[table.name]
        assert left == {"id"}, table.name
        assert all(table.c[name].primary_key for name in left)


@pytest.mark.parametrize("credit", [False, True], ids=["paid", "credit"])
def test_every_row_names_every_column_of_its_table(credit: bool) -> None:
    sale = a_sale(credit=credit)
    rows: dict[Table, list[dict[str, Any]]] = {
        Invoice.__table__: [sale_writer.invoice_row(sale)],
        InvoiceLine.__table__: sale_writer.line_rows(sale, 11),
        StockMovement.__table__: sale_writer.movement_rows(
            sale, sale_writer.quantities_by_product(sale)
        ),
        Payment.__table__: sale_writer.payment_rows(sale, 11),
    }
    for table, table_rows in rows.items():
        assert table_rows, table.name
        for row in table_rows:
            assert set(row) == written_columns(table), table.name


def test_rows_carry_the_sale() -> None:
    sale = a_sale(credit=True)
    invoice = sale_writer.invoice_row(sale)
    assert (invoice["customer_id"], invoice["total"]) == (3, sale.priced.total)
    assert invoice["paid"] == sale.priced.total - 1000 and invoice["status"] == "partial"
    assert [row["position"] for row in sale_writer.line_rows(sale, 11)] == [1, 2]
    assert [row["method"] for row in sale_writer.payment_rows(sale, 11)] == ["cash"]


def receipt_reads(invoice: Invoice) -> None:
    """Read what a receipt, the invoice page and the API answer read of a sale."""
    for column in inspect(Invoice).columns:
        getattr(invoice, column.key)
    assert invoice.cashier.username
    assert invoice.voided_by is None and invoice.credit_notes == []
    assert invoice.customer is None or invoice.customer.name
    assert isinstance(invoice.allocations, list)
    for line in invoice.lines:
        for column in inspect(InvoiceLine).columns:
            getattr(line, column.key)
        assert line.invoice is invoice
    for payment in invoice.payments:
        for column in inspect(Payment).columns:
            getattr(payment, column.key)
        assert payment.invoice is invoice


def assert_complete(invoice: Invoice) -> None:
    """The rebuilt objects have nothing left to load, and read fine with the session closed."""
    for obj in (invoice, *invoice.lines, *invoice.payments):
        assert inspect(obj).unloaded == set(), type(obj).__name__
    db.session.close()  # any lazy load now raises DetachedInstanceError
    receipt_reads(invoice)


def test_a_cash_and_card_sale_is_complete_without_its_session(admin: User) -> None:
    rice = make_product(db.session, name="Rice", price="62.50", tax_rate="5", opening_stock="10")
    dal = make_product(db.session, name="Dal", price="142.50", unit="kg", opening_stock="5")
    invoice = checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {
                "items": [
                    {"product_id": rice.id, "quantity": 2},
                    {"code": dal.code, "quantity": "1.250"},
                ],
                "payments": [
                    {"method": "card", "amount": "10"},
                    {"method": "cash", "amount": "500"},
                ],
            }
        ),
        admin,
    )
    assert len(invoice.lines) == 2 and len(invoice.payments) == 2
    # The rebuilt objects carry the ids the database gave each row.
    stored_lines = db.session.execute(
        select(InvoiceLine.position, InvoiceLine.id).where(InvoiceLine.invoice_id == invoice.id)
    ).all()
    assert {(line.position, line.id) for line in invoice.lines} == set(stored_lines)
    stored_payments = db.session.execute(
        select(Payment.method, Payment.id).where(Payment.invoice_id == invoice.id)
    ).all()
    assert {(p.method, p.id) for p in invoice.payments} == set(stored_payments)
    assert_complete(invoice)


def test_a_credit_sale_paid_from_an_advance_is_complete_without_its_session(
    admin: User,
) -> None:
    rice = make_product(db.session, name="Rice", price="62.50", opening_stock="10")
    customer = make_customer(db.session, admin, credit_limit="1000")
    ledger.record_payment(db.session, customer.id, {"amount": "50", "method": "cash"}, admin)
    invoice = checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {
                "items": [{"product_id": rice.id, "quantity": 2}],
                "customer_id": customer.id,
                "payments": [{"method": "credit", "amount": "125"}],
            }
        ),
        admin,
    )
    assert invoice.allocations and invoice.customer is not None
    assert_complete(invoice)
