"""Stock reports: on hand with valuation, movements, dead stock, reorder suggestions."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from posapp.dates import parse_day
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
    (a page); None means `rows` is complete. A streamed report (`collect(..., stream=True)`,
    for a CSV download) has an iterator as `rows`, read once, and its totals are complete
    once that iterator is exhausted.
    """

    title: str
    columns: list[Column]
    rows: list[list[Any]] | Iterator[list[Any]]
    totals: dict[str, int] = field(default_factory=dict)
    count: int | None = None

    @property
    def row_count(self) -> int:
        """How many rows the whole report has."""
        if self.count is not None:
            return self.count
        assert isinstance(self.rows, list), "a streamed report has no row count"
        return len(self.rows)


def collect(
    title: str,
    columns: list[Column],
    source: Iterable[list[Any]],
    totals: Iterable[str] = (),
    *,
    limit: int | None = None,
    stream: bool = False,
) -> Report:
    """A report from rows that arrive one at a time, summing the `totals` columns as they pass.

    A catalog of 100 000 products or a year of sales would otherwise sit in memory as one list
    (and Python keeps the memory after the request). With `limit`, only the first rows are
    kept and `count` says how many there were; with `stream`, the rows go straight through to
    the reader (the CSV writer) and the totals are complete when the last row has been read.
    """
    at = {title: i for i, (title, _kind) in enumerate(columns)}
    sums = {title: 0 for title in totals}
    summed = [(title, at[title]) for title in sums]

    def counted() -> Iterator[list[Any]]:
        for row in source:
            for title, i in summed:
                sums[title] += row[i]
            yield row

    if stream:
        return Report(title, columns, counted(), sums)
    rows: list[list[Any]] = []
    count = 0
    for row in counted():
        count += 1
        if limit is None or count <= limit:
            rows.append(row)
    return Report(title, columns, rows, sums, None if limit is None else count)


def _value(milli: int, unit_minor: int) -> int:
    return round_half_up_div(milli * unit_minor, 1000)


def _category_name() -> Any:
    return func.coalesce(Category.name, "")


def batches(session: Session, stmt: Any) -> Iterator[Any]:
    """The statement's rows, fetched a batch at a time once the first row is asked for.

    Lazy on purpose: a streamed CSV is built before its export is logged (a commit), and its
    query must run after that, in the transaction the download reads from.
    """
    yield from session.execute(stmt.execution_options(yield_per=2000))


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


def parse_range(raw_from: str | None, raw_to: str | None) -> tuple[date, date]:
    """Read a local date range (YYYY-MM-DD); default the last 30 days."""
    today = to_local(utcnow()).date()
    start = parse_day(raw_from, "from") if raw_from else today - timedelta(days=29)
    end = parse_day(raw_to, "to") if raw_to else today
    if end < start:
        raise ValidationError("The range ends before it starts.", field="to")
    try:  # 0001-01-01 or 9999-12-31: the days' UTC bounds fall off the calendar
        local_midnight_utc(start), local_midnight_utc(end + timedelta(days=1))
    except (OverflowError, ValueError):
        raise ValidationError("That date is too far in the past or future.", field="from") from None
    return start, end


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
        raise ValidationError("Unknown reason.", field="reason")
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
        count = int(session.scalar(select(func.count()).select_from(StockMovement).where(*where)))
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
        (_reorder_row(*row, window_days) for row in batches(session, stmt)),
        limit=limit,
        stream=stream,
    )


def _reorder_row(
    code: str,
    name: str,
    supplier: str,
    unit: str,
    stock: int,
    low: int,
    sold_milli: int,
    window_days: int,
) -> list[Any]:
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
