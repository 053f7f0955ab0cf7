"""Sales, profit and tax reports over a local date range (void bills never count).

Each function returns a `report_framework.Report`, so every report shares one page template
and one CSV writer. Per-day figures come from the `daily_sales` summary; product, category,
cashier and tax figures read the invoice lines of the range through the invoices' time index.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import BigInteger, case, cast, func, select, union_all
from sqlalchemy.orm import Session

from posapp.i18n import _, lazy
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
from posapp.services.pricing import LEGACY_TAX_RULE
from posapp.services.report_framework import Column, Report, batches, collect
from posapp.services.summaries import METHODS, local_day


def _in_range(start: date, end: date) -> list[Any]:
    return [
        Invoice.created_at >= local_midnight_utc(start),
        Invoice.created_at < local_midnight_utc(end + timedelta(days=1)),
        Invoice.status != "void",
    ]


def _days(session: Session, start: date, end: date) -> list[tuple[DailySales, int]]:
    """Each summary day of the range with the returns made that day (credit note totals).

    `daily_sales.sales` is already net sales (bill totals less the day's returns), so gross
    sales = net sales + returns. Credit notes are few next to bills: they are read and put on
    their local day here rather than kept as another summary column.
    """
    returns: dict[date, int] = {}
    for created_at, total in session.execute(
        select(CreditNote.created_at, CreditNote.total).where(*_returns_in(start, end))
    ):
        day = local_day(created_at)
        returns[day] = returns.get(day, 0) + total
    rows = session.scalars(
        select(DailySales)
        .where(DailySales.day >= start, DailySales.day <= end)
        .order_by(DailySales.day)
    )
    return [(row, returns.get(row.day, 0)) for row in rows]


# The one vocabulary of sales figures (docs/DESIGN.md, "Sales figures"): gross sales are the
# bill totals of the non-void invoices dated in the range, returns the credit notes dated in
# it, net sales = gross sales - returns, and net revenue = net sales - tax - round-off.
# The column titles are marked `lazy`: shown in the reader's language, matched by the code as
# these objects (or by `report_framework.title_key`, their English).
GROSS_SALES = lazy("Gross sales")
RETURNS = lazy("Returns")
NET_SALES = lazy("Net sales")
NET_REVENUE = lazy("Net revenue (excl. tax)")
BILLS = lazy("Bills")
DISCOUNTS = lazy("Discounts")
TAX = lazy("Tax")
COST_OF_GOODS = lazy("Cost of goods")
GROSS_PROFIT = lazy("Gross profit")
DATE = lazy("Date")
MONTH = lazy("Month")
PRODUCTS_SOLD = lazy("Products sold")

SUMMARY_COLUMNS = [
    (BILLS, "number"),
    (GROSS_SALES, "money"),
    (RETURNS, "money"),
    (NET_SALES, "money"),
    (DISCOUNTS, "money"),
    (TAX, "money"),
    (NET_REVENUE, "money"),
    (COST_OF_GOODS, "money"),
    (GROSS_PROFIT, "money"),
]


def _summary_cells(row: Any, returns: int) -> list[Any]:
    return [
        row.invoices,
        row.sales + returns,
        returns,
        row.sales,
        row.discount,
        row.tax,
        row.net,
        row.cost,
        row.net - row.cost,
    ]


def _totals(columns: list[Column], rows: list[list[Any]]) -> dict[Any, int]:
    return {
        title: sum(r[i] for r in rows)
        for i, (title, kind) in enumerate(columns)
        if kind in ("money", "number")
    }


def sales_by_day(session: Session, start: date, end: date) -> Report:
    """Bills, gross sales, returns, net sales, discounts, tax, net revenue, cost and gross
    profit for each day with sales or returns."""
    columns: list[Column] = [(DATE, "date"), *SUMMARY_COLUMNS]
    rows = [
        [d.day, *_summary_cells(d, returns)]
        for d, returns in _days(session, start, end)
        if d.invoices or returns
    ]
    return Report(lazy("Sales by day"), columns, rows, _totals(columns, rows))


def sales_by_month(session: Session, start: date, end: date) -> Report:
    """The same figures per calendar month."""
    months: dict[str, list[int]] = {}
    for d, returns in _days(session, start, end):
        cells = _summary_cells(d, returns)
        sums = months.setdefault(d.day.strftime("%Y-%m"), [0] * len(cells))
        for i, value in enumerate(cells):
            sums[i] += value
    columns: list[Column] = [(MONTH, "month"), *SUMMARY_COLUMNS]
    # sums[0] is bills, sums[2] returns: a month with only returns still shows.
    rows = [[month, *sums] for month, sums in sorted(months.items()) if sums[0] or sums[2]]
    return Report(lazy("Sales by month"), columns, rows, _totals(columns, rows))


def sales_by_method(session: Session, start: date, end: date) -> Report:
    """How the net sales were settled: cash (net of change), card, UPI, and left on credit.

    Each return comes off the method it was refunded by: a cash refund off cash, a refund to
    store credit and the part set against what the customer still owed off credit. So the
    methods add up to net sales, while "credit" is what was left owing net of those returns,
    not the customers' balance (payments on account later are not sales).
    """
    sums = dict.fromkeys(METHODS, 0)
    for d, _returns in _days(session, start, end):
        for m in METHODS:
            sums[m] += getattr(d, m)
    columns: list[Column] = [
        (lazy("Method"), "text"),
        (lazy("Net sales (returns off their refund method)"), "money"),
    ]
    rows = [[m, sums[m]] for m in METHODS]
    return Report(lazy("Sales by payment method"), columns, rows, _totals(columns, rows))


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


PRODUCT_COLUMNS: list[Column] = [
    (lazy("Code"), "text"),
    (lazy("Name"), "text"),
    (lazy("Quantity"), "qty"),
    (NET_SALES, "money"),
    (NET_REVENUE, "money"),
    (COST_OF_GOODS, "money"),
    (GROSS_PROFIT, "money"),
]


def sales_by_product(
    session: Session, start: date, end: date, *, limit: int | None = None, stream: bool = False
) -> Report:
    """Quantity, net sales, net revenue, cost and gross profit per product (less returns).

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
    return collect(
        lazy("Sales by product"), PRODUCT_COLUMNS, rows, money, limit=limit, stream=stream
    )


def sales_by_category(session: Session, start: date, end: date) -> Report:
    """Net sales, net revenue, cost and gross profit per product category (less returns)."""
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
        (str(cat or _("Uncategorised")), int(n), int(sales), int(net), int(cost))
        for cat, n, sales, net, cost in session.execute(stmt)
    ]
    found.sort(key=lambda r: (-r[2], r[0]))
    rows = [[cat, n, sales, net, cost, net - cost] for cat, n, sales, net, cost in found]
    columns: list[Column] = [
        (lazy("Category"), "text"),
        (PRODUCTS_SOLD, "number"),
        (NET_SALES, "money"),
        (NET_REVENUE, "money"),
        (COST_OF_GOODS, "money"),
        (GROSS_PROFIT, "money"),
    ]
    totals = _totals(columns, rows)
    totals.pop(PRODUCTS_SOLD, None)
    return Report(lazy("Sales by category"), columns, rows, totals)


