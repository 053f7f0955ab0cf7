"""Stock report pages for admins, each with a CSV download."""

from __future__ import annotations

import time

from flask import Blueprint, Response, render_template, request, stream_with_context

from posapp.errors import DomainError, NotFound
from posapp.extensions import db
from posapp.models import MOVEMENT_REASONS
from posapp.services import reports
from posapp.services.catalog_csv import csv_text, neutralise
from posapp.services.inventory import REASON_LABELS
from posapp.web import admin_required, shop_settings

bp = Blueprint("reports", __name__)
SHOWN_ROWS = 500
TITLES = {
    "stock": "Stock on hand",
    "movements": "Stock movements",
    "dead-stock": "Dead stock",
    "reorder": "Reorder suggestions",
}


@bp.get("/")
@admin_required
def index() -> str:
    """The list of reports."""
    return render_template("reports/index.html", titles=TITLES)


@bp.get("/<name>")
@admin_required
def show(name: str) -> Response | str | tuple[str, int]:
    """One report as a page, or as CSV with ?format=csv."""
    if name not in TITLES:
        raise NotFound("No such report.")
    args = request.args
    error = None
    start = end = None
    reason = args.get("reason") or None
    days = shop_settings().dead_stock_days
    try:
        if name == "stock":
            report = reports.stock_on_hand(db.session)
        elif name == "movements":
            start, end = reports.parse_range(args.get("from"), args.get("to"))
            report = reports.movements(db.session, start, end, reason)
        elif name == "dead-stock":
            raw = args.get("days", "")
            if raw:
                if not raw.isdigit() or not 1 <= int(raw) <= 3650:
                    raise DomainError("Days are a whole number from 1 to 3650.", status=422)
                days = int(raw)
            report = reports.dead_stock(db.session, days)
        else:
            report = reports.reorder_suggestions(db.session)
    except DomainError as exc:
        error = exc.message
        report = reports.Report(TITLES[name], [], [])
        if args.get("format") == "csv":
            raise
    if args.get("format") == "csv":
        rows = ([neutralise(cell) for cell in row] for row in reports.report_rows(report))
        response = Response(stream_with_context(csv_text(rows)), mimetype="text/csv")
        stamp = time.strftime("%Y%m%d")
        response.headers["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
        return response
    html = render_template(
        "reports/report.html",
        name=name,
        report=report,
        shown=SHOWN_ROWS,
        error=error,
        start=start,
        end=end,
        reason=reason,
        reasons=[(r, REASON_LABELS[r]) for r in MOVEMENT_REASONS],
        days=days,
    )
    return (html, 422) if error else html
