"""API: products, scan lookup, product edits and stock movements."""

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
from posapp.api.serializers import product_json
from posapp.apidoc import documented
from posapp.dates import date_format
from posapp.extensions import db
from posapp.models import Product, StockMovement
from posapp.money import money_str, percent_str, qty_str
from posapp.services import catalog, inventory, rerate
from posapp.services.hooks import Within
from posapp.services.settings import load_settings
from posapp.vocabulary import parse_flag


@bp.get("/products")
@documented({200: s.ProductPage}, query=s.ProductQuery)
@requires()
def list_products() -> dict[str, Any]:
    """List products: q (name/code), category, low_stock=1, include_archived=1."""
    page, per_page = pagination()
    items, total = catalog.search_products(
        db.session,
        search_text(),
        include_archived=flag("include_archived"),
        low_stock=flag("low_stock"),
        category=request.args.get("category") or None,
        page=page,
        per_page=per_page,
    )
    return page_envelope([product_json(p) for p in items], total, page, per_page)


@bp.post("/products")
@documented({201: s.Product}, body=s.ProductCreate, errors=(409,))
@requires("admin")
def create_product() -> tuple[dict[str, Any], int]:
    """Create a product; the code is generated (EAN-13) when omitted."""
    data = json_body()
    if "stock" in data and "opening_stock" not in data:
        data["opening_stock"] = data.pop("stock")
    product = catalog.create_product(db.session, data, caller().id)
    return product_json(product), 201


@bp.get("/products/lookup")
@documented({200: s.Lookup}, query=s.LookupQuery, errors=(404,))
@requires()
def lookup() -> dict[str, Any]:
    """Resolve a scanned code to {product, quantity}."""
    found = catalog.lookup_code(db.session, request.args.get("code", ""))
    return {
        "product": product_json(found.product),
        "quantity": qty_str(found.qty_milli, found.product.unit),
        "scale_label": found.label,
        "amount": money_str(found.fixed_gross) if found.fixed_gross is not None else None,
        "batch": found.batch,
        "expiry": found.expiry.isoformat() if found.expiry is not None else None,
        "expiry_label": (
            found.expiry.strftime(date_format(load_settings(db.session).locale))
            if found.expiry is not None
            else None
        ),
        "expired": found.expired,
    }


@bp.get("/products/<int:product_id>")
@documented({200: s.Product})
@requires()
def get_product(product_id: int) -> dict[str, Any]:
    """Return one product."""
    return product_json(catalog.get_product(db.session, product_id))


@bp.put("/products/<int:product_id>")
@documented({200: s.Product}, body=s.ProductUpdate, errors=(409,))
@requires("admin")
def update_product(product_id: int) -> dict[str, Any]:
    """Update only the fields sent."""
    product = catalog.update_product(db.session, product_id, json_body(), caller().id)
    return product_json(product)


@bp.delete("/products/<int:product_id>")
@documented({200: s.Product})
@requires("admin")
def archive_product(product_id: int) -> dict[str, Any]:
    """Archive a product (its history stays)."""
    return product_json(catalog.archive_product(db.session, product_id, caller().id))


@bp.post("/products/<int:product_id>/stock")
@documented(
    {200: s.Product},
    body=s.StockMovementRequest,
    errors=(409,),
    description=KEY_DESCRIPTION,
    headers=(IDEMPOTENCY_HEADER,),
)
@requires("admin")
def stock_movement(product_id: int) -> Response:
    """Book a stock movement {delta, reason, note, unit_cost?}; answer the product."""
    data, user_id = json_body(), caller().id

    def move(within: Within[StockMovement] | None) -> Product:
        return inventory.adjust_stock(db.session, product_id, data, user_id, within)

    return once(move, lambda found: (product_json(_moved(found)), 200))


def _moved(found: Product | StockMovement) -> Product:
    """The product a stock movement moved (the step gets the movement, the call the product)."""
    if isinstance(found, Product):
        return found
    product = db.session.get(Product, found.product_id)
    assert product is not None
    return product


@bp.post("/products/rerate")
@documented({200: s.RerateResult}, body=s.RerateRequest, errors=(409,))
@requires("admin")
def rerate_products() -> dict[str, Any]:
    """Give many products a new tax rate: preview (writes nothing), then apply with its token."""
    data = json_body()
    wanted = rerate.parse_rerate(data)
    only_preview = parse_flag(data.get("preview"), "preview")
    if only_preview:
        result = rerate.preview(db.session, wanted.selection, wanted.new_rate_bp)
    else:
        result = rerate.apply(
            db.session, wanted.selection, wanted.new_rate_bp, data.get("token"), caller().id
        )
    return {
        "applied": not only_preview,
        "count": result.count,
        "already": result.already,
        "new_rate": percent_str(result.new_rate_bp),
        "token": result.token,
        "products": [
            {
                "id": c.product_id,
                "code": c.code,
                "name": c.name,
                "category": c.category,
                "old_rate": percent_str(c.old_rate_bp),
                "new_rate": percent_str(c.new_rate_bp),
            }
            for c in result.changes
        ],
    }
