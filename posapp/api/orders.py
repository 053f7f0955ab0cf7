"""API v1: orders for pickup and delivery: take, list, read, move along, cancel.

The orders service (services/orders.py) holds every rule; a move to `delivered` goes through
`orders.deliver_order`, which writes the invoice through checkout.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Response, request
from sqlalchemy import select

from posapp.api import v1_schemas as v1
from posapp.api.base import (
    bp,
    caller,
    int_arg,
    json_body,
    page_envelope,
    pagination,
    requires,
    search_text,
)
from posapp.api.idempotent import IDEMPOTENCY_HEADER, KEY_DESCRIPTION, once
from posapp.api.serializers import iso
from posapp.apidoc import documented
from posapp.dates import optional_day
from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.i18n import _
from posapp.models import Order, OrderLine, User
from posapp.money import money_str, qty_str
from posapp.services import orders
from posapp.services.hooks import Within

STATUS_LIMIT = 7  # a list filter names each status at most once


def _line_json(line: OrderLine) -> dict[str, Any]:
    unit = line.product.unit
    return {
        "id": line.id,
        "product_id": line.product_id,
        "name": line.name,
        "unit": unit,
        "quantity": qty_str(line.qty_milli, unit),
        "discount": money_str(line.discount),
        "reserved": qty_str(line.reserved_milli, unit),
    }


def order_summary_json(order: Order) -> dict[str, Any]:
    """Serialise an order with its lines (the list's shape)."""
    return {
        "id": order.id,
        "number": order.number,
        "status": order.status,
        "customer": {
            "id": order.customer.id,
            "name": order.customer.name,
            "phone": order.customer.phone,
        },
        "fulfilment": order.fulfilment,
        "address": order.address or None,
        "slot_date": order.slot_date.isoformat() if order.slot_date else None,
        "slot": order.slot or None,
        "delivery_charge": money_str(order.delivery_charge),
        "note": order.note or None,
        "payment_plan": order.payment_plan,
        "source": order.source,
        "estimate": money_str(order.estimate),
        "to_pay": money_str(orders.to_pay(order)),
        "allowed_next": list(orders.allowed_next(order)),
        "invoice_id": order.invoice_id,
        "invoice_number": order.invoice.number if order.invoice is not None else None,
        "cancel_reason": order.cancel_reason or None,
        "created_at": iso(order.created_at),
        "delivered_at": iso(order.delivered_at),
        "cancelled_at": iso(order.cancelled_at),
        "lines": [_line_json(line) for line in order.lines],
    }


def _usernames(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.username).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


def order_json(order: Order) -> dict[str, Any]:
    """Serialise an order with its lines and its history."""
    names = _usernames(e.user_id for e in order.events)
    return {
        **order_summary_json(order),
        "events": [
            {
                "from_status": event.from_status or None,
                "to_status": event.to_status,
                "user_id": event.user_id,
                "user": names.get(event.user_id) if event.user_id is not None else None,
                "note": event.note or None,
                "created_at": iso(event.created_at),
            }
            for event in order.events
        ],
    }


def _statuses(raw: str | None) -> list[str] | None:
    """Read `status` (one, or several comma separated); an unknown one is a 422."""
    if not raw:
        return None
    wanted = [part.strip() for part in raw.split(",") if part.strip()]
    unknown = [w for w in wanted if w not in orders.TRANSITIONS]
    if unknown or not wanted or len(wanted) > STATUS_LIMIT:
        raise ValidationError(
            _(
                "status is one or more of %(choices)s, comma separated.",
                choices=", ".join(orders.TRANSITIONS),
            ),
            field="status",
        )
    return wanted


@bp.get("/orders", legacy=False)
@documented({200: v1.OrderPage}, query=v1.OrderQuery)
@requires()
def list_orders() -> dict[str, Any]:
    """List orders: status (comma separated), q, customer_id, from, to.

    Only open orders asked for: oldest first (the next to pack on top); otherwise newest first.
    """
    page, per_page = pagination()
    customer_id = int_arg("customer_id", 0) if request.args.get("customer_id") else None
    items, total = orders.list_orders(
        db.session,
        statuses=_statuses(request.args.get("status")),
        q=search_text(),
        customer_id=customer_id,
        date_from=optional_day(request.args.get("from"), "from"),
        date_to=optional_day(request.args.get("to"), "to"),
        page=page,
        per_page=per_page,
    )
    return page_envelope([order_summary_json(o) for o in items], total, page, per_page)


@bp.post("/orders", legacy=False)
@documented(
    {201: v1.Order},
    body=v1.OrderCreate,
    errors=(404, 409),
    description="The order is `pending`: nothing is reserved or sold until it is confirmed and"
    " delivered. " + KEY_DESCRIPTION,
    headers=(IDEMPOTENCY_HEADER,),
)
@requires()
def create_order() -> Response:
    """Take an order; 201 with the order (numbered ORD-<n>)."""
    draft, user = orders.parse_order(json_body()), caller()

    def take(within: Within[Order] | None) -> Order:
        return orders.create_order(db.session, draft, user, "api", within=within)

    return once(take, lambda order: (order_json(order), 201))


@bp.get("/orders/<int:order_id>", legacy=False)
@documented({200: v1.Order})
@requires()
def get_order(order_id: int) -> dict[str, Any]:
    """Return one order with its lines, history, estimate and invoice."""
    return order_json(orders.get_order(db.session, order_id))


@bp.post("/orders/<int:order_id>/status", legacy=False)
@documented(
    {200: v1.Order},
    body=v1.OrderStatusRequest,
    errors=(409,),
    description="Moves along pending → confirmed → packed → ready_for_pickup (pickup) or"
    " out_for_delivery (delivery) → delivered; any other move answers 409"
    " `transition_not_allowed`. Confirming reserves the stock (409 `insufficient_stock`) and"
    " a prepaid order needs `payment` (its advance). `delivered` writes the invoice through"
    " checkout with `payments` taken at the door (`invoice_id` in the answer); `cancelled`"
    " takes the reason as `note` (or use the cancel endpoint).",
)
@requires()
def change_order_status(order_id: int) -> dict[str, Any]:
    """Move an order to its next state {status, note?, payment?, payments?, approval?}."""
    data, user = json_body(), caller()
    status, note = data.get("status"), data.get("note") or ""
    if not isinstance(status, str) or status not in orders.TRANSITIONS:
        raise ValidationError(
            _("status is one of %(choices)s.", choices=", ".join(orders.TRANSITIONS)),
            field="status",
        )
    if not isinstance(note, str):
        raise ValidationError(_("The note must be text."), field="note")
    if status == "delivered":
        handover: dict[str, Any] = {k: data[k] for k in ("payments", "approval") if k in data}
        orders.deliver_order(db.session, order_id, handover, user, request.remote_addr or "?")
    else:
        payment = data.get("payment")
        if payment is not None and not isinstance(payment, dict):
            raise ValidationError(_("payment is an object {amount, method}."), field="payment")
        orders.change_status(db.session, order_id, status, user, note, payment)
    return order_json(orders.get_order(db.session, order_id))


@bp.post("/orders/<int:order_id>/cancel", legacy=False)
@documented({200: v1.Order}, body=v1.OrderCancelRequest, errors=(409,))
@requires()
def cancel_order(order_id: int) -> dict[str, Any]:
    """Cancel an order before delivery {reason}; its reserved stock is released."""
    reason = json_body().get("reason")
    if not isinstance(reason, str):
        raise ValidationError(_("Say why the order is cancelled."), field="reason")
    orders.cancel_order(db.session, order_id, reason, caller())
    return order_json(orders.get_order(db.session, order_id))
