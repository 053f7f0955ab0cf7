"""API: suppliers, their ledger, and payments to them (admins only)."""

from __future__ import annotations

from typing import Any

from flask import request

from posapp.api import supplier_schemas as s
from posapp.api.base import (
    bp,
    caller,
    flag,
    json_body,
    page_envelope,
    pagination,
    requires,
    search_text,
)
from posapp.api.schemas import LedgerQuery, SearchQuery
from posapp.api.serializers import iso
from posapp.apidoc import documented
from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.i18n import _
from posapp.models import Supplier
from posapp.money import money_str
from posapp.services import suppliers


def supplier_json(supplier: Supplier, balance: int, overdue: int) -> dict[str, Any]:
    """Serialise a supplier with what is owed and overdue."""
    return {
        "id": supplier.id,
        "name": supplier.name,
        "phone": supplier.phone or None,
        "gstin": supplier.gstin or None,
        "state_code": supplier.state_code or None,
        "address": supplier.address or None,
        "credit_days": supplier.credit_days,
        "opening_balance": money_str(supplier.opening_balance),
        "opening_date": supplier.opening_date.isoformat() if supplier.opening_date else None,
        "archived": supplier.archived,
        "created_at": iso(supplier.created_at),
        "balance": money_str(balance),
        "overdue": money_str(overdue),
    }


def _detail(supplier_id: int) -> dict[str, Any]:
    summary = suppliers.summary(db.session, supplier_id)
    return {
        **supplier_json(summary.supplier, summary.balance, summary.overdue),
        "advance": money_str(summary.advance),
        "aging": {name: money_str(amount) for name, amount in summary.aging.items()},
        "open_bills": [
            {
                "purchase_id": item.purchase.id if item.purchase else None,
                "number": item.purchase.number if item.purchase else "Opening balance",
                "reference": (item.purchase.reference or None) if item.purchase else None,
                "bill_date": item.bill_day.isoformat(),
                "due_date": item.due_date.isoformat(),
                "amount": money_str(item.amount),
                "open": money_str(item.open),
            }
            for item in summary.open
        ],
    }


@bp.get("/suppliers")
@documented({200: s.SupplierPage}, query=SearchQuery)
@requires("admin")
def list_suppliers() -> dict[str, Any]:
    """List suppliers (q: part of the name, GSTIN or phone) with balance and overdue."""
    page, per_page = pagination()
    items, total = suppliers.search_suppliers(
        db.session,
        search_text(),
        include_archived=flag("include_archived"),
        page=page,
        per_page=per_page,
    )
    owed = suppliers.balances(db.session, (x.id for x in items))
    overdue = suppliers.overdue_amounts(db.session, suppliers.local_today())
    return page_envelope(
        [supplier_json(x, owed[x.id], overdue.get(x.id, 0)) for x in items], total, page, per_page
    )


@bp.post("/suppliers")
@documented({201: s.SupplierDetail}, body=s.SupplierCreate, errors=(409,))
@requires("admin")
def create_supplier() -> tuple[dict[str, Any], int]:
    """Create a supplier; 201 with the supplier."""
    supplier = suppliers.create_supplier(db.session, json_body(), caller())
    return _detail(supplier.id), 201


@bp.get("/suppliers/<int:supplier_id>")
@documented({200: s.SupplierDetail})
@requires("admin")
def get_supplier(supplier_id: int) -> dict[str, Any]:
    """One supplier with balance, advance, aging and open bills."""
    return _detail(supplier_id)


@bp.put("/suppliers/<int:supplier_id>")
@documented({200: s.SupplierDetail}, body=s.SupplierUpdate, errors=(409,))
@requires("admin")
def update_supplier(supplier_id: int) -> dict[str, Any]:
    """Update only the fields sent."""
    suppliers.update_supplier(db.session, supplier_id, json_body(), caller())
    return _detail(supplier_id)


@bp.get("/suppliers/<int:supplier_id>/ledger")
@documented({200: s.SupplierLedgerPage}, query=LedgerQuery)
@requires("admin")
def supplier_ledger(supplier_id: int) -> dict[str, Any]:
    """Bills, payments and the opening balance with the running balance (order asc or desc)."""
    order = request.args.get("order", "asc")
    if order not in ("asc", "desc"):
        raise ValidationError(_("order is asc or desc."), field="order")
    page, per_page = pagination()
    lines = suppliers.ledger_lines(db.session, supplier_id)
    if order == "desc":
        lines.reverse()
    chunk = lines[(page - 1) * per_page : page * per_page]
    return page_envelope(
        [
            {
                "date": line.day.isoformat(),
                "kind": line.kind,
                "description": str(line.label),
                "amount": money_str(line.amount),
                "balance": money_str(line.running),
                "purchase_id": line.purchase_id,
                "payment_id": line.payment_id,
                "method": line.method or None,
                "reference": line.reference or None,
            }
            for line in chunk
        ],
        len(lines),
        page,
        per_page,
    )


@bp.post("/suppliers/<int:supplier_id>/payments")
@documented({201: s.SupplierPaymentResult}, body=s.SupplierPaymentRequest, errors=(409,))
@requires("admin")
def pay_supplier(supplier_id: int) -> tuple[dict[str, Any], int]:
    """Record a payment to a supplier; 201 with the bills it settled and the advance left."""
    result = suppliers.record_payment(db.session, supplier_id, json_body(), caller())
    payment = result.payment
    return {
        "id": payment.id,
        "supplier_id": result.supplier.id,
        "amount": money_str(payment.amount),
        "method": payment.method,
        "reference": payment.reference or None,
        "note": payment.note or None,
        "paid_on": payment.paid_on.isoformat(),
        "created_at": iso(payment.created_at),
        "allocations": [
            {
                "purchase_id": a.purchase_id,
                "description": result.labels.get(a.purchase_id, ""),
                "amount": money_str(a.amount),
            }
            for a in result.allocations
        ],
        "advance": money_str(result.advance),
        "balance": money_str(result.balance),
    }, 201
