"""Sales, profit and tax reports over a local date range (void bills never count).

Each function returns a `report_framework.Report`, so every report shares one page template
and one CSV writer. Per-day figures come from the `daily_sales` summary; product, category,
cashier and tax figures read the invoice lines of the range through the invoices' time index.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, func, select, union_all
from sqlalchemy.orm import Session

from posapp.models import (
    Category,
    CreditNote,
    CreditNoteLine,
    DailySales,
    Invoice,
    InvoiceLine,
    Product,
    User,
)
from posapp.models.base import local_midnight_utc
from posapp.money import percent_str
from posapp.services import expenses
from posapp.services.report_framework import Report, batches, collect
from posapp.services.summaries import METHODS


def _in_range(start: date, end: date) -> list[Any]:
    return [
        Invoice.created_at >= local_midnight_utc(start),
        Invoice.created_at < local_midnight_utc(end + timedelta(days=1)),
        Invoice.status != "void",
    ]


def _days(session: Session, start: date, end: date) -> list[DailySales]:
    return list(
        session.scalars(
            select(DailySales)
            .where(DailySales.day >= start, DailySales.day <= end)
            .order_by(DailySales.day)
        )
    )


SUMMARY_COLUMNS = [
    ("Bills", "number"),
    ("Sales", "money"),
    ("Discounts", "money"),
    ("Tax", "money"),
    ("Net of tax", "money"),
    ("Cost of goods", "money"),
    ("Gross profit", "money"),
]


def _summary_cells(row: Any) -> list[Any]:
    return [row.invoices, row.sales, row.discount, row.tax, row.net, row.cost, row.net - row.cost]


def _totals(columns: list[tuple[str, str]], rows: list[list[Any]]) -> dict[str, int]:
    return {
        title: sum(r[i] for r in rows)
        for i, (title, kind) in enumerate(columns)
        if kind in ("money", "number")
    }


def sales_by_day(session: Session, start: date, end: date) -> Report:
    """Bills, sales, discounts, tax, cost and gross profit for each day with sales."""
    columns = [("Date", "date"), *SUMMARY_COLUMNS]
    rows = [[d.day, *_summary_cells(d)] for d in _days(session, start, end) if d.invoices]
    return Report("Sales by day", columns, rows, _totals(columns, rows))


def sales_by_month(session: Session, start: date, end: date) -> Report:
    """The same figures per calendar month."""
    months: dict[str, list[int]] = {}
    for d in _days(session, start, end):
        cells = _summary_cells(d)
        sums = months.setdefault(d.day.strftime("%Y-%m"), [0] * len(cells))
        for i, value in enumerate(cells):
            sums[i] += value
    columns = [("Month", "text"), *SUMMARY_COLUMNS]
    rows = [[month, *sums] for month, sums in sorted(months.items()) if sums[0]]
    return Report("Sales by month", columns, rows, _totals(columns, rows))


def sales_by_method(session: Session, start: date, end: date) -> Report:
    """How the sales were settled: cash (net of change), card, UPI, and left on credit."""
    sums = dict.fromkeys(METHODS, 0)
    for d in _days(session, start, end):
        for m in METHODS:
            sums[m] += getattr(d, m)
    columns = [("Method", "text"), ("Amount", "money")]
    rows = [[m, sums[m]] for m in METHODS]
    return Report("Sales by payment method", columns, rows, _totals(columns, rows))


def _cost() -> Any:
    return func.sum((InvoiceLine.qty_milli * InvoiceLine.unit_cost + 500) // 1000)


def _returns_in(start: date, end: date) -> list[Any]:
    """Credit notes made in the range: a return counts on its own day, as in `daily_sales`."""
    return [
        CreditNote.created_at >= local_midnight_utc(start),
        CreditNote.created_at < local_midnight_utc(end + timedelta(days=1)),
    ]


def per_product(start: date, end: date) -> Any:
    """Per product id: quantity, sales, net of tax and cost sold in the range, less returns.

    Sales are grouped by product id alone so the lines are read through the covering index
    and never joined to products row by row; returned goods keep their cost when not restocked
    (a loss), exactly as the daily summary counts them. The result stays in the database: a
    year can hold every product of the catalog.
    """
    sold = (
        select(
            InvoiceLine.product_id.label("pid"),
            func.sum(InvoiceLine.qty_milli).label("qty"),
            func.sum(InvoiceLine.total).label("sales"),
            func.sum(InvoiceLine.taxable).label("net"),
            _cost().label("cost"),
        )
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(*_in_range(start, end))
        .group_by(InvoiceLine.product_id)
    )
    restocked_cost = case(
        (
            CreditNote.restock.is_(True),
            (CreditNoteLine.qty_milli * InvoiceLine.unit_cost + 500) // 1000,
        ),
        else_=0,
    )
    returned = (
        select(
            CreditNoteLine.product_id,
            -func.sum(CreditNoteLine.qty_milli),
            -func.sum(CreditNoteLine.total),
            -func.sum(CreditNoteLine.taxable),
            -func.sum(restocked_cost),
        )
        .join(CreditNote, CreditNote.id == CreditNoteLine.credit_note_id)
        .join(InvoiceLine, InvoiceLine.id == CreditNoteLine.invoice_line_id)
        .where(*_returns_in(start, end))
        .group_by(CreditNoteLine.product_id)
    )
    both = union_all(sold, returned).subquery()
    return (
        select(
            both.c.pid,
            func.sum(both.c.qty).label("qty"),
            func.sum(both.c.sales).label("sales"),
            func.sum(both.c.net).label("net"),
            func.sum(both.c.cost).label("cost"),
        )
        .group_by(both.c.pid)
        .subquery()
    )


PRODUCT_COLUMNS = [
    ("Code", "text"),
    ("Name", "text"),
    ("Quantity", "qty"),
    ("Sales", "money"),
    ("Net of tax", "money"),
    ("Cost of goods", "money"),
    ("Gross profit", "money"),
]


def sales_by_product(
    session: Session, start: date, end: date, *, limit: int | None = None, stream: bool = False
) -> Report:
    """Quantity, sales, net of tax, cost and gross profit per product (less returns).

    Best sellers first; the database sorts, and rows are read a batch at a time, so a page
    (`limit`) or a CSV (`stream`) never holds a year's products in memory.
    """
    per = per_product(start, end)
    stmt = (
        select(
            Product.code, Product.name, Product.unit, per.c.qty, per.c.sales, per.c.net, per.c.cost
        )
        .join(per, per.c.pid == Product.id)
        .order_by(per.c.sales.desc(), Product.name, Product.id)
    )
    rows = (
        [code, name, (int(qty), unit), int(sales), int(net), int(cost), int(net - cost)]
        for code, name, unit, qty, sales, net, cost in batches(session, stmt)
    )
    money = [title for title, kind in PRODUCT_COLUMNS if kind == "money"]
    return collect("Sales by product", PRODUCT_COLUMNS, rows, money, limit=limit, stream=stream)


def sales_by_category(session: Session, start: date, end: date) -> Report:
    """Sales, net of tax, cost and gross profit per product category (less returns)."""
    per = per_product(start, end)
    stmt = (
        select(
            Category.name,
            func.count(),
            func.sum(per.c.sales),
            func.sum(per.c.net),
            func.sum(per.c.cost),
        )
        .select_from(per)
        .join(Product, Product.id == per.c.pid)
        .outerjoin(Category, Category.id == Product.category_id)
        .group_by(Category.name)
    )
    found = [
        (str(cat or "Uncategorised"), int(n), int(sales), int(net), int(cost))
        for cat, n, sales, net, cost in session.execute(stmt)
    ]
    found.sort(key=lambda r: (-r[2], r[0]))
    rows = [[cat, n, sales, net, cost, net - cost] for cat, n, sales, net, cost in found]
    columns = [
        ("Category", "text"),
        ("Products sold", "number"),
        ("Sales", "money"),
        ("Net of tax", "money"),
        ("Cost of goods", "money"),
        ("Gross profit", "money"),
    ]
    totals = _totals(columns, rows)
    totals.pop("Products sold", None)
    return Report("Sales by category", columns, rows, totals)


def sales_by_cashier(session: Session, start: date, end: date) -> Report:
    """Bills, sales and discounts given per cashier."""
    sales = func.sum(Invoice.total)
    stmt = (
        select(User.username, func.count(), sales, func.sum(Invoice.discount_total))
        .join(User, User.id == Invoice.cashier_id)
        .where(*_in_range(start, end))
        .group_by(User.username)
        .order_by(sales.desc(), User.username)
    )
    rows = [[u, int(n), int(s), int(disc)] for u, n, s, disc in session.execute(stmt)]
    columns = [("Cashier", "text"), ("Bills", "number"), ("Sales", "money"), ("Discounts", "money")]
    return Report("Sales by cashier", columns, rows, _totals(columns, rows))


def _percent_of(part: int, whole: int) -> str:
    """A percentage with 2 decimals, half up, from integers (no floats)."""
    if not whole:
        return ""
    bp = (2 * part * 10000 + whole) // (2 * whole)  # basis points, half up
    return percent_str(bp)


def profit_and_loss(session: Session, start: date, end: date) -> Report:
    """Revenue, cost of goods sold, gross profit and margin, expenses and net profit."""
    days = _days(session, start, end)
    sales = sum(d.sales for d in days)
    tax = sum(d.tax for d in days)
    net = sum(d.net for d in days)
    cost = sum(d.cost for d in days)
    # Round-off is part of the total but neither revenue nor tax; shown so the lines add up.
    round_off = sales - tax - net
    gross = net - cost
    voided = session.execute(
        select(func.count(), func.coalesce(func.sum(Invoice.total), 0)).where(
            Invoice.created_at >= local_midnight_utc(start),
            Invoice.created_at < local_midnight_utc(end + timedelta(days=1)),
            Invoice.status == "void",
        )
    ).one()
    by_category = expenses.spent_by_category(session, start, end)
    spent = sum(amount for _, amount in by_category)
    rows: list[list[Any]] = [
        ["Sales (bill totals)", sales, _percent_of(sales, net)],
        ["less tax collected", tax, _percent_of(tax, net)],
    ]
    if round_off:
        rows.append(["less round-off", round_off, _percent_of(round_off, net)])
    rows += [
        ["Revenue (net of tax)", net, _percent_of(net, net)],
        ["Cost of goods sold", cost, _percent_of(cost, net)],
        ["Gross profit", gross, _percent_of(gross, net)],
    ]
    rows += [[f"Expense: {cat}", a, _percent_of(a, net)] for cat, a in by_category]
    rows += [
        ["Expenses", spent, _percent_of(spent, net)],
        ["Net profit", gross - spent, _percent_of(gross - spent, net)],
        [f"Voided bills ({voided[0]}, not counted above)", int(voided[1]), ""],
    ]
    columns = [("Item", "text"), ("Amount", "money"), ("% of revenue", "decimal")]
    return Report("Profit and loss", columns, rows)


def _id_bounds(start: date, end: date) -> Any:
    """`invoice_id BETWEEN` the first and last id of the range: lines then stream in id order.

    Only a narrowing: the join still checks each invoice's time, so the result is exact even
    if ids and times ever disagreed (a clock set back); it lets SQLite walk the covering
    index `ix_invoice_lines_report` as one range and group (invoice, rate) without sorting.
    """
    first = (
        select(func.min(Invoice.id))
        .where(Invoice.created_at >= local_midnight_utc(start))
        .scalar_subquery()
    )
    last = (
        select(func.max(Invoice.id))
        .where(Invoice.created_at < local_midnight_utc(end + timedelta(days=1)))
        .scalar_subquery()
    )
    return InvoiceLine.invoice_id.between(first, last)


def _per_invoice_rate(start: date, end: date, first: int | None = None) -> Any:
    """Taxable value and tax per (invoice, rate): the unit CGST/SGST halves are taken on.

    With `first`, only the range's first N bills in time order (what a page shows).
    """
    stmt = (
        select(
            InvoiceLine.invoice_id.label("iid"),
            InvoiceLine.tax_rate_bp.label("rate"),
            func.sum(InvoiceLine.taxable).label("taxable"),
            func.sum(InvoiceLine.tax).label("tax"),
            func.sum(InvoiceLine.total).label("total"),
        )
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(_id_bounds(start, end), *_in_range(start, end))
        .group_by(InvoiceLine.invoice_id, InvoiceLine.tax_rate_bp)
    )
    if first is not None:
        bills = (
            select(Invoice.id)
            .where(*_in_range(start, end))
            .order_by(Invoice.created_at, Invoice.id)
            .limit(first)
        )
        # Through a derived table: MariaDB refuses LIMIT directly inside IN (...).
        first_bills = bills.subquery()
        stmt = stmt.where(InvoiceLine.invoice_id.in_(select(first_bills.c.id)))
    return stmt.subquery()


def _per_note_rate(start: date, end: date) -> Any:
    """Taxable value and tax returned per (credit note, rate), halves taken note by note."""
    return (
        select(
            CreditNoteLine.credit_note_id.label("nid"),
            InvoiceLine.tax_rate_bp.label("rate"),
            func.sum(CreditNoteLine.taxable).label("taxable"),
            func.sum(CreditNoteLine.tax).label("tax"),
            func.sum(CreditNoteLine.total).label("total"),
        )
        .join(CreditNote, CreditNote.id == CreditNoteLine.credit_note_id)
        .join(InvoiceLine, InvoiceLine.id == CreditNoteLine.invoice_line_id)
        .where(*_returns_in(start, end))
        .group_by(CreditNoteLine.credit_note_id, InvoiceLine.tax_rate_bp)
        .subquery()
    )


def _by_rate(session: Session, per: Any) -> dict[int, list[int]]:
    stmt = select(
        per.c.rate, func.sum(per.c.taxable), func.sum(per.c.tax), func.sum((per.c.tax + 1) // 2)
    ).group_by(per.c.rate)
    return {int(rate): [int(v) for v in rest] for rate, *rest in session.execute(stmt)}


def tax_by_rate(session: Session, start: date, end: date) -> Report:
    """Taxable value and tax per rate, with CGST/SGST halves, net of the range's returns."""
    sums = _by_rate(session, _per_invoice_rate(start, end))
    for rate, values in _by_rate(session, _per_note_rate(start, end)).items():
        row = sums.setdefault(rate, [0, 0, 0])
        for i, value in enumerate(values):
            row[i] -= value
    rows = [
        [percent_str(rate), taxable, tax, cgst, tax - cgst]
        for rate, (taxable, tax, cgst) in sorted(sums.items())
    ]
    columns = [
        ("Rate %", "decimal"),
        ("Taxable value", "money"),
        ("Tax", "money"),
        ("CGST", "money"),
        ("SGST", "money"),
    ]
    return Report("Tax summary by rate", columns, rows, _totals(columns, rows))
