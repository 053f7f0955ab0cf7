"""HQ mode's report pages for the owner: every shop's figures, per shop or all shops together.

Registered only in HQ mode. Each page takes `?shop=<id>` (none: all shops); the services in
services/hq_reports.py do the work, these routes read the query and render.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from posapp.errors import DomainError, ValidationError
from posapp.extensions import db
from posapp.i18n import _
from posapp.services import exports, hq_reports, report_framework
from posapp.services.csv_io import csv_text, safe_rows
from posapp.services.ledger import local_today
from posapp.web import admin_required, page_arg
from posapp.web.forms import flash_and_redirect, or_reshow

bp = Blueprint("hq_reports", __name__, url_prefix="/hq/reports")

MAX_FILTER = 64


def _shop() -> str | None:
    return hq_reports.pick_shop(db.session, request.args.get("shop"))


def _common(shop_id: str | None, **extra: Any) -> dict[str, Any]:
    """What every page's template needs: the shops for the selector and the one chosen."""
    return {"shops": hq_reports.shops(db.session), "shop_id": shop_id, **extra}


def _csv(name: str, report: report_framework.Report) -> Response:
    # HQ's figures leaving HQ are an export like a shop's: audit-logged first.
    exports.record_export(db.session, current_user.id, f"HQ report {name}", "download")
    rows = safe_rows(report_framework.report_rows(report))
    response = Response(stream_with_context(csv_text(rows)), mimetype="text/csv")
    stamp = time.strftime("%Y%m%d")
    response.headers["Content-Disposition"] = f'attachment; filename="hq-{name}-{stamp}.csv"'
    return response


@bp.get("/")
@admin_required
def dashboard() -> str:
    """Today, 30 days and 12 months: sales, bills, average bill, tax, paid, credit, returns."""
    shop_id = _shop()
    period = request.args.get("period", "today")
    if period not in dict(hq_reports.PERIODS):
        period = "today"
    today = local_today()
    boards = {
        key: hq_reports.dashboard(db.session, shop_id, key, today)
        for key, _label in hq_reports.PERIODS
    }
    return render_template(
        "hq_reports/dashboard.html",
        **_common(shop_id),
        periods=hq_reports.PERIODS,
        period=period,
        boards=boards,
        board=boards[period],
    )


def _ranged(name: str, build: Any) -> Response | str | tuple[str, int]:
    """A report over a date range, for one shop or all: a page, or CSV with ?format=csv."""
    args = request.args
    shop_id = _shop()
    as_csv = args.get("format") == "csv"
    error = None
    start: date | None = None
    end: date | None = None
    reports: list[report_framework.Report] = []
    try:
        start, end = report_framework.parse_range(args.get("from"), args.get("to"))
        reports = build(shop_id, start, end)
    except DomainError as exc:
        if as_csv:
            raise
        error = exc.message
    if as_csv:
        # ?table=N: the page's N-th table (sales: 0 by day, 1 by shop); the first by default.
        # Looked up as text: never int() of whatever the query holds (a 5 000-digit number
        # is a ValueError, not a table).
        index = {str(i): i for i in range(len(reports))}.get(args.get("table", "0"))
        if index is None:
            raise ValidationError(_("There is no such table to download."), field="table")
        return _csv(name if index == 0 else f"{name}-{index + 1}", reports[index])
    html = render_template(
        "hq_reports/report.html",
        **_common(shop_id),
        name=name,
        page_title=_("Sales") if name == "sales" else _("Tax"),
        reports=reports,
        start=start,
        end=end,
        error=error,
        csv_query={k: args[k] for k in ("shop", "from", "to") if args.get(k)},
    )
    return (html, 422) if error else html


@bp.get("/sales")
@admin_required
def sales() -> Response | str | tuple[str, int]:
    """Sales per day (the shop or all shops together), then per shop; CSV of the days."""

    def build(shop_id: str | None, start: date, end: date) -> list[report_framework.Report]:
        found = [hq_reports.sales_by_day(db.session, shop_id, start, end)]
        if shop_id is None:
            found.append(hq_reports.sales_by_shop(db.session, None, start, end))
        return found

    return _ranged("sales", build)


