"""A streamed .xlsx workbook of exported tables: one sheet per table, a README sheet first.

openpyxl's write-only mode keeps no rows in memory (each sheet goes to a temporary file until
the workbook is saved), so a shop with years of bills exports with flat memory. The rows are
the CSV export's rows, already neutralised against formula injection. Amounts and quantities
go in as numbers, built with `decimal.Decimal` from the exact decimal text (never a float) and
shown with the CSV's decimals, so Excel can add them up; every other cell is text. openpyxl
would read a str starting with "=" as a formula and "#N/A" as an error, so any text it could
read that way is written with its type forced to string. Characters an .xlsx cannot hold (control
characters) are dropped, and Excel keeps at most 32,767 characters in a cell.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from posapp.services.csv_io import PLAIN_NUMBER

README = "README"
MAX_TITLE = 31  # Excel refuses longer sheet names
MAX_ROWS = 1_048_576  # Excel's rows per sheet; a bigger table continues on another sheet
# Control characters XML 1.0 (so an .xlsx) cannot hold; openpyxl would raise on them.
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# What openpyxl reads into a str: a formula ("=...") or an error value ("#N/A"). Such cells are
# built with their type forced to text.
RISKY = ("=", "#")


def sheet_title(table: str, part: int = 1) -> str:
    """The sheet of a table (its 2nd, 3rd... part when it outgrows one), at most 31 characters."""
    suffix = "" if part == 1 else f" ({part})"
    return table[: MAX_TITLE - len(suffix)] + suffix


def number_format(text: str) -> str:
    """Excel's format showing a number with as many decimals as its text ("12.50" -> 0.00)."""
    decimals = len(text.partition(".")[2])
    return "0." + "0" * decimals if decimals else "0"


class Book:
    """A write-only workbook; add tables in order with `table`, then `save` (or `discard`)."""

    def __init__(self, max_rows: int = MAX_ROWS) -> None:
        self._book = Workbook(write_only=True)
        self._max_rows = max_rows
        # Created first so it is the first sheet; its rows come last (they count the tables').
        self._readme = self._book.create_sheet(README)
        for column, width in (("A", 24), ("B", 28), ("C", 100)):
            self._readme.column_dimensions[column].width = width  # the notes read without resizing
        # Per table: its header, and its sheets with the rows each holds (header excluded).
        self.headers: dict[str, list[str]] = {}
        self.sheets: dict[str, list[tuple[str, int]]] = {}

    def _start_sheet(self, name: str, header: list[str]) -> Any:
        """Open the table's next sheet with its header row; count it in `sheets`."""
        parts = self.sheets.setdefault(name, [])
        title = sheet_title(name, len(parts) + 1)
        sheet = self._book.create_sheet(title)
        sheet.freeze_panes = "A2"  # the header stays in view while scrolling
        sheet.append([self._text(sheet, column) for column in header])
        parts.append((title, 0))
        return sheet

    def _text(self, sheet: Any, value: str) -> Any:
        cell = WriteOnlyCell(sheet, ILLEGAL.sub("", value))
        cell.data_type = "s"  # never a formula or an error value, whatever the text
        return cell

    def _cells(self, sheet: Any, row: Sequence[str], numeric: Sequence[bool]) -> list[Any]:
        cells: list[Any] = []
        for value, is_number in zip(row, numeric, strict=False):
            if value == "":
                cells.append(None)
            elif is_number and PLAIN_NUMBER.fullmatch(value):
                cell = WriteOnlyCell(sheet, Decimal(value))
                cell.number_format = number_format(value)
                cells.append(cell)
            elif value.startswith(RISKY) or ILLEGAL.search(value):
                cells.append(self._text(sheet, value))
            else:
                # openpyxl stores any other str as a plain string cell; handing it over as is
                # skips building a cell object per value (most of an export's cells).
                cells.append(value)
        return cells

    def table(
        self, name: str, rows: Iterable[list[str]], numeric: Collection[str] = ()
    ) -> Iterator[list[str]]:
        """Pass a table's rows (header first) through, copying each into the table's sheet.

        Columns named in `numeric` hold amounts or quantities: a plain decimal there becomes a
        number, anything else stays text. Past Excel's row limit the rows continue on a second
        sheet ("name (2)") under the same header.
        """
        rows = iter(rows)
        header = next(rows, None)
        if header is None:
            return
        yield header
        self.headers[name] = header
        is_number = [column in numeric for column in header]
        # Opened before the first row, so an empty table still gets its sheet with the header.
        sheet = self._start_sheet(name, header)
        filled = 1
        for row in rows:
            if filled >= self._max_rows:
                sheet = self._start_sheet(name, header)
                filled = 1
            sheet.append(self._cells(sheet, row, is_number))
            filled += 1
            title, count = self.sheets[name][-1]
            self.sheets[name][-1] = (title, count + 1)
            yield row

    def add(self, name: str, rows: Iterable[list[str]], numeric: Collection[str] = ()) -> int:
        """Copy a whole table into the workbook; return how many rows (header excluded)."""
        for _ in self.table(name, rows, numeric):
            pass
        return sum(count for _, count in self.sheets.get(name, []))

    def readme(self, rows: Iterable[Sequence[str]]) -> None:
        """Write the README sheet's rows (all text)."""
        for row in rows:
            self._readme.append([self._text(self._readme, cell) for cell in row])

    def save(self, out: str | IO[bytes]) -> None:
        """Write the .xlsx to a path or a seekable binary file; the temporary files go."""
        self._book.save(out)

    def discard(self) -> None:
        """Drop an unsaved workbook's temporary files now (openpyxl would wait for exit)."""
        # openpyxl keeps each write-only sheet's temporary file on its (private) writer and
        # offers no public way to drop it; without this a failed export's files stay until exit.
        for sheet in self._book.worksheets:
            writer = getattr(sheet, "_writer", None)
            if writer is None:
                continue
            try:
                if not sheet.closed:
                    sheet.close()
                writer.cleanup()
            except (OSError, ValueError):
                continue
