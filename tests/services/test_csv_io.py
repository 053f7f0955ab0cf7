"""CSV safety shared by exports and imports: neutralising, its undo, rows and the writer."""

from __future__ import annotations

import csv
import io

from posapp.services import csv_io


def test_unneutralise_undoes_exactly_what_neutralise_did() -> None:
    for cell in ("=1+1", "+12", "@SUM(A1)", "-2+3", "\tx", "-0.50", "plain", "'quoted", ""):
        assert csv_io.unneutralise(csv_io.neutralise(cell)) == cell
    assert csv_io.unneutralise("'") == "'"  # a lone quote is text, not a defused formula


def test_safe_rows_writes_none_as_empty_and_defuses_every_cell() -> None:
    rows = list(csv_io.safe_rows([[1, None, "=cmd", "-5"]]))
    assert rows == [["1", "", "'=cmd", "-5"]]


def test_csv_text_starts_with_a_bom_and_streams_in_chunks() -> None:
    chunks = list(csv_io.csv_text([str(i), "x"] for i in range(2500)))
    assert chunks[0] == csv_io.BOM
    assert len(chunks) == 4  # BOM, two chunks of 1 000 rows, then the last 500
    parsed = list(csv.reader(io.StringIO("".join(chunks).removeprefix(csv_io.BOM))))
    assert len(parsed) == 2500 and parsed[-1] == ["2499", "x"]
