"""Turn models into the JSON shapes of shared/API.md (money and quantities as strings)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for

from posapp.models import Invoice, Product, User
from posapp.models.base import to_local
from posapp.money import money_str, percent_str, qty_str
from posapp.services.pricing import PricedCart, summarise_tax


def iso(moment: datetime | None) -> str | None:
    """Render a stored time as ISO 8601 with the local offset."""
    return to_local(moment).isoformat(timespec="seconds") if moment else None


def user_json(user: User) -> dict[str, Any]:
    """Serialise a user."""
    return {"id": user.id, "username": user.username, "role": user.role}


def product_json(product: Product) -> dict[str, Any]:
    """Serialise a product."""
    return {
        "id": product.id,
        "code": product.code,
        "name": product.name,
        "category": product.category_name or None,
        "unit": product.unit,
        "price": money_str(product.price),
        "cost": money_str(product.cost),
        "mrp": money_str(product.mrp) if product.mrp is not None else None,
        "tax_rate": percent_str(product.tax_rate_bp),
        "hsn": product.hsn or None,
        "stock": qty_str(product.stock_milli, product.unit),
        "low_stock_threshold": qty_str(product.low_stock_milli, product.unit),
        "supplier": product.supplier or None,
        "location": product.location or None,
        "color": product.color or None,
        "archived": product.archived,
        "qr_url": url_for("products.qr", product_id=product.id),
    }


def invoice_json(invoice: Invoice) -> dict[str, Any]:
    """Serialise an invoice with its lines, tax summary and payments."""
    return {
        "id": invoice.id,
        "number": invoice.number,
        "created_at": iso(invoice.created_at),
        "cashier": invoice.cashier.username,
        "customer": None,
        "lines": [
            {
                "id": line.id,
                "product_id": line.product_id,
                "code": line.code,
                "name": line.name,
                "quantity": qty_str(line.qty_milli, line.unit),
                "unit": line.unit,
                "unit_price": money_str(line.unit_price),
                "discount": money_str(line.discount),
                "tax_rate": percent_str(line.tax_rate_bp),
                "taxable": money_str(line.taxable),
                "tax": money_str(line.tax),
                "total": money_str(line.total),
            }
            for line in invoice.lines
        ],
        "subtotal": money_str(invoice.subtotal),
        "discount_total": money_str(invoice.discount_total),
        "tax_total": money_str(invoice.tax_total),
        "tax_summary": [
            {
                "rate": percent_str(row.rate_bp),
                "taxable": money_str(row.taxable),
                "tax": money_str(row.tax),
            }
            for row in summarise_tax(invoice.lines)
        ],
        "round_off": money_str(invoice.round_off),
        "total": money_str(invoice.total),
        "paid": money_str(invoice.paid),
        "change": money_str(invoice.change),
        "balance_due": money_str(invoice.balance_due),
        "status": invoice.status,
        "note": invoice.note or None,
        "payments": [
            {"method": p.method, "amount": money_str(p.amount), "created_at": iso(p.created_at)}
            for p in invoice.payments
        ],
    }


def cart_json(priced: PricedCart) -> dict[str, Any]:
    """Serialise a priced cart (the till's live preview)."""
    return {
        "lines": [
            {
                "gross": money_str(line.gross),
                "discount": money_str(line.discount),
                "taxable": money_str(line.taxable),
                "tax": money_str(line.tax),
                "total": money_str(line.total),
            }
            for line in priced.lines
        ],
        "subtotal": money_str(priced.subtotal),
        "discount_total": money_str(priced.discount_total),
        "tax_total": money_str(priced.tax_total),
        "round_off": money_str(priced.round_off),
        "total": money_str(priced.total),
    }