def sales_by_cashier(session: Session, start: date, end: date) -> Report:
    """Bills, gross sales, returns, net sales and discounts given per cashier.

    A return counts against the cashier who made the bill it returns (whoever took it back),
    on the day of the return, so the cashiers' net sales add up to every other report's.
    """
    billed = session.execute(
        select(
            User.username, func.count(), func.sum(Invoice.total), func.sum(Invoice.discount_total)
        )
        .join(User, User.id == Invoice.cashier_id)
        .where(*_in_range(start, end))
        .group_by(User.username)
    )
    figures: dict[str, list[int]] = {}
    for username, n, total, discount in billed:
        figures[username] = [int(n), int(total), 0, int(discount)]
    returned = session.execute(
        select(User.username, func.sum(CreditNote.total))
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .join(User, User.id == Invoice.cashier_id)
        .where(*_returns_in(start, end))
        .group_by(User.username)
    )
    for username, total in returned:
        figures.setdefault(username, [0, 0, 0, 0])[2] = int(total)
    rows: list[list[Any]] = [
        [user, n, gross, returns, gross - returns, discount]
        for user, (n, gross, returns, discount) in figures.items()
    ]
    rows.sort(key=lambda row: (-row[4], row[0]))
    columns: list[Column] = [
        (lazy("Cashier"), "text"),
        (BILLS, "number"),
        (GROSS_SALES, "money"),
        (RETURNS, "money"),
        (NET_SALES, "money"),
        (DISCOUNTS, "money"),
    ]
    return Report(lazy("Sales by cashier"), columns, rows, _totals(columns, rows))


def _percent_of(part: int, whole: int) -> str:
    """A percentage with 2 decimals, half up, from integers (no floats)."""
    if not whole:
        return ""
    bp = (2 * part * 10000 + whole) // (2 * whole)  # basis points, half up
    return percent_str(bp)