@bp.get("/tax")
@admin_required
def tax() -> Response | str | tuple[str, int]:
    """GST by rate with CGST, SGST, IGST and cess, net of returns; CSV too."""
    return _ranged(
        "tax",
        lambda shop_id, start, end: [hq_reports.tax_by_rate(db.session, shop_id, start, end)],
    )


@bp.get("/khata")
@admin_required
def khata() -> str:
    """Customers who owe, per shop; shared across shops: one line per phone number."""
    shop_id = _shop()
    shared = hq_reports.customers_shared(db.session)
    dues = hq_reports.khata(db.session, shop_id, shared)
    return render_template(
        "hq_reports/khata.html",
        **_common(shop_id),
        shared=shared,
        dues=dues,
        total=sum(due.due for due in dues),
    )


@bp.post("/khata/sharing")
@admin_required
def sharing() -> BaseResponse:
    """Turn sharing customers across shops on or off (the owner's choice)."""
    shared = request.form.get("shared") == "1"
    back = url_for("hq_reports.khata")
    or_reshow(
        lambda: hq_reports.set_customers_shared(db.session, shared, current_user.id),
        flash_and_redirect(back),
    )
    if shared:
        flash(_("Customers are shared across shops: one khata per phone number."), "success")
    else:
        flash(_("Customers are no longer shared across shops."), "success")
    return redirect(back)


@bp.get("/stock")
@admin_required
def stock() -> Response | str:
    """Products × shops: stock on hand at each shop; low and out of stock marked, or only
    those."""
    shop_id = _shop()
    out_only = request.args.get("out") == "1"
    low_only = request.args.get("low") == "1"
    query = request.args.get("q", "").strip()[:MAX_FILTER]
    columns, lines = hq_reports.stock_matrix(
        db.session, shop_id, out_only=out_only, low_only=low_only, query=query
    )
    if request.args.get("format") == "csv":
        return _csv("stock", hq_reports.stock_report(columns, lines))
    return render_template(
        "hq_reports/stock.html",
        **_common(shop_id),
        columns=columns,
        lines=lines,
        out_only=out_only,
        low_only=low_only,
        query=query,
        value=sum(line.value for line in lines),
        csv_query={k: v for k in ("shop", "q", "out", "low") if (v := request.args.get(k))},
    )


@bp.get("/books")
@admin_required
def books() -> str:
    """Each shop's trial balance, and with all shops chosen every shop's books consolidated."""
    shop_id = _shop()
    today = local_today()
    chosen = [s for s in hq_reports.shops(db.session) if shop_id is None or s.id == shop_id]
    balances = [(s, hq_reports.trial_balance(db.session, s.id, today)) for s in chosen]
    consolidated = None
    if shop_id is None and len(chosen) > 1:
        consolidated = hq_reports.trial_balance(db.session, None, today)
    return render_template(
        "hq_reports/books.html",
        **_common(shop_id),
        balances=balances,
        consolidated=consolidated,
        today=today,
    )


@bp.get("/audit")
@admin_required
def audit() -> str:
    """Every shop's audit entries, newest first; filter by shop, action and user; paged."""
    shop_id = _shop()
    action = request.args.get("action", "").strip()[:MAX_FILTER]
    user = request.args.get("user", "").strip()[:MAX_FILTER]
    page = page_arg()
    lines, count = hq_reports.audit_page(db.session, shop_id, action=action, user=user, page=page)
    pages = max(1, -(-count // hq_reports.AUDIT_PAGE))
    query: dict[str, Any] = {
        k: v for k, v in (("shop", shop_id), ("action", action), ("user", user)) if v
    }
    return render_template(
        "hq_reports/audit.html",
        **_common(shop_id),
        lines=lines,
        count=count,
        page=page,
        pages=pages,
        action=action,
        user=user,
        actions=hq_reports.audit_actions(db.session),
        previous_url=url_for("hq_reports.audit", page=page - 1, **query) if page > 1 else None,
        next_url=url_for("hq_reports.audit", page=page + 1, **query) if page < pages else None,
    )


@bp.get("/users")
@admin_required
def shop_users() -> str:
    """The users of one shop, as the shop sent them (choose a shop first)."""
    shop_id = _shop()
    found = hq_reports.shop_users(db.session, shop_id) if shop_id else []
    return render_template("hq_reports/users.html", **_common(shop_id), users=found)
