"""Sales, profit, tax and GSTR-1 reports over a local date range (void bills never count).

Each function returns a `reports.Report`, so every report shares one page template and one CSV
writer. Per-day figures come from the `daily_sales` summary; product, category, cashier and
tax figures read the invoice lines of the range through the invoices' time index.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from posapp.errors import ValidationError
from posapp.models import (
    EXPENSE_CATEGORIES,
    Category,
    DailySales,
    Expense,
    Invoice,
    InvoiceLine,
    Product,
    User,
)
from posapp.models.base import local_midnight_utc, write_transaction
from posapp.money import parse_money, percent_str
from posapp.services import audit
from posapp.services.ledger import local_today
from posapp.services.reports import Report
from posapp.services.summaries import METHODS

# GST state codes (the first two digits of a GSTIN), for GSTR-1's "Place Of Supply".
STATE_CODES = {
    "01": "Jammu and Kashmir", "02": "Himachal Pradesh", "03": "Punjab", "04": "Chandigarh",
    "05": "Uttarakhand", "06": "Haryana", "07": "Delhi", "08": "Rajasthan",
    "09": "Uttar Pradesh", "10": "Bihar", "11": "Sikkim", "12": "Arunachal Pradesh",
    "13": "Nagaland", "14": "Manipur", "15": "Mizoram", "16": "Tripura", "17": "Meghalaya",
    "18": "Assam", "19": "West Bengal", "20": "Jharkhand", "21": "Odisha",
    "22": "Chhattisgarh", "23": "Madhya Pradesh", "24": "Gujarat",
    "26": "Dadra and Nagar Haveli and Daman and Diu", "27": "Maharashtra", "29": "Karnataka",
    "30": "Goa", "31": "Lakshadweep", "32": "Kerala", "33": "Tamil Nadu", "34": "Puducherry",
    "35": "Andaman and Nicobar Islands", "36": "Telangana", "37": "Andhra Pradesh",
    "38": "Ladakh", "97": "Other Territory",
}  # fmt: skip


def _in_range(start: date, end: date) -> list[Any]:
    return [
        Invoice.created_at >= local_midnight_utc(start),
        Invoice.created_at < local_midnight_utc(end + timedelta(days=1)),
        Invoice.status != "void",
    ]


def cgst_half(tax: int) -> int:
    """The central half of a tax amount: it takes the odd paisa (as `pricing.TaxRow.cgst`)."""
    return (tax + 1) // 2 if tax >= 0 else -((-tax + 1) // 2)


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


def sales_by_product(session: Session, start: date, end: date) -> Report:
    """Quantity, sales, net of tax, cost and gross profit per product, best sellers first."""
    sales = func.sum(InvoiceLine.total)
    stmt = (
        select(
            Product.code,
            Product.name,
            Product.unit,
            func.sum(InvoiceLine.qty_milli),
            sales,
            func.sum(InvoiceLine.taxable),
            _cost(),
        )
        .select_from(InvoiceLine)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .join(Product, Product.id == InvoiceLine.product_id)
        .where(*_in_range(start, end))
        .group_by(InvoiceLine.product_id, Product.code, Product.name, Product.unit)
        .order_by(sales.desc(), Product.name)
    )
    rows = [
        [code, name, (int(qty), unit), int(s), int(net), int(cost), int(net) - int(cost)]
        for code, name, unit, qty, s, net, cost in session.execute(stmt)
    ]
    columns = [
        ("Code", "text"),
        ("Name", "text"),
        ("Quantity", "qty"),
        ("Sales", "money"),
        ("Net of tax", "money"),
        ("Cost of goods", "money"),
        ("Gross profit", "money"),
    ]
    return Report("Sales by product", columns, rows, _totals(columns, rows))


def sales_by_category(session: Session, start: date, end: date) -> Report:
    """Sales, net of tax, cost and gross profit per product category."""
    name = func.coalesce(Category.name, "")
    sales = func.sum(InvoiceLine.total)
    stmt = (
        select(name, func.count(func.distinct(InvoiceLine.product_id)), sales)
        .add_columns(func.sum(InvoiceLine.taxable), _cost())
        .select_from(InvoiceLine)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .join(Product, Product.id == InvoiceLine.product_id)
        .outerjoin(Category, Category.id == Product.category_id)
        .where(*_in_range(start, end))
        .group_by(name)
        .order_by(sales.desc(), name)
    )
    rows = [
        [cat or "Uncategorised", int(n), int(s), int(net), int(cost), int(net) - int(cost)]
        for cat, n, s, net, cost in session.execute(stmt)
    ]
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
    expenses = session.execute(
        select(Expense.category, func.sum(Expense.amount))
        .where(Expense.day >= start, Expense.day <= end)
        .group_by(Expense.category)
        .order_by(Expense.category)
    ).all()
    spent = sum(int(a) for _, a in expenses)
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
    rows += [[f"Expense: {cat}", int(a), _percent_of(int(a), net)] for cat, a in expenses]
    rows += [
        ["Expenses", spent, _percent_of(spent, net)],
        ["Net profit", gross - spent, _percent_of(gross - spent, net)],
        [f"Voided bills ({voided[0]}, not counted above)", int(voided[1]), ""],
    ]
    columns = [("Item", "text"), ("Amount", "money"), ("% of revenue", "decimal")]
    return Report("Profit and loss", columns, rows)


def _per_invoice_rate(start: date, end: date) -> Any:
    """Taxable value and tax per (invoice, rate): the unit CGST/SGST halves are taken on."""
    return (
        select(
            InvoiceLine.invoice_id.label("iid"),
            InvoiceLine.tax_rate_bp.label("rate"),
            func.sum(InvoiceLine.taxable).label("taxable"),
            func.sum(InvoiceLine.tax).label("tax"),
            func.sum(InvoiceLine.total).label("total"),
        )
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(*_in_range(start, end))
        .group_by(InvoiceLine.invoice_id, InvoiceLine.tax_rate_bp)
        .subquery()
    )


def tax_by_rate(session: Session, start: date, end: date) -> Report:
    """Taxable value and tax per rate, with CGST/SGST halves (summed bill by bill)."""
    per = _per_invoice_rate(start, end)
    stmt = (
        select(
            per.c.rate,
            func.sum(per.c.taxable),
            func.sum(per.c.tax),
            func.sum((per.c.tax + 1) // 2),
        )
        .group_by(per.c.rate)
        .order_by(per.c.rate)
    )
    rows = [
        [percent_str(rate), int(taxable), int(tax), int(cgst), int(tax) - int(cgst)]
        for rate, taxable, tax, cgst in session.execute(stmt)
    ]
    columns = [
        ("Rate %", "decimal"),
        ("Taxable value", "money"),
        ("Tax", "money"),
        ("CGST", "money"),
        ("SGST", "money"),
    ]
    return Report("Tax summary by rate", columns, rows, _totals(columns, rows))


def hsn_summary(session: Session, start: date, end: date) -> Report:
    """GSTR-1-style HSN-wise summary: per HSN, rate and unit, quantity, values and tax."""
    stmt = (
        select(
            InvoiceLine.hsn,
            InvoiceLine.unit,
            InvoiceLine.tax_rate_bp,
            func.sum(InvoiceLine.qty_milli),
            func.sum(InvoiceLine.total),
            func.sum(InvoiceLine.taxable),
            func.sum(InvoiceLine.tax),
        )
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(*_in_range(start, end))
        .group_by(InvoiceLine.hsn, InvoiceLine.unit, InvoiceLine.tax_rate_bp)
        .order_by(InvoiceLine.hsn, InvoiceLine.tax_rate_bp, InvoiceLine.unit)
    )
    rows = [
        [
            hsn or "(none)",
            unit,
            (int(q), unit),
            percent_str(rate),
            int(total),
            int(taxable),
            int(tax),
        ]
        for hsn, unit, rate, q, total, taxable, tax in session.execute(stmt)
    ]
    columns = [
        ("HSN", "text"),
        ("UQC", "text"),
        ("Total quantity", "qty"),
        ("Rate %", "decimal"),
        ("Total value", "money"),
        ("Taxable value", "money"),
        ("Tax", "money"),
    ]
    return Report("HSN-wise summary", columns, rows, _totals(columns, rows))


def b2c_invoices(session: Session, start: date, end: date) -> Report:
    """GSTR-1 B2C, invoice-wise: one row per bill and rate, with the CGST/SGST halves."""
    per = _per_invoice_rate(start, end)
    stmt = (
        select(
            Invoice.number, Invoice.created_at, per.c.rate, per.c.taxable, per.c.tax, per.c.total
        )
        .join(per, per.c.iid == Invoice.id)
        .order_by(Invoice.created_at, Invoice.id, per.c.rate)
    )
    rows = []
    for number, created, rate, taxable, tax, total in session.execute(stmt):
        cgst = cgst_half(int(tax))
        rows.append(
            [
                number,
                created,
                percent_str(rate),
                int(taxable),
                cgst,
                int(tax) - cgst,
                int(tax),
                int(total),
            ]
        )
    columns = [
        ("Invoice number", "text"),
        ("Invoice date", "time"),
        ("Rate %", "decimal"),
        ("Taxable value", "money"),
        ("CGST", "money"),
        ("SGST", "money"),
        ("Tax", "money"),
        ("Value", "money"),
    ]
    return Report("GSTR-1 B2C invoice-wise", columns, rows, _totals(columns, rows))


def b2cs(session: Session, start: date, end: date, tax_number: str) -> Report:
    """GSTR-1 B2CS, rate-wise, in the columns of the GST offline tool's b2cs sheet."""
    code = tax_number[:2]
    place = f"{code}-{STATE_CODES[code]}" if code in STATE_CODES else ""
    by_rate = tax_by_rate(session, start, end)
    rows = [["OE", place, rate, "", taxable, "0.00", ""] for rate, taxable, *_ in by_rate.rows]
    columns = [
        ("Type", "text"),
        ("Place Of Supply", "text"),
        ("Rate", "decimal"),
        ("Applicable % of Tax Rate", "text"),
        ("Taxable Value", "money"),
        ("Cess Amount", "decimal"),
        ("E-Commerce GSTIN", "text"),
    ]
    return Report("GSTR-1 B2CS rate-wise", columns, rows)


