"""Held bills: park the till's cart, list the parked ones, recall one (which removes it).

A held cart reserves no stock and is checked only for its shape when parked (the same rules
as a checkout's cart); prices and stock are read afresh when it is recalled and priced.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from posapp.errors import Forbidden, NotFound, ValidationError
from posapp.i18n import _
from posapp.models import Customer, HeldBill, Product, User
from posapp.models.base import to_local, utcnow, write_transaction
from posapp.money import money_str, parse_quantity, qty_str
from posapp.services import audit
from posapp.services.checkout import parse_checkout
from posapp.services.limits import HELD_LABEL_LENGTH


@dataclass(frozen=True)
class HeldView:
    """A held bill as the till lists it."""

    bill: HeldBill
    cart: dict[str, Any]
    stale: bool  # parked before today (local time)


@dataclass(frozen=True)
class HoldRequest:
    """A parsed cart to park: its label and the cart as it is stored (JSON-ready)."""

    label: str
    cart: dict[str, Any]


def parse_held(payload: Mapping[str, Any]) -> HoldRequest:
    """Validate a cart to park ({items, discount?, customer_id?, label?}); called at the edge."""
    if not isinstance(payload, Mapping):
        raise ValidationError(_("The request body must be a JSON object."))
    label = payload.get("label") or ""
    if not isinstance(label, str) or len(label.strip()) > HELD_LABEL_LENGTH:
        raise ValidationError(
            _("The label must be text of at most %(limit)s characters.", limit=HELD_LABEL_LENGTH),
            field="label",
        )
    cart_fields = {k: payload[k] for k in ("items", "discount", "customer_id") if k in payload}
    request = parse_checkout(cart_fields)
    errors: dict[str, str] = {}
    for i, item in enumerate(request.items):
        if item.product_id is None:
            errors[f"items.{i}.product_id"] = _("Each held item needs a product_id.")
            continue
        try:
            # Whole pieces or 3 decimals; the product's own unit is checked again when priced.
            parse_quantity(item.raw_quantity, unit="kg", field=f"items.{i}.quantity")
        except ValidationError as exc:
            errors[f"items.{i}.quantity"] = exc.message
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    items = []
    for raw in payload["items"]:
        entry = {"product_id": raw["product_id"], "quantity": str(raw.get("quantity", 1))}
        if raw.get("scale_label") is not None:
            entry["scale_label"] = raw["scale_label"]  # checked by parse_checkout above
        if raw.get("discount") not in (None, ""):
            entry["discount"] = str(raw["discount"])
        if raw.get("price") not in (None, ""):  # checked by parse_checkout above
            entry["price"] = str(raw["price"])
        items.append(entry)
    cart: dict[str, Any] = {"items": items, "customer_id": request.customer_id}
    if payload.get("discount") not in (None, ""):
        cart["discount"] = str(payload["discount"])
    return HoldRequest(label.strip(), cart)


def park(session: Session, request: HoldRequest, user: User) -> HeldView:
    """Hold the parsed cart for later."""
    label, cart = request.label, request.cart
    with write_transaction(session):
        bill = HeldBill(user_id=user.id, label=label, cart=json.dumps(cart), created_at=utcnow())
        session.add(bill)
        session.flush()
        audit.record(
            session,
            "held_bill.park",
            user_id=user.id,
            entity="held_bill",
            entity_id=bill.id,
            after=_summary(label, cart),
        )
    return HeldView(bill, cart, False)


def _summary(label: str, cart: Mapping[str, Any]) -> dict[str, Any]:
    """What the audit log keeps of a held cart: enough to see what was parked or recalled."""
    return {
        "label": label,
        "customer_id": cart.get("customer_id"),
        "items": [[item["product_id"], item["quantity"]] for item in cart.get("items", [])],
    }


def list_held(session: Session, user: User, today: date) -> list[HeldView]:
    """Return the held bills the user may recall (admins all, cashiers their own), oldest first."""
    stmt = select(HeldBill).order_by(HeldBill.created_at, HeldBill.id)
    if not user.is_admin:
        stmt = stmt.where(HeldBill.user_id == user.id)
    return [
        HeldView(bill, json.loads(bill.cart), to_local(bill.created_at).date() < today)
        for bill in session.scalars(stmt)
    ]


def recall(session: Session, held_id: int, user: User) -> dict[str, Any]:
    """Take a held cart back to the till (the held row is removed) with its products filled in."""
    with write_transaction(session):
        bill = session.get(HeldBill, held_id)
        if bill is None:
            raise NotFound(_("That held bill is gone; it may have been recalled already."))
        if not user.is_admin and bill.user_id != user.id:
            raise Forbidden(_("Cashiers can recall only the bills they held."))
        cart, label = json.loads(bill.cart), bill.label
        audit.record(
            session,
            "held_bill.recall",
            user_id=user.id,
            entity="held_bill",
            entity_id=bill.id,
            before={"held_by": bill.user_id},
            after=_summary(label, cart),
        )
        session.delete(bill)
    return _filled(session, cart, label)


def _filled(session: Session, cart: dict[str, Any], label: str) -> dict[str, Any]:
    """Add each item's product (name, unit, price, stock) and the customer's name to a cart."""
    ids = [item["product_id"] for item in cart["items"]]
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(ids)))}
    lines = []
    for item in cart["items"]:
        product = products.get(item["product_id"])
        if product is None:
            continue  # products are archived, never deleted; an unknown id cannot be sold
        lines.append(
            {
                "product_id": product.id,
                "code": product.code,
                "name": product.name,
                "unit": product.unit,
                "price": money_str(product.price),
                "stock": qty_str(product.stock_milli, product.unit),
                "quantity": item["quantity"],
                "discount": item.get("discount"),
                "scale_label": item.get("scale_label"),
                "override_price": item.get("price"),
            }
        )
    customer_id = cart.get("customer_id")
    customer = session.get(Customer, customer_id) if customer_id is not None else None
    return {
        "label": label,
        "lines": lines,
        "discount": cart.get("discount", ""),
        "customer_id": customer.id if customer else None,
    }
