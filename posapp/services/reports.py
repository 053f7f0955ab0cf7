"""Stock reports: on hand with valuation, movements, dead stock, reorder suggestions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from posapp.errors import ValidationError
from posapp.models import MOVEMENT_REASONS, Category, Product, StockMovement, User
from posapp.models.base import local_midnight_utc, to_local, utcnow
from posapp.money import money_str, qty_str, round_half_up_div

# Column kinds: text, money (minor units), qty ((milli, unit)), number (int), decimal (str),
# time (stored UTC datetime), date (local date).
Column = tuple[str, str]


@dataclass
class Report:
    """A report: columns (title, kind), rows of raw values, and totals by column title.

    `count` is the number of rows of the whole report when `rows` holds only the first ones
    (a page); None means `rows` is complete.
    """

    title: str
    columns: list[Column]
    rows: list[list[Any]]
    totals: dict[str, int] = field(default_factory=dict)
    count: int | None = None

    @property
    def row_count(self) -> int:
        """How many rows the whole report has."""
        return len(self.rows) if self.count is None else self.count


def _value(milli: int, unit_minor: int) -> int:
    return round_half_up_div(milli * unit_minor, 1000)


def _category_name() -> Any:
    return func.coalesce(Category.name, "")


def stock_on_hand(session: Session) -> Report:
    """Every active product's stock, valued at cost and at selling price."""
    rows = []
    at_cost = at_price = 0
    stmt = (
        select(Product, _category_name())
        .outerjoin(Category, Product.category_id == Category.id)
        .where(Product.archived.is_(False))
        .order_by(Product.name)
        .execution_options(yield_per=2000)
    )
    for product, category in session.execute(stmt):
        cost_value = _value(max(product.stock_milli, 0), product.cost)
        price_value = _value(max(product.stock_milli, 0), product.price)
        at_cost += cost_value
        at_price += price_value
        rows.append(
            [
                product.code,
                product.name,
                category,
                (product.stock_milli, product.unit),
                product.cost,
                cost_value,
                product.price,
                price_value,
            ]
        )
    columns = [
        ("Code", "text"),
        ("Name", "text"),
        ("Category", "text"),
        ("Stock", "qty"),
        ("Cost", "money"),
        ("Value at cost", "money"),
        ("Price", "money"),
        ("Value at price", "money"),
    ]
    return Report(
        "Stock on hand",
        columns,
        rows,
        {"Value at cost": at_cost, "Value at price": at_price},
    )


def parse_range(raw_from: str | None, raw_to: str | None) -> tuple[date, date]:
    """Read a local date range (YYYY-MM-DD); default the last 30 days."""
    today = to_local(utcnow()).date()
    try:
        start = date.fromisoformat(raw_from) if raw_from else today - timedelta(days=29)
        end = date.fromisoformat(raw_to) if raw_to else today
    except ValueError:
        raise ValidationError("Dates are YYYY-MM-DD.", field="from") from None
    if end < start:
        raise ValidationError("The range ends before it starts.", field="to")
    return start, end


def movements(session: Session, start: date, end: date, reason: str | None = None) -> Report:
    """Stock movements between two local dates (inclusive), optionally of one reason."""
    if reason and reason not in MOVEMENT_REASONS:
        raise ValidationError("Unknown reason.", field="reason")
    stmt = (
        select(StockMovement, Product.code, Product.name, Product.unit, User.username)
        .join(Product, Product.id == StockMovement.product_id)
        .outerjoin(User, User.id == StockMovement.user_id)
        .where(
            StockMovement.created_at >= local_midnight_utc(start),
            StockMovement.created_at < local_midnight_utc(end + timedelta(days=1)),
        )
        .order_by(StockMovement.created_at, StockMovement.id)
    )
    if reason:
        stmt = stmt.where(StockMovement.reason == reason)
    rows = [
        [m.created_at, code, name, m.reason, (m.delta_milli, unit), m.ref, m.note, user or ""]
        for m, code, name, unit, user in session.execute(stmt)
    ]
    columns = [
        ("Time", "time"),
        ("Code", "text"),
        ("Name", "text"),
        ("Reason", "text"),
        ("Change", "qty"),
        ("Reference", "text"),
        ("Note", "text"),
        ("User", "text"),
    ]
    return Report("Stock movements", columns, rows)


