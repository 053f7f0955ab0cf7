"""API v1: stock status (on hand, reserved, available), movement history, adjustments."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from posapp.api import schemas as s
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
from posapp.api.serializers import iso, product_json
from posapp.apidoc import documented
from posapp.dates import optional_day
from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.i18n import _
from posapp.models import Product, StockMovement
from posapp.money import money_str, qty_str
from posapp.services import inventory, stock_views
from posapp.services.hooks import Within


def stock_state_json(row: stock_views.StockStatus) -> dict[str, Any]:
    """Serialise one product's stock state."""
    product, unit = row.product, row.product.unit
    return {
        "product_id": product.id,
        "code": product.code,
        "name": product.name,
        "category": row.category,
        "unit": unit,
        "on_hand": qty_str(product.stock_milli, unit),
        "reserved": qty_str(product.reserved_milli, unit),
        "available": qty_str(row.available_milli, unit),
        "low_stock_threshold": qty_str(product.low_stock_milli, unit),
        "low": row.state == "low",
        "out": row.state == "out",
        "state": row.state,
    }


def movement_json(row: stock_views.MovementRow) -> dict[str, Any]:
    """Serialise one stock movement."""
    movement, unit = row.movement, row.product.unit
    return {
        "id": movement.id,
        "product_id": movement.product_id,
        "product": row.product.name,
        "unit": unit,
        "delta": qty_str(movement.delta_milli, unit),
        "reason": movement.reason,
        "ref": movement.ref or None,
        "note": movement.note or None,
        "unit_cost": money_str(movement.unit_cost) if movement.unit_cost is not None else None,
        "user": row.username,
        "created_at": iso(movement.created_at),
    }


@bp.get("/inventory/status", legacy=False)
@documented({200: v1.StockStatePage}, query=v1.StockStatusQuery)
@requires()
def inventory_status() -> dict[str, Any]:
    """List stock by product: on hand, reserved for orders, available, low/out (by name)."""
    page, per_page = pagination()
    state = request.args.get("state") or None
    if state is not None and state not in stock_views.STOCK_STATES:
        raise ValidationError(_("state is low, out or ok."), field="state")
    rows, total = stock_views.stock_status(
        db.session,
        q=search_text(),
        category=request.args.get("category") or None,
        state=state,
        page=page,
        per_page=per_page,
    )
    return page_envelope([stock_state_json(r) for r in rows], total, page, per_page)


@bp.get("/inventory/history", legacy=False)
@documented({200: v1.MovementPage}, query=v1.StockHistoryQuery)
@requires()
def inventory_history() -> dict[str, Any]:
    """List stock movements, newest first: product_id, from, to (local days, inclusive)."""
    page, per_page = pagination()
    product_id = int_arg("product_id", 0) if request.args.get("product_id") else None
    rows, total = stock_views.stock_history(
        db.session,
        product_id=product_id,
        date_from=optional_day(request.args.get("from"), "from"),
        date_to=optional_day(request.args.get("to"), "to"),
        page=page,
        per_page=per_page,
    )
    return page_envelope([movement_json(r) for r in rows], total, page, per_page)


@bp.post("/inventory/adjust", legacy=False)
@documented(
    {200: s.Product},
    body=v1.InventoryAdjustRequest,
    errors=(404, 409),
    description=KEY_DESCRIPTION,
    headers=(IDEMPOTENCY_HEADER,),
)
@requires("admin")
def inventory_adjust() -> Response:
    """Book a stock movement {product_id, delta, reason, note, unit_cost?}; answer the product."""
    data, user_id = json_body(), caller().id
    raw_id = data.get("product_id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, int) or raw_id < 1:
        raise ValidationError(_("product_id must be a product's id."), field="product_id")

    def move(within: Within[StockMovement] | None) -> Product:
        return inventory.adjust_stock(db.session, raw_id, data, user_id, within)

    def answer(found: Product | StockMovement) -> tuple[dict[str, Any], int]:
        if isinstance(found, StockMovement):
            product = db.session.get(Product, found.product_id)
            assert product is not None
            return product_json(product), 200
        return product_json(found), 200

    return once(move, answer)
