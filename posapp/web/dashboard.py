"""The admin dashboard page; its charts load `GET /api/dashboard/stats`.

Above the figures, a new shop's "Getting started" checklist (services/getting_started.py),
which an admin can hide for good and show again from the settings page.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from posapp.extensions import db
from posapp.i18n import _
from posapp.money import money_str
from posapp.services import dashboard, getting_started, ledger
from posapp.web import admin_required, shop_settings

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.get("/")
@admin_required
def index() -> str:
    """Today's figures, the revenue graph, rankings and what needs attention."""
    settings = shop_settings()
    days = settings.dead_stock_days
    extras = dashboard.page_extras(db.session, days)
    charts = {
        "top_by_sales": [
            {"name": p["name"], "sales": money_str(p["sales"])} for p in extras["top_by_sales"]
        ],
        "categories": [
            {"name": c["category"] or _("Uncategorised"), "sales": money_str(c["sales"])}
            for c in extras["categories"]
        ],
    }
    return render_template(
        "dashboard/index.html",
        extras=extras,
        charts=charts,
        dead_stock_days=days,
        today=ledger.local_today(),
        checklist=getting_started.visible_steps(db.session, settings),
    )


@bp.post("/getting-started/hide")
@admin_required
def hide_getting_started() -> Response:
    """Hide the "Getting started" list for good (the settings page shows it again)."""
    getting_started.set_hidden(db.session, True, current_user.id)
    flash(_("The “Getting started” list is hidden. Shop settings can show it again."), "success")
    return redirect(url_for("dashboard.index"))


@bp.post("/getting-started/show")
@admin_required
def show_getting_started() -> Response:
    """Show the "Getting started" list on the dashboard again (while a step is left to do)."""
    getting_started.set_hidden(db.session, False, current_user.id)
    if all(step.done for step in getting_started.steps(db.session)):
        flash(_("Every step of “Getting started” is done: there is no list to show."), "info")
    else:
        flash(_("The “Getting started” list is back on the dashboard."), "success")
    return redirect(url_for("dashboard.index"))
