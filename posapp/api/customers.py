"""API: customers, their ledger, and payments on account."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from posapp.api import schemas as s
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
from posapp.api.idempotent import IDEMPOTENCY_HEADER, KEY_DESCRIPTION, once
from posapp.api.serializers import (
    customer_detail_json,
    customer_json,
    ledger_line_json,
    payment_result_json,
)
from posapp.apidoc import documented
from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.i18n import _
from posapp.services import customers, ledger, ledger_views
from posapp.services.hooks import Within


@bp.get("/customers")
@documented({200: s.CustomerPage}, query=s.CustomerQuery)
@requires()
def list_customers() -> dict[str, Any]:
    """List customers: q is a name (prefix, then fuzzy) or phone digits in any format."""
    page, per_page = pagination()
    items, total = customers.search_customers(
        db.session,
        search_text(),
        include_archived=flag("include_archived"),
        page=page,
        per_page=per_page,
    )
    balances = ledger.balances(db.session, (c.id for c in items))
    return page_envelope([customer_json(c, balances[c.id]) for c in items], total, page, per_page)


@bp.post("/customers")
@documented({201: s.CustomerDetail}, body=s.CustomerCreate, errors=(409,))
@requires()
def create_customer() -> tuple[dict[str, Any], int]:
    """Create a customer; 201 with the customer."""
    customer = customers.create_customer(db.session, json_body(), caller())
    return customer_detail_json(customers.summary(db.session, customer.id)), 201


@bp.get("/customers/<int:customer_id>")
@documented({200: s.CustomerDetail})
@requires()
def get_customer(customer_id: int) -> dict[str, Any]:
    """Return one customer with balance, credit left and aging."""
    return customer_detail_json(customers.summary(db.session, customer_id))


@bp.put("/customers/<int:customer_id>")
@documented({200: s.CustomerDetail}, body=s.CustomerUpdate, errors=(409,))
@requires()
def update_customer(customer_id: int) -> dict[str, Any]:
    """Update only the fields sent (credit limits: admins only)."""
    customers.update_customer(db.session, customer_id, json_body(), caller())
    return customer_detail_json(customers.summary(db.session, customer_id))


@bp.get("/customers/<int:customer_id>/ledger")
@documented({200: s.LedgerPage}, query=s.LedgerQuery)
@requires()
def customer_ledger(customer_id: int) -> dict[str, Any]:
    """Return ledger entries with the running balance (order=asc, the default, or desc)."""
    customers.get_customer(db.session, customer_id)
    order = request.args.get("order", "asc")
    if order not in ("asc", "desc"):
        raise ValidationError(_("order is asc or desc."), field="order")
    page, per_page = pagination()
    lines, total = ledger_views.ledger_page(
        db.session, customer_id, page=page, per_page=per_page, newest_first=order == "desc"
    )
    return page_envelope([ledger_line_json(line) for line in lines], total, page, per_page)


@bp.post("/customers/<int:customer_id>/payments")
@documented(
    {201: s.PaymentResult},
    body=s.PaymentRequest,
    errors=(409,),
    description=KEY_DESCRIPTION,
    headers=(IDEMPOTENCY_HEADER,),
)
@requires()
def record_payment(customer_id: int) -> Response:
    """Record a payment on account; 201 with how it was allocated."""
    data, user = json_body(), caller()

    def pay(within: Within[ledger.PaymentResult] | None) -> ledger.PaymentResult:
        return ledger.record_payment(db.session, customer_id, data, user, within=within)

    return once(pay, lambda result: (payment_result_json(result), 201))


@bp.post("/customers/<int:customer_id>/adjustments")
@documented({201: s.CustomerDetail}, body=s.AdjustmentRequest, errors=(409,))
@requires("admin")
def adjust_balance(customer_id: int) -> tuple[dict[str, Any], int]:
    """Add an admin's ledger adjustment {amount (signed), reason}; 201 with the customer."""
    ledger.add_adjustment(db.session, customer_id, json_body(), caller())
    return customer_detail_json(customers.summary(db.session, customer_id)), 201
