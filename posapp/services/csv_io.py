"""CSV safety shared by every export and import: formula neutralising, its undo, the writer.

Every CSV the app writes is UTF-8 with a BOM (Excel then reads ₹ and accents) and has each
cell neutralised against formula injection; an import undoes exactly that neutralising, so
our own exports read back unchanged. Keeping the rule in one place means an export and the
import of the same file can never disagree about it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from typing import Any

BOM = "\ufeff"
# What a spreadsheet takes as the start of a formula (tab and CR too: Excel strips them first).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
FLUSH_ROWS = 1000  # rows buffered before a chunk is handed to the response


def neutralise(cell: str) -> str:
    """Defuse a cell a spreadsheet would run as a formula (=, +, -, @) by prefixing a quote.

    A plain negative amount ("-0.50", a refund or a shortage) is no formula: it stays a number
    Excel can add up. Anything else starting with "-" ("-2+3") is defused.
    """
    if cell.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def unneutralise(cell: str) -> str:
    """Undo `neutralise` on an imported cell ('=..., '-3), so our own exports round-trip."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in FORMULA_STARTS:
        return cell[1:]
    return cell


def safe_rows(rows: Iterable[Iterable[Any]]) -> Iterator[list[str]]:
    """Yield rows as neutralised text cells (None becomes an empty cell)."""
    for row in rows:
        yield [neutralise("" if cell is None else str(cell)) for cell in row]


def csv_text(rows: Iterable[list[str]]) -> Iterator[str]:
    """Render rows as CSV text chunks (UTF-8 BOM first, so Excel reads the ₹ and accents)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    yield BOM
    for i, row in enumerate(rows):
        writer.writerow(row)
        if i % FLUSH_ROWS == FLUSH_ROWS - 1:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
