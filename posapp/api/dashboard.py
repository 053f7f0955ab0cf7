"""API: the admin dashboard's figures (API.md "Dashboard stats")."""

from __future__ import annotations

from typing import Any

from posapp.api import schemas as s
from posapp.api.base import bp, requires
from posapp.apidoc import documented
from posapp.dates import day_month_format, month_label
from posapp.extensions import db
from posapp.models import Product
from posapp.money import money_str, qty_str
from posapp.services import dashboard
from posapp.services.settings import load_settings


def _stock_item(product: Product) -> dict[str, Any]:
    return {
        "product_id": product.id,
        "code": product.code,
        "name": product.name,
        "unit": product.unit,
        "stock": qty_str(product.stock_milli, product.unit),
        "low_stock_threshold": qty_str(product.low_stock_milli, product.unit),
    }


def stats_json(stats: dashboard.Stats, locale: str) -> dict[str, Any]:
    """Serialise the dashboard figures in the contract's shape and order (plus additive fields).

    `label`s are the days and months as the shop's locale writes them, for the charts.
    """
    return {
        "today": {
            "sales": money_str(stats.today["sales"]),
            "invoices": stats.today["invoices"],
            "gross_profit": money_str(stats.today["gross_profit"]),
            "average_bill": money_str(stats.today["average_bill"]),
            # Additive to the contract (API.md): the expected cash in the open drawers.
            "cash_in_drawer": money_str(stats.today["cash_in_drawer"]),
        },
        "daily": [
            {
                "date": d["date"].isoformat(),
                "label": d["date"].strftime(day_month_format(locale)),
                "sales": money_str(d["sales"]),
                "invoices": d["invoices"],
            }
            for d in stats.daily
        ],
        "monthly": [
            {
                "month": m["month"].strftime("%Y-%m"),
                "label": month_label(m["month"].strftime("%Y-%m"), locale),
                "sales": money_str(m["sales"]),
                "gross_profit": money_str(m["gross_profit"]),
            }
            for m in stats.monthly
        ],
        "top_products": [
            {
                "product_id": p["product_id"],
                "name": p["name"],
                "quantity": qty_str(p["quantity"], p["unit"]),
                "sales": money_str(p["sales"]),
            }
            for p in stats.top_products
        ],
        "low_stock": [_stock_item(p) for p in stats.low_stock],
        "out_of_stock": [_stock_item(p) for p in stats.out_of_stock],
        "outstanding_credit": money_str(stats.outstanding_credit),
        "payment_methods": [
            {"method": p["method"], "amount": money_str(p["amount"])} for p in stats.payment_methods
        ],
    }


@bp.get("/dashboard/stats")
@documented({200: s.DashboardStats})
@requires("admin")
def dashboard_stats() -> dict[str, Any]:
    """Return the admin dashboard's figures."""
    return stats_json(dashboard.stats(db.session), load_settings(db.session).locale)
