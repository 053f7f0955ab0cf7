"""The admin dashboard's figures (API.md "Dashboard stats"), from the daily summary and indexes.

Everything is minor units and thousandths here; the API turns them into decimal strings.
Per-day figures come from `daily_sales` (one row per day, so a year is 365 rows however many
bills it had); only the product and category rankings read invoice lines, and only the last
30 days of them through the invoices' time index.

Every "sales" figure here is net sales (docs/DESIGN.md, "Sales figures"): bill totals less the
returns made that day, as in the sales reports, so the dashboard and the reports agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from posapp.models import Category, DailySales, LedgerEntry, Product
from posapp.services import cash_sessions, ledger, ledger_views, reports, sales_reports
from posapp.services.summaries import METHODS

DAYS = 30
MONTHS = 12
TOP = 10
STOCK_LIST = 20


@dataclass
class Stats:
    """The dashboard's data; money in minor units, quantities in thousandths."""

    today: dict[str, int]  # sales, invoices, gross_profit, average_bill, cash_in_drawer
    daily: list[dict[str, Any]]
    monthly: list[dict[str, Any]]
    top_products: list[dict[str, Any]]
    low_stock: list[Product]
    out_of_stock: list[Product]
    outstanding_credit: int
    payment_methods: list[dict[str, Any]]


def month_start(day: date, back: int = 0) -> date:
    """The first day of the month `back` months before the one holding `day`."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _summary_rows(session: Session, start: date, end: date) -> list[DailySales]:
    return list(
        session.scalars(select(DailySales).where(DailySales.day >= start, DailySales.day <= end))
    )


def top_products(
    session: Session, start: date, end: date, *, by: str, limit: int = TOP
) -> list[dict[str, Any]]:
    """The best sellers between two local days, by quantity or by sales, less returns.

    The figures of `sales_reports.per_product` (void bills excluded, a return on its own day),
    so the dashboard and the sales-by-product report agree; only the winners meet the
    products table.
    """
    per = sales_reports.per_product(start, end)
    key = per.c.qty if by == "quantity" else per.c.sales
    stmt = (
        select(per.c.pid, Product.name, Product.unit, per.c.qty, per.c.sales)
        .join(Product, Product.id == per.c.pid)
        .where(key > 0)  # a product only given back is no best seller
        .order_by(key.desc(), per.c.pid)
        .limit(limit)
    )
    return [
        {"product_id": pid, "name": name, "unit": unit, "quantity": int(q), "sales": int(s)}
        for pid, name, unit, q, s in session.execute(stmt)
    ]


def sales_by_category(session: Session, start: date, end: date) -> list[dict[str, Any]]:
    """Sales per product category between two local days, less returns (uncategorised "")."""
    per = sales_reports.per_product(start, end)
    sales = func.sum(per.c.sales)
    stmt = (
        select(Category.name, sales)
        .select_from(per)
        .join(Product, Product.id == per.c.pid)
        .outerjoin(Category, Category.id == Product.category_id)
        .group_by(Category.name)
        .order_by(sales.desc(), Category.name)
    )
    return [{"category": name or "", "sales": int(s)} for name, s in session.execute(stmt)]


def stats(session: Session, today: date | None = None) -> Stats:
    """Compute the dashboard: today, 30 days, 12 months, rankings, stock and credit."""
    today = today or ledger.local_today()
    first_day = today - timedelta(days=DAYS - 1)
    first_month = month_start(today, MONTHS - 1)
    rows = _summary_rows(session, min(first_day, first_month), today)
    by_day = {row.day: row for row in rows}

    t = by_day.get(today)
    sales = t.sales if t else 0
    count = t.invoices if t else 0
    today_figures = {
        "sales": sales,
        "invoices": count,
        "gross_profit": (t.net - t.cost) if t else 0,
        # integer division of minor units, rounded half up
        "average_bill": (2 * sales + count) // (2 * count) if count else 0,
        # What the open drawers should hold now (floats, cash sales, pay-ins/outs, refunds).
        "cash_in_drawer": cash_sessions.open_drawers_total(session),
    }

    daily = []
    methods = dict.fromkeys(METHODS, 0)
    for offset in range(DAYS):
        day = first_day + timedelta(days=offset)
        row = by_day.get(day)
        daily.append(
            {"date": day, "sales": row.sales if row else 0, "invoices": row.invoices if row else 0}
        )
        if row:
            for m in METHODS:
                methods[m] += getattr(row, m)

    months: dict[date, dict[str, Any]] = {
        month_start(today, back): {"month": month_start(today, back), "sales": 0, "gross_profit": 0}
        for back in range(MONTHS - 1, -1, -1)
    }
    for row in rows:
        bucket = months.get(month_start(row.day))
        if bucket is not None:
            bucket["sales"] += row.sales
            bucket["gross_profit"] += row.net - row.cost

    active = Product.archived.is_(False)
    low = list(
        session.scalars(
            select(Product)
            .where(active, Product.stock_milli > 0, Product.stock_milli <= Product.low_stock_milli)
            .order_by(Product.stock_milli, Product.name)
            .limit(STOCK_LIST)
        )
    )
    out = list(
        session.scalars(
            select(Product)
            .where(active, Product.stock_milli <= 0)
            .order_by(Product.name)
            .limit(STOCK_LIST)
        )
    )
    balances = (
        select(func.sum(LedgerEntry.amount).label("bal"))
        .group_by(LedgerEntry.customer_id)
        .having(func.sum(LedgerEntry.amount) > 0)
        .subquery()
    )
    outstanding = int(session.scalar(select(func.coalesce(func.sum(balances.c.bal), 0))) or 0)
    return Stats(
        today=today_figures,
        daily=daily,
        monthly=list(months.values()),
        top_products=top_products(session, first_day, today, by="quantity"),
        low_stock=low,
        out_of_stock=out,
        outstanding_credit=outstanding,
        payment_methods=[{"method": m, "amount": methods[m]} for m in METHODS],
    )


def page_extras(
    session: Session, dead_stock_days: int, today: date | None = None
) -> dict[str, Any]:
    """What the dashboard page shows beyond the API: top by sales, categories, debtors, counts."""
    today = today or ledger.local_today()
    first_day = today - timedelta(days=DAYS - 1)
    dues = ledger_views.dues(session, "amount", per_page=5)
    return {
        "top_by_sales": top_products(session, first_day, today, by="sales"),
        "categories": sales_by_category(session, first_day, today),
        "debtors": dues.rows,
        "debtor_count": dues.count,
        "cash_in_drawer": cash_sessions.open_drawers_total(session),
        "open_drawers": cash_sessions.open_count(session),
        "dead_stock": reports.dead_stock_count(session, dead_stock_days),
        "low_stock_count": int(
            session.scalar(
                select(func.count())
                .select_from(Product)
                .where(
                    Product.archived.is_(False),
                    Product.stock_milli > 0,
                    Product.stock_milli <= Product.low_stock_milli,
                )
            )
            or 0
        ),
        "out_of_stock_count": int(
            session.scalar(
                select(func.count())
                .select_from(Product)
                .where(Product.archived.is_(False), Product.stock_milli <= 0)
            )
            or 0
        ),
    }
