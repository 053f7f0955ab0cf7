"""Read an uploaded table, CSV or Excel workbook, into text cells with their line numbers.

One reader for the switch-in imports (customers, suppliers, opening stock): the CSV side uses
the product import's decoding and delimiter rules (`catalog_csv`), so a file the product import
reads is read the same way here. A workbook (`.xlsx`, read with openpyxl in read-only mode, a
row at a time) gives its cells as the text a person sees: whole numbers without ".0", dates as
YYYY-MM-DD, true/false as yes/no. Excel keeps a typed number as a binary double; its shortest
decimal form (`repr`) is what was typed, and it is read as text from there, so no float
reaches an amount.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from posapp.errors import ValidationError
from posapp.i18n import _, lazy
from posapp.services.catalog_csv import (
    DECIMAL_COMMA,
    detect_codec,
    first_line,
    norm_header,
    sniff_delimiter,
)
from posapp.services.csv_io import unneutralise

XLSX_MAGIC = b"PK\x03\x04"
MAX_COLUMNS = 100
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
# How a CSV file was read, in the user's language for the preview.
READ_AS = {
    ",": lazy("CSV, comma-separated, %(encoding)s"),
    ";": lazy("CSV, semicolon-separated, %(encoding)s"),
    "\t": lazy("CSV, tab-separated, %(encoding)s"),
}


@dataclass
class Table:
    """A table read from a file: its headings and its non-blank rows (line, cells)."""

    headers: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    # How it was read ("CSV, semicolon-separated, UTF-8"): `source` in English for the audit
    # log, which keeps the same words whoever imports; `read_as` in the user's language.
    source: str = ""
    read_as: str = ""
    # A ";"-separated CSV is what Excel writes where the comma is the decimal mark.
    decimal_comma: bool = False

    def cell(self, cells: list[str], column: int | None) -> str:
        """The row's cell in a column (empty when the row is short or no column is mapped)."""
        if column is None or column >= len(cells):
            return ""
        return cells[column]

    def number(self, cells: list[str], column: int | None) -> str:
        """A cell meant as a number: 45,50 in a decimal-comma file becomes 45.50."""
        text = self.cell(cells, column)
        if self.decimal_comma and DECIMAL_COMMA.fullmatch(text):
            return text.replace(",", ".")
        return text


def read_table(source: Path, *, max_rows: int, sheet_hint: str = "") -> Table:
    """Read a CSV or XLSX upload; a workbook's sheet named like `sheet_hint` is preferred."""
    with source.open("rb") as binary:
        head = binary.read(4)
    if head == XLSX_MAGIC:
        return _read_xlsx(source, max_rows, sheet_hint)
    return _read_csv(source, max_rows)


def _check_rows(table: Table, max_rows: int) -> Table:
    if len(table.rows) > max_rows:
        raise ValidationError(
            _("A file takes at most %(rows)s rows.", rows=f"{max_rows:,}"), field="file"
        )
    if not table.rows:
        raise ValidationError(_("The file has a header line but no rows."), field="file")
    return table


def _headers(cells: list[str]) -> list[str]:
    if len(cells) > MAX_COLUMNS:
        raise ValidationError(
            _("A file takes at most %(columns)s columns.", columns=MAX_COLUMNS), field="file"
        )
    if not any(norm_header(c) for c in cells):
        raise ValidationError(
            _("The first line must name the columns (see the template)."), field="file"
        )
    return [c.strip() for c in cells]


def _read_csv(path: Path, max_rows: int) -> Table:
    with path.open("rb") as binary:
        codec, errors, encoding = detect_codec(binary)
        delimiter = sniff_delimiter(first_line(binary, codec, errors))
        binary.seek(0)
        with io.TextIOWrapper(binary, encoding=codec, errors=errors, newline="") as text:
            reader = csv.reader(text, delimiter=delimiter)
            try:
                table = Table(_headers(next(reader)))
                line = reader.line_num
                for cells in reader:
                    start, line = line + 1, reader.line_num
                    if any(c.strip() for c in cells):
                        table.rows.append((start, [unneutralise(c.strip()) for c in cells]))
                        if len(table.rows) > max_rows:
                            break
            except csv.Error as exc:
                raise ValidationError(
                    _(
                        "Line %(line)s: the file cannot be read (%(reason)s).",
                        line=reader.line_num,
                        reason=exc,
                    ),
                    field="file",
                ) from None
            except StopIteration:
                raise ValidationError(_("The file is empty."), field="file") from None
    table.source = f"CSV, {DELIMITERS[delimiter]}-separated, {encoding}"
    table.read_as = str(READ_AS[delimiter]) % {"encoding": encoding}
    table.decimal_comma = delimiter == ";"
    return _check_rows(table, max_rows)


def xlsx_text(value: Any) -> str:
    """A workbook cell as the text a person sees in it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # repr is the shortest decimal that reads back as this double: what was typed.
        text = repr(value)
        return text.removesuffix(".0") if "e" not in text else text
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return unneutralise(str(value).strip())


def _pick_sheet(names: list[str], hint: str) -> str:
    wanted = norm_header(hint)
    for name in names:
        if wanted and norm_header(name) == wanted:
            return name
    for name in names:
        if norm_header(name) != "readme":
            return name
    raise ValidationError(_("The workbook has no sheet with data."), field="file")


def _read_xlsx(path: Path, max_rows: int, hint: str) -> Table:
    import openpyxl  # imported here: only a workbook upload needs it
    from openpyxl.utils.exceptions import InvalidFileException

    # A file object, not the path: openpyxl judges a path by its extension, and an upload
    # waits under a name of TillBook's choosing.
    with path.open("rb") as handle:
        try:
            book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
            raise ValidationError(
                _(
                    "This is not an Excel workbook TillBook can read (%(reason)s); save it "
                    "again as .xlsx or as CSV.",
                    reason=exc.__class__.__name__,
                ),
                field="file",
            ) from None
        try:
            name = _pick_sheet(list(book.sheetnames), hint)
            table = _sheet_table(book[name], max_rows)
        finally:
            book.close()
    if table is None:
        raise ValidationError(_("The sheet %(name)s is empty.", name=repr(name)), field="file")
    table.source = f"Excel workbook, sheet {name!r}"
    table.read_as = _("Excel workbook, sheet %(name)s", name=repr(name))
    return _check_rows(table, max_rows)


def _sheet_table(sheet: Any, max_rows: int) -> Table | None:
    """The sheet's first non-blank row as headings, then every non-blank row."""
    table: Table | None = None
    rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1)
    for number, values in enumerate(rows, start=1):
        cells = [xlsx_text(v) for v in values]
        while cells and not cells[-1]:  # read-only rows are padded to the widest row
            cells.pop()
        if table is None:
            if cells:
                table = Table(_headers(cells))
            continue
        if cells:
            table.rows.append((number, cells))
            if len(table.rows) > max_rows:
                break
    return table
