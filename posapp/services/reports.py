"""Stock reports: on hand with valuation, movements, dead stock, reorder suggestions.

Each is a `report_framework.Report`; the framework (collect, batches, CSV rows) is there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from posapp.errors import ValidationError
from posapp.i18n import _
from posapp.models import MOVEMENT_REASONS, Category, Product, StockMovement, User
from posapp.models.base import local_midnight_utc, utcnow
from posapp.money import round_half_up_div
from posapp.services.report_framework import Column, Report, batches, collect


def _value(milli: int, unit_minor: int) -> int:
    return round_half_up_div(milli * unit_minor, 1000)


def _category_name() -> Any:
    return func.coalesce(Category.name, "")


def stock_on_hand(session: Session, *, limit: int | None = None, stream: bool = False) -> Report:
    """Every active product's stock, valued at cost and at selling price."""
    stmt = (
        select(
            Product.code,
            Product.name,
            _category_name(),
            Product.stock_milli,
            Product.unit,
            Product.cost,
            Product.price,
        )
        .outerjoin(Category, Product.category_id == Category.id)
        .where(Product.archived.is_(False))
        .order_by(Product.name, Product.id)
    )
    rows = (
        [
            code,
            name,
            category,
            (stock, unit),
            cost,
            _value(max(stock, 0), cost),
            price,
            _value(max(stock, 0), price),
        ]
        for code, name, category, stock, unit, cost, price in batches(session, stmt)
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
    return collect(
        "Stock on hand",
        columns,
        rows,
        ["Value at cost", "Value at price"],
        limit=limit,
        stream=stream,
    )


def movements(
    session: Session,
    start: date,
    end: date,
    reason: str | None = None,
    *,
    limit: int | None = None,
    stream: bool = False,
) -> Report:
    """Stock movements between two local dates (inclusive), optionally of one reason.

    A year of a busy shop is hundreds of thousands of movements: a page (`limit`) counts them
    in SQL and reads only the first ones.
    """
    if reason and reason not in MOVEMENT_REASONS:
        raise ValidationError(_("Unknown reason."), field="reason")
    where = [
        StockMovement.created_at >= local_midnight_utc(start),
        StockMovement.created_at < local_midnight_utc(end + timedelta(days=1)),
    ]
    if reason:
        where.append(StockMovement.reason == reason)
    stmt = (
        select(
            StockMovement.created_at,
            Product.code,
            Product.name,
            StockMovement.reason,
            StockMovement.delta_milli,
            Product.unit,
            StockMovement.ref,
            StockMovement.note,
            User.username,
        )
        .join(Product, Product.id == StockMovement.product_id)
        .outerjoin(User, User.id == StockMovement.user_id)
        .where(*where)
        .order_by(StockMovement.created_at, StockMovement.id)
    )
    count = None
    if limit is not None:
        count = int(
            session.scalar(select(func.count()).select_from(StockMovement).where(*where)) or 0
        )
        stmt = stmt.limit(limit)
    rows = (
        [created, code, name, why, (delta, unit), ref, note, user or ""]
        for created, code, name, why, delta, unit, ref, note, user in batches(session, stmt)
    )
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
    if stream:
        return collect("Stock movements", columns, rows, stream=True)
    return Report("Stock movements", columns, list(rows), count=count)  # paged in SQL


def dead_stock(
    session: Session, days: int, *, limit: int | None = None, stream: bool = False
) -> Report:
    """Products in stock with no sale in the last N days (or never sold)."""
    since = utcnow() - timedelta(days=days)
    last_sale = (
        select(StockMovement.product_id, func.max(StockMovement.created_at).label("last"))
        .where(StockMovement.reason == "sale")
        .group_by(StockMovement.product_id)
        .subquery()
    )
    stmt = (
        select(
            Product.code,
            Product.name,
            Product.stock_milli,
            Product.unit,
            Product.cost,
            last_sale.c.last,
        )
        .outerjoin(last_sale, last_sale.c.product_id == Product.id)
        .where(
            Product.archived.is_(False),
            Product.stock_milli > 0,
            (last_sale.c.last.is_(None)) | (last_sale.c.last < since),
        )
        .order_by(last_sale.c.last.is_not(None), last_sale.c.last, Product.name, Product.id)
    )
    rows = (
        [
            code,
            name,
            (stock, unit),
            _value(stock, cost),
            last if isinstance(last, datetime) else None,
        ]
        for code, name, stock, unit, cost, last in batches(session, stmt)
    )
    columns = [
        ("Code", "text"),
        ("Name", "text"),
        ("Stock", "qty"),
        ("Value at cost", "money"),
        ("Last sale", "time"),
    ]
    return collect(
        f"Dead stock (no sale in {days} days)",
        columns,
        rows,
        ["Value at cost"],
        limit=limit,
        stream=stream,
    )


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


def reorder_suggestions(
    session: Session, window_days: int = 30, *, limit: int | None = None, stream: bool = False
) -> Report:
    """Products at or below their threshold, with average daily sales and days of cover."""
    since = utcnow() - timedelta(days=window_days)
    sold = (
        select(StockMovement.product_id, (-func.sum(StockMovement.delta_milli)).label("sold"))
        .where(StockMovement.reason == "sale", StockMovement.created_at >= since)
        .group_by(StockMovement.product_id)
        .subquery()
    )
    stmt = (
        select(
            Product.code,
            Product.name,
            Product.supplier,
            Product.unit,
            Product.stock_milli,
            Product.low_stock_milli,
            func.coalesce(sold.c.sold, 0),
        )
        .outerjoin(sold, sold.c.product_id == Product.id)
        .where(Product.archived.is_(False), Product.stock_milli <= Product.low_stock_milli)
        .order_by(Product.supplier, Product.name, Product.id)
    )
    return collect(
        "Reorder suggestions",
        _reorder_columns(window_days),
        (_reorder_row(row, window_days) for row in batches(session, stmt)),
        limit=limit,
        stream=stream,
    )


def _reorder_row(row: Sequence[Any], window_days: int) -> list[Any]:
    """One suggestion from (code, name, supplier, unit, stock, low stock, sold) thousandths."""
    code, name, supplier, unit, stock, low, sold_milli = row
    daily = round_half_up_div(int(sold_milli), window_days)  # thousandths per day
    if daily > 0:
        cover_tenths = max(0, stock) * 10 // daily
        cover = f"{cover_tenths // 10}.{cover_tenths % 10}"
    else:
        cover = "no sales"
    # Enough for another window of sales plus the warning level, less what is there.
    need = int(sold_milli) + low - stock
    if unit == "pcs":
        need = -(-need // 1000) * 1000
    return [
        code,
        name,
        supplier,
        (stock, unit),
        (low, unit),
        (daily, unit),
        cover,
        (max(need, 0), unit),
    ]


def _reorder_columns(window_days: int) -> list[Column]:
    return [
        ("Code", "text"),
        ("Name", "text"),
        ("Supplier", "text"),
        ("Stock", "qty"),
        ("Warning level", "qty"),
        (f"Avg daily sales ({window_days} d)", "qty"),
        ("Days of cover", "decimal"),
        ("Suggested order", "qty"),
    ]
