"""Report pages for admins (sales, profit, tax, stock, expenses), each with a CSV download."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import IO, Any

from flask import Blueprint, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from posapp.dates import month_label
from posapp.documents.filters import day_text
from posapp.errors import DomainError, NotFound
from posapp.extensions import db
from posapp.i18n import LazyString, _, lazy
from posapp.models import EXPENSE_CATEGORIES, MOVEMENT_REASONS
from posapp.money import money_str
from posapp.services import (
    cash_sessions,
    expenses,
    exports,
    gstr,
    report_framework,
    reports,
    sales_reports,
)
from posapp.services.csv_io import csv_text, safe_rows
from posapp.services.ledger import local_today
from posapp.vocabulary import labels
from posapp.web import admin_required, money_text, shop_settings
from posapp.web.forms import or_reshow

bp = Blueprint("reports", __name__, url_prefix="/reports")
SHOWN_ROWS = 500
RangeReport = Callable[[Session, date, date], report_framework.Report]
# Reports over a date range, by URL name, in the order the index lists them.
RANGED: dict[str, tuple[LazyString, RangeReport]] = {
    "sales-by-day": (lazy("Sales by day"), sales_reports.sales_by_day),
    "sales-by-month": (lazy("Sales by month"), sales_reports.sales_by_month),
    "sales-by-product": (lazy("Sales by product"), sales_reports.sales_by_product),
    "sales-by-category": (lazy("Sales by category"), sales_reports.sales_by_category),
    "sales-by-cashier": (lazy("Sales by cashier"), sales_reports.sales_by_cashier),
    "sales-by-method": (lazy("Sales by payment method"), sales_reports.sales_by_method),
    "profit-and-loss": (lazy("Profit and loss"), sales_reports.profit_and_loss),
    "tax-by-rate": (lazy("Tax summary by rate"), sales_reports.tax_by_rate),
    "expenses": (lazy("Expenses"), expenses.expense_report),
    "cash-sessions": (lazy("Cash sessions"), cash_sessions.sessions_report),
}
# Ranged reports whose rows can run to the whole catalog or a year of bills: a page reads only
# the rows it shows (with the whole report's totals and row count), a CSV streams them.
LONG = {"sales-by-product"}
STOCK = {
    "stock": lazy("Stock on hand"),
    "movements": lazy("Stock movements"),
    "dead-stock": lazy("Dead stock"),
    "reorder": lazy("Reorder suggestions"),
}
CSV_FILTERS = ("from", "to", "reason", "days")
TITLES = {**{k: v[0] for k, v in RANGED.items()}, **STOCK}
# The GST returns have pages of their own (a month, several tables, a ZIP or JSON download).
GST_RETURNS = {"gstr1": lazy("GSTR-1 (CSV files + JSON)"), "gstr3b": lazy("GSTR-3B summary")}
GST_SHOWN = 20
GROUPS = {
    lazy("Sales"): [k for k in RANGED if k.startswith("sales-")],
    lazy("Profit and tax"): ["profit-and-loss", "tax-by-rate"],
    lazy("GST returns"): ["gstr1", "gstr3b"],
    lazy("Stock"): list(STOCK),
    lazy("Expenses"): ["expenses"],
    lazy("Cash drawer"): ["cash-sessions"],
}


# Reports drawn as a chart above their table: (chart type, label column, value columns); the
# columns are named by their English titles (`report_framework.title_key`).
CHARTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "sales-by-day": ("bar", "Date", ("Net sales",)),
    "sales-by-month": ("line", "Month", ("Net sales", "Gross profit")),
    "sales-by-category": ("doughnut", "Category", ("Net sales",)),
    "sales-by-method": ("doughnut", "Method", ("Net sales (returns off their refund method)",)),
    "tax-by-rate": ("bar", "Rate %", ("Taxable value", "Tax")),
}


def chart_data(name: str, report: report_framework.Report, locale: str) -> dict[str, Any] | None:
    """The report's chart as exact decimal strings (the page's script only places them)."""
    if name not in CHARTS or not report.rows:
        return None
    kind, label_column, value_columns = CHARTS[name]
    titles = [report_framework.title_key(title) for title, _kind in report.columns]
    at = titles.index(label_column)
    # Days and months as the tables show them (the locale's date style, "Nov 2026"); the
    # CSV keeps ISO for machines.
    label_kind = report.columns[at][1]
    labels = [
        day_text(value, locale)
        if isinstance(value, date)
        else month_label(str(value), locale)
        if label_kind == "month"
        else str(value)
        for value in (row[at] for row in report.rows)
    ]
    if name == "tax-by-rate":
        labels = [f"{label} %" for label in labels]
    series = [
        {
            "label": str(report.columns[titles.index(column)][0]),
            "data": [money_str(row[titles.index(column)]) for row in report.rows],
        }
        for column in value_columns
    ]
    return {"type": kind, "labels": labels, "series": series}


@bp.get("/")
@admin_required
def index() -> str:
    """The list of reports."""
    links = {name: url_for(f"reports.{name}") for name in GST_RETURNS}
    return render_template(
        "reports/index.html", titles={**TITLES, **GST_RETURNS}, groups=GROUPS, links=links
    )


def _csv(name: str, report: report_framework.Report) -> Response:
    # Taking the shop's figures away is an export like any table's: audit-logged. The log's
    # commit comes before a streamed report's query runs (its rows are read lazily).
    exports.record_export(db.session, current_user.id, f"report {name}", "download")
    rows = safe_rows(report_framework.report_rows(report))
    response = Response(stream_with_context(csv_text(rows)), mimetype="text/csv")
    stamp = time.strftime("%Y%m%d")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


def csv_query() -> dict[str, str]:
    """The filters the CSV link repeats: only the report's own, never format= or url_for's
    own keywords (_external, _anchor...), which a hand-typed URL used to pass into url_for."""
    return {k: request.args[k] for k in CSV_FILTERS if request.args.get(k)}


@bp.get("/<name>")
@admin_required
def show(name: str) -> Response | str | tuple[str, int]:
    """One report as a page, or as CSV with ?format=csv."""
    if name not in TITLES:
        raise NotFound(_("No such report."))
    args = request.args
    error = None
    start = end = None
    reason = args.get("reason") or None
    days = shop_settings().dead_stock_days
    as_csv = args.get("format") == "csv"
    rows: dict[str, Any] = {"stream": True} if as_csv else {"limit": SHOWN_ROWS}
    try:
        if name in LONG:
            start, end = report_framework.parse_range(args.get("from"), args.get("to"))
            report = RANGED[name][1](db.session, start, end, **rows)
        elif name in RANGED:
            start, end = report_framework.parse_range(args.get("from"), args.get("to"))
            report = RANGED[name][1](db.session, start, end)
        elif name == "stock":
            report = reports.stock_on_hand(db.session, **rows)
        elif name == "movements":
            start, end = report_framework.parse_range(args.get("from"), args.get("to"))
            report = reports.movements(db.session, start, end, reason, **rows)
        elif name == "dead-stock":
            raw = args.get("days", "")
            if raw:
                if not raw.isdecimal() or not 1 <= int(raw) <= 3650:
                    raise DomainError(_("Days are a whole number from 1 to 3650."), status=422)
                days = int(raw)
            report = reports.dead_stock(db.session, days, **rows)
        else:
            report = reports.reorder_suggestions(db.session, **rows)
    except DomainError as exc:
        error = exc.message
        report = report_framework.Report(TITLES[name], [], [])
        if as_csv:
            raise
    if as_csv:
        return _csv(name, report)
    html = render_template(
        "reports/report.html",
        name=name,
        # The page's own title: the report services' titles are not all marked for translation.
        page_title=TITLES[name],
        report=report,
        ranged=name in RANGED or name == "movements",
        shown=SHOWN_ROWS,
        error=error,
        start=start,
        end=end,
        reason=reason,
        reasons=[(r, labels.stock_reason(r)) for r in MOVEMENT_REASONS],
        days=days,
        kinds=dict(report.columns),
        expense_categories=EXPENSE_CATEGORIES,
        today=local_today(),
        chart=chart_data(name, report, shop_settings().locale),
        csv_query=csv_query(),
    )
    return (html, 422) if error else html


@bp.post("/expenses")
@admin_required
def add_expense() -> Response:
    """Record an expense from the form on the expenses report."""

    def reshow(exc: DomainError) -> tuple[str, int]:
        start, end = report_framework.parse_range(None, None)
        report = expenses.expense_report(db.session, start, end)
        html = render_template(
            "reports/report.html",
            name="expenses",
            page_title=TITLES["expenses"],
            report=report,
            ranged=True,
            shown=SHOWN_ROWS,
            error=exc.message,
            start=start,
            end=end,
            kinds=dict(report.columns),
            expense_categories=EXPENSE_CATEGORIES,
            today=local_today(),
            form=request.form,
        )
        return html, 422  # the expenses report answers any refused expense with 422

    expense = or_reshow(
        lambda: expenses.add_expense(db.session, request.form, current_user.id), reshow
    )
    flash(_("Expense of %(amount)s recorded.", amount=money_text(expense.amount)), "success")
    return redirect(url_for("reports.show", name="expenses"))


def _gst_month() -> tuple[gstr.Period | None, gstr.Shop | None, str | None, int]:
    """The month asked for and the shop's GST identity, or the message that stops the page."""
    try:
        period = gstr.parse_month(request.args.get("month"), local_today())
    except DomainError as exc:
        return None, None, exc.message, exc.status
    try:
        return period, gstr.Shop.of(shop_settings()), None, 200
    except DomainError as exc:
        return period, None, exc.message, exc.status


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    """The file a piece at a time, closed (and its temporary file gone) when done or dropped."""
    try:
        while chunk := spool.read(64 * 1024):
            yield chunk
    finally:
        spool.close()