def dead_stock(session: Session, days: int) -> Report:
    """Products in stock with no sale in the last N days (or never sold)."""
    since = utcnow() - timedelta(days=days)
    last_sale = (
        select(StockMovement.product_id, func.max(StockMovement.created_at).label("last"))
        .where(StockMovement.reason == "sale")
        .group_by(StockMovement.product_id)
        .subquery()
    )
    stmt = (
        select(Product, last_sale.c.last)
        .outerjoin(last_sale, last_sale.c.product_id == Product.id)
        .where(
            Product.archived.is_(False),
            Product.stock_milli > 0,
            (last_sale.c.last.is_(None)) | (last_sale.c.last < since),
        )
        .order_by(last_sale.c.last.is_not(None), last_sale.c.last, Product.name)
    )
    rows = []
    total = 0
    for product, last in session.execute(stmt):
        value = _value(product.stock_milli, product.cost)
        total += value
        rows.append(
            [
                product.code,
                product.name,
                (product.stock_milli, product.unit),
                value,
                last if isinstance(last, datetime) else None,
            ]
        )
    columns = [
        ("Code", "text"),
        ("Name", "text"),
        ("Stock", "qty"),
        ("Value at cost", "money"),
        ("Last sale", "time"),
    ]
    return Report(f"Dead stock (no sale in {days} days)", columns, rows, {"Value at cost": total})


def dead_stock_count(session: Session, days: int) -> int:
    """How many products `dead_stock` lists, by one index seek per product in stock.

    The dashboard needs only the number: each product asks the (product, reason, time) index
    whether it sold since the cut-off, instead of ranking every sale ever made.
    """
    since = utcnow() - timedelta(days=days)
    sold_since = (
        select(StockMovement.id)
        .where(
            StockMovement.product_id == Product.id,
            StockMovement.reason == "sale",
            StockMovement.created_at >= since,
        )
        .exists()
    )
    stmt = (
        select(func.count())
        .select_from(Product)
        .where(Product.archived.is_(False), Product.stock_milli > 0, ~sold_since)
    )
    return int(session.scalar(stmt) or 0)


def reorder_suggestions(session: Session, window_days: int = 30) -> Report:
    """Products at or below their threshold, with average daily sales and days of cover."""
    since = utcnow() - timedelta(days=window_days)
    sold = (
        select(StockMovement.product_id, (-func.sum(StockMovement.delta_milli)).label("sold"))
        .where(StockMovement.reason == "sale", StockMovement.created_at >= since)
        .group_by(StockMovement.product_id)
        .subquery()
    )
    stmt = (
        select(Product, func.coalesce(sold.c.sold, 0))
        .outerjoin(sold, sold.c.product_id == Product.id)
        .where(Product.archived.is_(False), Product.stock_milli <= Product.low_stock_milli)
        .order_by(Product.supplier, Product.name)
    )
    rows = []
    for product, sold_milli in session.execute(stmt):
        daily = round_half_up_div(int(sold_milli), window_days)  # thousandths per day
        if daily > 0:
            cover_tenths = max(0, product.stock_milli) * 10 // daily
            cover = f"{cover_tenths // 10}.{cover_tenths % 10}"
        else:
            cover = "no sales"
        # Enough for another window of sales plus the warning level, less what is there.
        need = int(sold_milli) + product.low_stock_milli - product.stock_milli
        if product.unit == "pcs":
            need = -(-need // 1000) * 1000
        rows.append(
            [
                product.code,
                product.name,
                product.supplier,
                (product.stock_milli, product.unit),
                (product.low_stock_milli, product.unit),
                (daily, product.unit),
                cover,
                (max(need, 0), product.unit),
            ]
        )
    columns = [
        ("Code", "text"),
        ("Name", "text"),
        ("Supplier", "text"),
        ("Stock", "qty"),
        ("Warning level", "qty"),
        (f"Avg daily sales ({window_days} d)", "qty"),
        ("Days of cover", "decimal"),
        ("Suggested order", "qty"),
    ]
    return Report("Reorder suggestions", columns, rows)


def csv_cell(kind: str, value: Any) -> str:
    """Render one report value for CSV: exact decimals, ISO local times."""
    if value is None or value == "":
        return ""
    if kind == "money":
        return money_str(value)
    if kind == "qty":
        milli, unit = value
        return qty_str(milli, unit)
    if kind == "time":
        return to_local(value).isoformat(timespec="seconds")
    if kind == "date":
        return value.isoformat()
    return str(value)


def report_rows(report: Report) -> Iterator[list[str]]:
    """Yield the report as CSV rows: header, rows, then a totals row if any."""
    yield [title for title, _ in report.columns]
    for row in report.rows:
        yield [csv_cell(kind, v) for (_, kind), v in zip(report.columns, row, strict=True)]
    if report.totals:
        yield [
            "Total" if i == 0 else csv_cell(kind, report.totals.get(title, ""))
            for i, (title, kind) in enumerate(report.columns)
        ]
