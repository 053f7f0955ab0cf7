"""The report framework: `Report`, `collect`, `batches`, the date range and the CSV rows.

A `Report` is columns, rows and totals; `collect` builds one from rows that arrive one at a
time, `batches` streams a query, `parse_range` reads the date range every report page takes,
and `report_rows` is the one CSV rendering of a report.

Stock reports (`reports.py`), sales and tax reports (`sales_reports.py`), cash sessions and
expenses all answer a `Report`, so pages, totals and CSV share one template and one writer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from posapp.dates import parse_day
from posapp.errors import ValidationError
from posapp.i18n import LazyString, _
from posapp.models.base import local_midnight_utc, to_local, utcnow
from posapp.money import money_str, qty_str

# Column kinds: text, money (minor units), qty ((milli, unit)), number (int), decimal (str),
# time (stored UTC datetime), date (local date). A title is usually `lazy` (module-level), so
# a page and a CSV show it in the reader's language.
# (Typed Any in a column and a totals key so the reports with plain str titles still fit the
# invariant list and dict types.)
Title = str | LazyString
Column = tuple[Any, str]


def title_key(title: Title) -> str:
    """A column title as the code names it (its English message), whatever the language shown:
    totals and charts find their columns by it."""
    return title.message if isinstance(title, LazyString) else title


@dataclass
class Report:
    """A report: columns (title, kind), rows of raw values, and totals by column title.

    `count` is the number of rows of the whole report when `rows` holds only the first ones
    (a page); None means `rows` is complete. A streamed report (`collect(..., stream=True)`,
    for a CSV download) has an iterator as `rows`, read once, and its totals are complete
    once that iterator is exhausted.
    """

    title: Title
    columns: list[Column]
    rows: list[list[Any]] | Iterator[list[Any]]
    totals: dict[Any, int] = field(default_factory=dict)
    count: int | None = None

    @property
    def row_count(self) -> int:
        """How many rows the whole report has."""
        if self.count is not None:
            return self.count
        assert isinstance(self.rows, list), "a streamed report has no row count"
        return len(self.rows)


def collect(
    title: Title,
    columns: list[Column],
    source: Iterable[list[Any]],
    totals: Iterable[Title] = (),
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
    at = {title_key(title): i for i, (title, _kind) in enumerate(columns)}
    # Totals keyed by the column's own title object, so a page finds them in any language.
    sums: dict[Any, int] = {columns[at[title_key(title)]][0]: 0 for title in totals}
    summed = [(title, at[title_key(title)]) for title in sums]

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


def batches(session: Session, stmt: Any) -> Iterator[Any]:
    """The statement's rows, fetched a batch at a time once the first row is asked for.

    Lazy on purpose: a streamed CSV is built before its export is logged (a commit), and its
    query must run after that, in the transaction the download reads from.
    """
    yield from session.execute(stmt.execution_options(yield_per=2000))


def parse_range(raw_from: str | None, raw_to: str | None) -> tuple[date, date]:
    """Read a local date range (YYYY-MM-DD); default the last 30 days."""
    today = to_local(utcnow()).date()
    start = parse_day(raw_from, "from") if raw_from else today - timedelta(days=29)
    end = parse_day(raw_to, "to") if raw_to else today
    if end < start:
        raise ValidationError(_("The range ends before it starts."), field="to")
    try:  # 0001-01-01 or 9999-12-31: the days' UTC bounds fall off the calendar
        local_midnight_utc(start), local_midnight_utc(end + timedelta(days=1))
    except (OverflowError, ValueError):
        raise ValidationError(
            _("That date is too far in the past or future."), field="from"
        ) from None
    return start, end


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
        return str(value.isoformat())
    return str(value)


def report_rows(report: Report) -> Iterator[list[str]]:
    """Yield the report as CSV rows: header, rows, then a totals row if any."""
    yield [str(title) for title, _kind in report.columns]
    for row in report.rows:
        yield [csv_cell(kind, v) for (_title, kind), v in zip(report.columns, row, strict=True)]
    if report.totals:
        yield [
            _("Total") if i == 0 else csv_cell(kind, report.totals.get(title, ""))
            for i, (title, kind) in enumerate(report.columns)
        ]
