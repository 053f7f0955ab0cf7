"""Document numbers a restore cannot hand out twice: high-water marks kept beside the database.

Restoring an older backup rolls the database's counters back, and without help the next sale
would take a tax invoice number that already went to a customer. So the highest number of each
series is also kept in `numbers.json` in the data folder, which a restore does not replace:

- it is refreshed from the live database right before a restore swaps the file out, after
  every backup, and when TillBook closes;
- the restored copy's counters are raised to it before the copy is swapped in, so numbering
  continues after the highest number ever issued; the numbers skipped that way (they belong to
  the restored-over data, kept in the before-restore backup) are recorded as lost ranges, in
  the file and in the restored database's settings (`check` accepts them as known gaps, the
  Backups page lists them).

The database file is read and written with plain sqlite3 on its path (a restore works on a file
no app is bound to). This is SQLite-only: a database server is restored with its own tools.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from posapp.i18n import _, lazy
from posapp.services import settings

log = logging.getLogger(__name__)
MARKS_FILE = "numbers.json"
LOST_KEY = "numbers_lost"  # settings key in the database: the ranges a restore skipped
KIND_NAMES = {
    "invoice": lazy("Invoice"),
    "credit_note": lazy("Credit note"),
    "purchase": lazy("Purchase"),
    "debit_note": lazy("Debit note"),
    "count": lazy("Stock count"),
    "ean": lazy("Internal barcode"),
}

Series = tuple[str, int]  # (kind, financial year)


@dataclass(frozen=True)
class LostRange:
    """Numbers of one series issued in data a restore replaced: first..last, both included."""

    kind: str
    fy: int
    first: int
    last: int
    restored_at: str = ""
    source: str = ""

    @property
    def count(self) -> int:
        """How many numbers the range holds."""
        return self.last - self.first + 1

    def describe(self) -> str:
        """Say in words which numbers were lost, e.g. "Invoice numbers 4 to 5 of FY 2026"."""
        known = KIND_NAMES.get(self.kind)
        name = str(known) if known else self.kind.replace("_", " ").capitalize()
        # Whole sentences, so a language can order the number, the range and the year.
        values = {"name": name, "first": self.first, "last": self.last, "fy": self.fy}
        if self.first == self.last:
            if self.fy:
                return _("%(name)s numbers %(first)s of FY %(fy)s", **values)
            return _("%(name)s numbers %(first)s", **values)
        if self.fy:
            return _("%(name)s numbers %(first)s to %(last)s of FY %(fy)s", **values)
        return _("%(name)s numbers %(first)s to %(last)s", **values)


def _key(series: Series) -> str:
    return f"{series[0]}/{series[1]}"


def _series(key: str) -> Series | None:
    kind, _, fy = key.rpartition("/")
    return (kind, int(fy)) if kind and fy.isdigit() else None


def marks_path(data_dir: Path) -> Path:
    """Return where the high-water marks live in a data folder."""
    return Path(data_dir) / MARKS_FILE


def load_marks(data_dir: Path) -> tuple[dict[Series, int], list[LostRange]]:
    """Read the high-water marks and the lost ranges; a missing or damaged file is empty."""
    try:
        raw = json.loads(marks_path(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, []
    if not isinstance(raw, dict):
        return {}, []
    marks: dict[Series, int] = {}
    for key, value in (raw.get("high") or {}).items():
        series = _series(str(key))
        if series is not None and isinstance(value, int) and not isinstance(value, bool):
            marks[series] = value
    return marks, _ranges(raw.get("lost"))


def _ranges(raw: Any) -> list[LostRange]:
    found: list[LostRange] = []
    for item in raw if isinstance(raw, list) else []:
        try:
            found.append(
                LostRange(
                    str(item["kind"]),
                    int(item["fy"]),
                    int(item["first"]),
                    int(item["last"]),
                    str(item.get("restored_at", "")),
                    str(item.get("source", "")),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return found


def _save(data_dir: Path, marks: Mapping[Series, int], lost: list[LostRange]) -> None:
    """Write the file atomically: a crash leaves the old file or the new one, never half."""
    path = marks_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "high": {_key(s): n for s, n in sorted(marks.items())},
        "lost": [asdict(r) for r in lost],
    }
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(body, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(partial, path)


def read_counters(db_file: Path) -> dict[Series, int]:
    """Read every counter of a database file (empty when it has none yet)."""
    connection = sqlite3.connect(
        f"{Path(db_file).resolve().as_uri()}?mode=ro", uri=True, timeout=15
    )
    try:
        rows = connection.execute("SELECT kind, fy, last FROM document_counters").fetchall()
    except sqlite3.DatabaseError:
        return {}
    finally:
        connection.close()
    return {(str(kind), int(fy)): int(last) for kind, fy, last in rows}


def remember(data_dir: Path, db_file: Path) -> dict[Series, int]:
    """Raise the marks in the data folder to the database's counters; return the marks."""
    marks, lost = load_marks(data_dir)
    changed = False
    for series, last in read_counters(db_file).items():
        if last > marks.get(series, 0):
            marks[series] = last
            changed = True
    if changed or not marks_path(data_dir).exists():
        _save(data_dir, marks, lost)
    return marks


def carry_forward(
    data_dir: Path, db_file: Path, *, restored_at: str = "", source: str = ""
) -> list[LostRange]:
    """Raise a database file's counters to the marks; record and return the numbers skipped.

    Called on a restored copy before it is swapped in (and at start, for a file copied in by
    hand): the next invoice then takes the number after the highest one ever issued.
    """
    marks, lost = load_marks(data_dir)
    counters = read_counters(db_file)
    skipped = [
        LostRange(kind, fy, counters.get((kind, fy), 0) + 1, top, restored_at, source)
        for (kind, fy), top in sorted(marks.items())
        if top > counters.get((kind, fy), 0)
    ]
    if not skipped:
        return []
    connection = sqlite3.connect(str(db_file), timeout=15)
    try:
        with connection:
            for gap in skipped:
                connection.execute(
                    "INSERT INTO document_counters (kind, fy, last) VALUES (?, ?, ?) "
                    "ON CONFLICT(kind, fy) DO UPDATE SET last = excluded.last",
                    (gap.kind, gap.fy, gap.last),
                )
            stored = settings.read_in(connection, LOST_KEY)
            known = _ranges(_loads(stored) if stored else [])
            settings.write_in(
                connection, LOST_KEY, json.dumps([asdict(r) for r in known + skipped])
            )
    finally:
        connection.close()
    _save(data_dir, marks, lost + skipped)
    log.warning("numbers skipped after a restore: %s", "; ".join(g.describe() for g in skipped))
    return skipped


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return []


def lost_ranges(session: Session) -> list[LostRange]:
    """Return the number ranges restores skipped, as recorded in the database, oldest first."""
    value = settings.stored_value(session, LOST_KEY)
    return _ranges(_loads(value)) if value else []


def lost_in(ranges: list[LostRange], kind: str, fy: int, top: int) -> int:
    """Count the skipped numbers of a series at or below its highest number `top`."""
    seen: set[int] = set()
    for gap in ranges:
        if gap.kind == kind and gap.fy == fy:
            seen.update(range(gap.first, min(gap.last, top) + 1))
    return len(seen)