def _download(name: str, mimetype: str, body: str | Iterator[bytes]) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/gst/gstr1")
@admin_required
def gstr1() -> Response | tuple[str, int]:
    """GSTR-1 of a month: each table's first rows and totals; ?format=zip downloads them all."""
    period, shop, error, status = _gst_month()
    if period is not None and shop is not None and request.args.get("format") == "zip":
        exports.record_export(db.session, current_user.id, f"GSTR-1 {period.fp}", "download")
        # A month of a busy shop is a few MB of CSV: spooled to disk past 8 MB, not held.
        # Left open on purpose: `_chunks` closes it once the response has been read.
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 2**20)  # noqa: SIM115
        try:
            gstr.gstr1_zip(db.session, period, shop, spool)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        name = f"GSTR1_{shop.gstin}_{period.fp}.zip"
        return _download(name, "application/zip", _chunks(spool))
    tables = []
    if period is not None and shop is not None:
        memo: gstr.Memo = {}  # B2CS and table 8 share one pass, as the two HSN tabs do
        tables = [
            (table, table.build(db.session, period, shop, limit=GST_SHOWN, memo=memo))
            for table in gstr.TABLES
        ]
    html = render_template(
        "reports/gstr1.html", period=period, shop=shop, tables=tables, error=error, shown=GST_SHOWN
    )
    return html, status


@bp.get("/gst/gstr3b")
@admin_required
def gstr3b() -> Response | tuple[str, int]:
    """GSTR-3B of a month as a page; ?format=json downloads the portal's JSON."""
    period, shop, error, status = _gst_month()
    summary = None
    if period is not None and shop is not None:
        summary = gstr.gstr3b(db.session, period, shop)
        if request.args.get("format") == "json":
            exports.record_export(db.session, current_user.id, f"GSTR-3B {period.fp}", "download")
            return _download(
                f"GSTR3B_{shop.gstin}_{period.fp}.json",
                "application/json",
                gstr.json_text(summary.json()),
            )
    report = gstr.gstr3b_report(summary) if summary else None
    html = render_template(
        "reports/gstr3b.html",
        period=period,
        shop=shop,
        summary=summary,
        report=report,
        kinds=dict(report.columns) if report else {},
        error=error,
    )
    return html, status