def profit_and_loss(session: Session, start: date, end: date) -> Report:
    """Gross sales, returns, net sales, tax and net revenue; then cost of goods sold, gross
    profit and margin, expenses and net profit.

    Percentages are of net revenue (tax-exclusive) and only on the lines that are part of it
    (revenue, cost, profit, expenses): the sales and tax lines include tax, so a "% of
    revenue" on them would exceed 100 % and mean nothing.
    """
    days = _days(session, start, end)
    net_sales = sum(d.sales for d, _ in days)
    returns = sum(r for _, r in days)
    tax = sum(d.tax for d, _ in days)
    net = sum(d.net for d, _ in days)
    cost = sum(d.cost for d, _ in days)
    # Round-off is part of the total but neither revenue nor tax; shown so the lines add up.
    round_off = net_sales - tax - net
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
        [_("Gross sales (bill totals)"), net_sales + returns, ""],
        [_("less returns (credit notes)"), returns, ""],
        [str(NET_SALES), net_sales, ""],
        [_("less tax collected (net of returns)"), tax, ""],
    ]
    if round_off:
        rows.append([_("less round-off"), round_off, ""])
    rows += [
        [str(NET_REVENUE), net, _percent_of(net, net)],
        [_("Cost of goods sold"), cost, _percent_of(cost, net)],
        [str(GROSS_PROFIT), gross, _percent_of(gross, net)],
    ]
    rows += [
        [_("Expense: %(category)s", category=cat), a, _percent_of(a, net)] for cat, a in by_category
    ]
    rows += [
        [_("Expenses"), spent, _percent_of(spent, net)],
        [_("Net profit"), gross - spent, _percent_of(gross - spent, net)],
        [
            _("Voided bills (%(count)s, not counted above)", count=voided[0]),
            int(voided[1]),
            "",
        ],
    ]
    columns: list[Column] = [
        (lazy("Item"), "text"),
        (lazy("Amount"), "money"),
        (lazy("% of net revenue"), "decimal"),
    ]
    return Report(lazy("Profit and loss"), columns, rows)


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
    """Taxable value, tax and stored heads per (invoice, rate), with the invoice's tax_rule:
    a legacy (rule 1) bill's CGST/SGST halves are taken on its rate row.

    With `first`, only the range's first N bills in time order (what a page shows).
    """
    stmt = (
        select(
            InvoiceLine.invoice_id.label("iid"),
            InvoiceLine.tax_rate_bp.label("rate"),
            func.sum(InvoiceLine.taxable).label("taxable"),
            func.sum(InvoiceLine.tax).label("tax"),
            func.sum(InvoiceLine.total).label("total"),
            # The heads are in the covering index too; the rule is one per bill.
            func.sum(InvoiceLine.cgst).label("cgst"),
            func.sum(InvoiceLine.sgst).label("sgst"),
            func.sum(InvoiceLine.igst).label("igst"),
            func.max(Invoice.tax_rule).label("rule"),
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
    """Taxable value, tax and stored heads returned per (credit note, rate), with the note's
    tax_rule (a legacy note's halves are taken note by note)."""
    return (
        select(
            CreditNoteLine.credit_note_id.label("nid"),
            InvoiceLine.tax_rate_bp.label("rate"),
            func.sum(CreditNoteLine.taxable).label("taxable"),
            func.sum(CreditNoteLine.tax).label("tax"),
            func.sum(CreditNoteLine.total).label("total"),
            func.sum(CreditNoteLine.cgst).label("cgst"),
            func.sum(CreditNoteLine.sgst).label("sgst"),
            func.sum(CreditNoteLine.igst).label("igst"),
            func.max(CreditNote.tax_rule).label("rule"),
        )
        .join(CreditNote, CreditNote.id == CreditNoteLine.credit_note_id)
        .join(InvoiceLine, InvoiceLine.id == CreditNoteLine.invoice_line_id)
        .where(*_returns_in(start, end))
        .group_by(CreditNoteLine.credit_note_id, InvoiceLine.tax_rate_bp)
        .subquery()
    )


def _by_rate(session: Session, per: Any) -> dict[int, list[int]]:
    """Per rate: [taxable, tax, CGST, SGST, IGST] of (document, rate) rows.

    Rule 2 rows carry their stored heads; a legacy (rule 1) row's tax is split as it was
    issued, the odd paisa to CGST (lines never carry negative tax).
    """
    # The casts keep the halving an integer division on PostgreSQL, where SUM of a bigint
    # is numeric (and 7/2 would be 3.5).
    tax = cast(per.c.tax, BigInteger)
    legacy = per.c.rule == LEGACY_TAX_RULE
    legacy_cgst = (tax + 1) // 2
    cgst = case((legacy, legacy_cgst), else_=cast(per.c.cgst, BigInteger))
    sgst = case((legacy, tax - legacy_cgst), else_=cast(per.c.sgst, BigInteger))
    stmt = select(
        per.c.rate,
        func.sum(per.c.taxable),
        func.sum(per.c.tax),
        func.sum(cgst),
        func.sum(sgst),
        func.sum(per.c.igst),
    ).group_by(per.c.rate)
    return {int(rate): [int(v) for v in rest] for rate, *rest in session.execute(stmt)}


def tax_by_rate(session: Session, start: date, end: date) -> Report:
    """Taxable value and tax per rate with its CGST, SGST and IGST, net of the range's returns.

    The heads are the stored ones (docs/DESIGN.md §2), so on bills issued since issue 18
    the CGST and SGST totals are equal.
    """
    sums = _by_rate(session, _per_invoice_rate(start, end))
    for rate, values in _by_rate(session, _per_note_rate(start, end)).items():
        row = sums.setdefault(rate, [0] * len(values))
        for i, value in enumerate(values):
            row[i] -= value
    rows = [
        [percent_str(rate), taxable, tax, cgst, sgst, igst]
        for rate, (taxable, tax, cgst, sgst, igst) in sorted(sums.items())
    ]
    columns: list[Column] = [
        (lazy("Rate %"), "decimal"),
        (lazy("Taxable value"), "money"),
        (TAX, "money"),
        ("CGST", "money"),
        ("SGST", "money"),
        ("IGST", "money"),
    ]
    return Report(lazy("Tax summary by rate"), columns, rows, _totals(columns, rows))