def add_expense(session: Session, data: Mapping[str, Any], user_id: int | None) -> Expense:
    """Record one expense (date, category, amount, note); every field is checked."""
    errors: dict[str, str] = {}
    try:
        day = date.fromisoformat(str(data.get("day") or ""))
        if day > local_today():
            errors["day"] = "An expense cannot be in the future."
    except ValueError:
        errors["day"] = "The date is YYYY-MM-DD."
        day = date.min
    category = str(data.get("category") or "")
    if category not in EXPENSE_CATEGORIES:
        errors["category"] = "Pick a category from the list."
    amount = 0
    try:
        amount = parse_money(data.get("amount"), field="amount", allow_zero=False)
    except ValidationError as exc:
        errors["amount"] = exc.message
    note = str(data.get("note") or "").strip()
    if len(note) > 200:
        errors["note"] = "The note is at most 200 characters."
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    with write_transaction(session):
        expense = Expense(day=day, category=category, amount=amount, note=note, user_id=user_id)
        session.add(expense)
        session.flush()
        audit.record(
            session,
            "expense_add",
            user_id=user_id,
            entity="expense",
            entity_id=expense.id,
            after={"day": day.isoformat(), "category": category, "amount": amount, "note": note},
        )
    return expense


def expenses(session: Session, start: date, end: date) -> Report:
    """The expenses entered for a range, newest first."""
    stmt = (
        select(Expense, User.username)
        .outerjoin(User, User.id == Expense.user_id)
        .where(Expense.day >= start, Expense.day <= end)
        .order_by(Expense.day.desc(), Expense.id.desc())
    )
    rows = [[e.day, e.category, e.amount, e.note, who or ""] for e, who in session.execute(stmt)]
    columns = [
        ("Date", "date"),
        ("Category", "text"),
        ("Amount", "money"),
        ("Note", "text"),
        ("Entered by", "text"),
    ]
    return Report("Expenses", columns, rows, _totals(columns, rows))
