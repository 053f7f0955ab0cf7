"""The admin dashboard page; its charts load `GET /api/dashboard/stats`."""

from __future__ import annotations

from flask import Blueprint, render_template

from posapp.extensions import db
from posapp.money import money_str
from posapp.services import dashboard, ledger
from posapp.web import admin_required, shop_settings

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.get("/")
@admin_required
def index() -> str:
    """Today's figures, the revenue graph, rankings and what needs attention."""
    days = shop_settings().dead_stock_days
    extras = dashboard.page_extras(db.session, days)
    charts = {
        "top_by_sales": [
            {"name": p["name"], "sales": money_str(p["sales"])} for p in extras["top_by_sales"]
        ],
        "categories": [
            {"name": c["category"] or "Uncategorised", "sales": money_str(c["sales"])}
            for c in extras["categories"]
        ],
    }
    return render_template(
        "dashboard/index.html",
        extras=extras,
        charts=charts,
        dead_stock_days=days,
        today=ledger.local_today(),
    )
