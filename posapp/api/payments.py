"""API v1: payments (sale tenders and payments on account) and an invoice's payment status."""

from __future__ import annotations

from typing import Any

from flask import request

from posapp.api import v1_schemas as v1
from posapp.api.base import bp, caller, int_arg, page_envelope, pagination, requires
from posapp.api.serializers import iso
from posapp.apidoc import documented
from posapp.dates import optional_day
from posapp.extensions import db
from posapp.models import Payment
from posapp.money import money_str
from posapp.services import invoices, stock_views


def payment_row_json(payment: Payment, invoice_number: str | None) -> dict[str, Any]:
    """Serialise one payment."""
    return {
        "id": payment.id,
        "invoice_id": payment.invoice_id,
        "invoice_number": invoice_number,
        "customer_id": payment.customer_id,
        "method": payment.method,
        "amount": money_str(payment.amount),
        "reference": payment.reference or None,
        "note": payment.note or None,
        "user_id": payment.user_id,
        "created_at": iso(payment.created_at),
    }


def _optional_id(name: str) -> int | None:
    return int_arg(name, 0) if request.args.get(name) else None


@bp.get("/payments", legacy=False)
@documented({200: v1.PaymentPage}, query=v1.PaymentQuery)
@requires()
def list_payments() -> dict[str, Any]:
    """List payments, newest first: invoice_id, customer_id, from, to (local days).

    Cashiers see the payments they took.
    """
    page, per_page = pagination()
    rows, total = stock_views.list_payments(
        db.session,
        caller(),
        invoice_id=_optional_id("invoice_id"),
        customer_id=_optional_id("customer_id"),
        date_from=optional_day(request.args.get("from"), "from"),
        date_to=optional_day(request.args.get("to"), "to"),
        page=page,
        per_page=per_page,
    )
    items = [payment_row_json(r.payment, r.invoice_number) for r in rows]
    return page_envelope(items, total, page, per_page)


@bp.get("/invoices/<key>/payment-status", legacy=False)
@documented({200: v1.PaymentStatus})
@requires()
def invoice_payment_status(key: str) -> dict[str, Any]:
    """Return whether an invoice (by id or number) is paid, partly paid, unpaid or refunded."""
    invoice = invoices.invoice_for_user(db.session, key, caller())
    return {
        "invoice_id": invoice.id,
        "number": invoice.number,
        "total": money_str(invoice.total),
        "paid": money_str(invoice.paid),
        "balance_due": money_str(invoice.balance_due),
        "returned_total": money_str(invoice.returned_total),
        "payment_status": stock_views.payment_state(invoice),
        "payments": [payment_row_json(p, invoice.number) for p in invoice.payments],
    }
