"""Product CSV: import (decode, sniff, alias headers, plan, all-or-nothing apply), export, template.

The formula neutralising and the CSV writer are `services/csv_io.py`, shared with every export.

Import happens in two steps. `plan_import` reads the file and answers what would happen (rows
to create, rows to update by code, every bad row with its line number) without writing.
`apply_import` plans again inside one write transaction (the catalog may have changed since the
preview) and writes every row, or nothing if any row is bad. Both read the file a row at a
time (from disk, given its path) and ask and write the database a batch of rows at a time:
beyond the list of bad rows, the memory an import takes does not grow with the file.

Numbers are read exactly as the product form reads them (money.parse_money/parse_quantity:
ASCII digits with at most one "." and nothing else, so "1,234.50", "1e3" and "1_0" are bad
rows), with one locale rule of the file's own: in a ";"-separated file, the form Excel writes
where the comma is the decimal mark, a cell like 45,50 means 45.50.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from sqlalchemy import BindParameter, Row, bindparam, insert, select, update
from sqlalchemy.orm import Session

from posapp.errors import ValidationError
from posapp.i18n import _, ngettext
from posapp.models import Category, Product, StockMovement
from posapp.models.base import table, utcnow, write_transaction
from posapp.money import (
    ean13_check_digit,
    money_str,
    parse_money,
    parse_signed_quantity,
    percent_str,
    qty_str,
)
from posapp.services import audit, books, counters, scale_labels, translit
from posapp.services.books import cr, dr, issue_value
from posapp.services.catalog import INTERNAL_EAN_PREFIX, aliases_text, parse_product_fields
from posapp.services.csv_io import neutralise, unneutralise
from posapp.services.settings import load_settings
from posapp.vocabulary import parse_flag

MAX_ROWS = 200_000
# Rows looked up by code, and rows written, together. Bigger batches left the server holding
# more memory after an import (100 000 rows: 1 000 kept 2 MB more than 500; 2 000, 6 MB more).
BATCH = 500
READ_CHUNK = 256 * 1024  # bytes decoded at a time when checking the encoding
SAMPLE = 10  # new products shown in the preview
EXPORT_COLUMNS = (
    "code",
    "name",
    "category",
    "unit",
    "price",
    "mrp",
    "cost",
    "tax_rate",
    "hsn",
    "stock",
    "low_stock_threshold",
    "supplier",
    "location",
    "color",
    "scale_plu",
    "aliases",
    "perishable",
    "archived",
    # What the stock is worth in the books: a new product's opening stock enters at it (an
    # export read back keeps its book value; without it, stock × cost).
    "stock_value",
)
# Header names are compared lower-cased with everything but letters and digits removed.
ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("code", "barcode", "sku", "ean", "upc", "itemcode", "productcode"),
    "name": ("name", "productname", "product", "item", "itemname", "title"),
    "category": ("category", "categoryname", "group", "department"),
    "unit": ("unit", "uom", "units"),
    "price": ("price", "sellingprice", "saleprice", "salesprice", "sp", "rate"),
    "mrp": ("mrp", "maxretailprice"),
    "cost": ("cost", "costprice", "purchaseprice", "cp", "buyprice"),
    "tax_rate": ("taxrate", "tax", "gst", "gstrate", "vat", "taxpercent", "gstpercent"),
    "hsn": ("hsn", "hsncode", "sac", "hsnsac", "hsnsaccode"),
    "stock": ("stock", "qty", "quantity", "openingstock", "onhand", "stockqty"),
    "low_stock_threshold": (
        "lowstockthreshold",
        "lowstock",
        "reorderlevel",
        "reorderpoint",
        "minstock",
        "minimumstock",
    ),
    "supplier": ("supplier", "vendor"),
    "location": ("location", "shelf", "rack", "bin"),
    "color": ("color", "colour"),
    "scale_plu": ("scaleplu", "plu", "scalecode"),
    "aliases": ("aliases", "alias", "searchwords", "keywords", "othernames"),
    "perishable": ("perishable", "perishables"),
    "archived": ("archived", "inactive"),
    "stock_value": ("stockvalue", "closingvalue", "inventoryvalue", "bookvalue"),
}
HEADER_TO_FIELD = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
NUMERIC_FIELDS = ("price", "mrp", "cost", "tax_rate", "stock", "low_stock_threshold",
                  "stock_value")  # fmt: skip
DECIMAL_COMMA = re.compile(r"-?\d+,\d+")
# The codes go in as an expanding parameter at execution: a literal list would stay in
# SQLAlchemy's statement cache with the compiled statement, long after the import.
CODES: BindParameter[list[str]] = bindparam("codes", expanding=True)
UPDATABLE = ("code", "name", "unit", "price", "cost", "mrp", "tax_rate_bp", "hsn", "supplier",
             "location", "color", "scale_plu", "aliases", "perishable", "archived",
             "stock_milli")  # fmt: skip
TEMPLATE_ROWS = (
    ("8901234567890", "Tata Salt 1kg", "Grocery", "pcs", "28.00", "30.00", "24.50", "5", "2501",
     "48", "10", "Metro Wholesale", "Aisle 2", "", "", "namak, salt", "no", "no", ""),
    ("", "Basmati Rice (loose)", "Grains", "kg", "120.00", "", "96.00", "5", "1006", "25.500",
     "5", "", "Sack 3", "", "00012", "chawal", "no", "no", ""),
)  # fmt: skip


@dataclass
class ImportPlan:
    """What an import would do: counts, the first new products and every bad row (line, reason)."""

    columns: dict[str, str] = field(default_factory=dict)  # field -> header as written
    ignored: list[str] = field(default_factory=list)
    rows: int = 0
    creates: int = 0
    updates: int = 0
    stock_changes: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    delimiter: str = ","
    encoding: str = "utf-8"
    sample_creates: list[dict[str, Any]] = field(default_factory=list)  # the first few, parsed

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class ImportResult:
    """What an applied import wrote."""

    created: int
    updated: int
    stock_movements: int


@dataclass
class _Needs:
    """What writing a checked file needs to know of it beforehand, besides its codes."""

    auto_codes: int = 0  # new products without a code
    categories: set[str] = field(default_factory=set)


class _Seen:
    """What a check has met: the file's codes and names, and the catalog's active names.

    Held in a private SQLite file behind a small page cache rather than in dicts: at 100 000
    rows and 100 000 products the dicts took some 25 MB, and the server's allocator kept most
    of that after the import (anything long-lived allocated meanwhile pins the blocks it lands
    in). Keys are stored as UTF-8 bytes, so they compare exactly as Python's strings do.
    """

    SCHEMA = """
        PRAGMA journal_mode = OFF;
        PRAGMA synchronous = OFF;
        PRAGMA cache_size = -256;
        CREATE TABLE codes (key BLOB PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE names (key BLOB PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE active (key BLOB PRIMARY KEY, id INTEGER NOT NULL) WITHOUT ROWID;
        BEGIN;
    """

    def __init__(self) -> None:
        self._db = sqlite3.connect("", isolation_level=None)  # "": a temporary file, gone on close
        self._db.executescript(self.SCHEMA)

    def __enter__(self) -> _Seen:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._db.close()

    def add_active_names(self, products: Iterable[Row[int, str]]) -> None:
        """Note active products' names, lower-cased as Python does (SQLite folds only ASCII)."""
        self._db.executemany(
            "INSERT INTO active VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET id = max(id, excluded.id)",
            ((name.lower().encode(), pid) for pid, name in products),
        )

    def owner(self, key: str) -> int | None:
        """Return the active product named `key` (lower-cased); the newest, if several."""
        row = self._db.execute("SELECT id FROM active WHERE key = ?", (key.encode(),)).fetchone()
        return None if row is None else int(row[0])

    def code_line(self, code: str, line: int) -> int:
        """Note a code met on `line` unless met before; return the line it was first met on."""
        data = code.encode()
        if self._db.execute("INSERT OR IGNORE INTO codes VALUES (?, ?)", (data, line)).rowcount:
            return line
        return int(self._db.execute("SELECT line FROM codes WHERE key = ?", (data,)).fetchone()[0])

    def name_line(self, key: str, line: int) -> int:
        """Note a lower-cased name met on `line` unless met before; return its first line."""
        data = key.encode()
        if self._db.execute("INSERT OR IGNORE INTO names VALUES (?, ?)", (data, line)).rowcount:
            return line
        return int(self._db.execute("SELECT line FROM names WHERE key = ?", (data,)).fetchone()[0])

    def has_code(self, code: str) -> bool:
        """Tell whether the file has this code."""
        found = self._db.execute("SELECT 1 FROM codes WHERE key = ?", (code.encode(),))
        return found.fetchone() is not None


# (id, unit, price, mrp, stock_milli, archived, scale_plu, is_service) of a product a row's
# code already belongs to.
Known = tuple[int, str, int, int | None, int, bool, str | None, bool]


def _open(source: bytes | Path) -> BinaryIO:
    return io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")


def _decoded(binary: BinaryIO, codec: str, errors: str = "strict") -> Iterator[str]:
    """Yield a file's text from its start, one chunk at a time."""
    binary.seek(0)
    decoder = codecs.getincrementaldecoder(codec)(errors)
    while chunk := binary.read(READ_CHUNK):
        yield decoder.decode(chunk)
    yield decoder.decode(b"", final=True)


def _blank(texts: Iterable[str]) -> bool:
    blank = True
    for text in texts:  # to the end even once text is found: that checks every byte decodes
        blank = blank and not text.strip()
    return blank


def detect_codec(binary: BinaryIO) -> tuple[str, str, str]:
    """Pick the codec, its error handling and its name for an upload.

    UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252; the whole file is decoded
    once to choose, a chunk at a time.
    """
    head = binary.read(65536)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            blank = _blank(_decoded(binary, "utf-16"))
        except UnicodeDecodeError:
            raise ValidationError(
                _("The file is not readable UTF-16 text."), field="file"
            ) from None
        chosen = ("utf-16", "strict", "utf-16")
    elif b"\x00" in head:
        raise ValidationError(_("This is not a CSV text file."), field="file")
    else:
        try:
            blank = _blank(_decoded(binary, "utf-8-sig"))
            chosen = ("utf-8-sig", "strict", "utf-8")
        except UnicodeDecodeError:
            # What Excel writes on Western Windows ("CSV" without UTF-8).
            blank = _blank(_decoded(binary, "cp1252", "replace"))
            chosen = ("cp1252", "replace", "windows-1252")
    if blank:
        raise ValidationError(_("The file is empty."), field="file")
    return chosen


def first_line(binary: BinaryIO, codec: str, errors: str) -> str:
    parts: list[str] = []
    for text in _decoded(binary, codec, errors):
        line, newline, _rest = text.partition("\n")
        parts.append(line)
        if newline:
            break
    return "".join(parts)


def sniff_delimiter(text: str) -> str:
    """Pick `,` `;` or tab: whichever the header line holds most of (outside quotes)."""
    first = text.split("\n", 1)[0]
    unquoted = re.sub(r'"[^"]*"', "", first)
    counts = {d: unquoted.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def norm_header(header: str) -> str:
    return re.sub(r"[^0-9a-z]", "", header.strip().lower())


def _clean(cell: str) -> str:
    return unneutralise(cell.strip())


@contextmanager
def _opened(source: bytes | Path, plan: ImportPlan) -> Iterator[TextIO]:
    """Open an upload as text in its encoding, noting the encoding and delimiter in the plan."""
    with _open(source) as binary:
        codec, errors, plan.encoding = detect_codec(binary)
        plan.delimiter = sniff_delimiter(first_line(binary, codec, errors))
        binary.seek(0)
        with io.TextIOWrapper(binary, encoding=codec, errors=errors, newline="") as text:
            yield text


def _read(text: TextIO, plan: ImportPlan) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(text, delimiter=plan.delimiter)
    try:
        headers = next(reader)
    except csv.Error as exc:
        raise ValidationError(
            _("The header line cannot be read: %(reason)s.", reason=exc), field="file"
        ) from None
    index: dict[str, int] = {}
    for position, header in enumerate(headers):
        name = HEADER_TO_FIELD.get(norm_header(header))
        if name is None:
            if header.strip():
                plan.ignored.append(header.strip())
            continue
        if name in index:
            raise ValidationError(
                _(
                    "Two columns mean %(field)s: %(first)s and %(second)s.",
                    field=name,
                    first=repr(plan.columns[name]),
                    second=repr(header.strip()),
                ),
                field="file",
            )
        index[name] = position
        plan.columns[name] = header.strip()
    if "name" not in index and "code" not in index:
        raise ValidationError(
            _(
                "The header line needs at least a name or a code column "
                "(see the template for the column names)."
            ),
            field="file",
        )

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        line = reader.line_num
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ValidationError(
                    _(
                        "Line %(line)s: the file cannot be read further (%(reason)s).",
                        line=reader.line_num,
                        reason=exc,
                    ),
                    field="file",
                ) from None
            start, line = line + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            row = {
                name: _clean(cells[pos]) if pos < len(cells) else "" for name, pos in index.items()
            }
            if plan.delimiter == ";":
                # `;` is what Excel writes where the comma is the decimal mark: 45,50 = 45.50.
                for name in NUMERIC_FIELDS:
                    if DECIMAL_COMMA.fullmatch(row.get(name, "")):
                        row[name] = row[name].replace(",", ".")
            yield start, row

    return rows()


def _batches(
    rows: Iterator[tuple[int, dict[str, str]]], plan: ImportPlan
) -> Iterator[list[tuple[int, dict[str, str]]]]:
    """Group rows to look up and write together, counting them; refuse a file too long."""
    batch: list[tuple[int, dict[str, str]]] = []
    for row in rows:
        plan.rows += 1
        if plan.rows > MAX_ROWS:
            raise ValidationError(
                _("A file takes at most %(rows)s rows.", rows=f"{MAX_ROWS:,}"), field="file"
            )
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _known(session: Session, batch: list[tuple[int, dict[str, str]]]) -> dict[str, Known]:
    """Look up the products the codes of a batch of rows already belong to."""
    codes = [cells["code"] for _line, cells in batch if cells.get("code")]
    if not codes:
        return {}
    stmt = select(
        Product.code,
        Product.id,
        Product.unit,
        Product.price,
        Product.mrp,
        Product.stock_milli,
        Product.archived,
        Product.scale_plu,
        Product.is_service,
    ).where(Product.code.in_(CODES))
    rows = session.execute(stmt, {"codes": codes})
    return {
        code: (pid, unit, price, mrp, stock, archived, plu, service)
        for code, pid, unit, price, mrp, stock, archived, plu, service in rows
    }


def plan_import(session: Session, source: bytes | Path) -> ImportPlan:
    """Say what importing a product CSV (its bytes or its path) would do; write nothing."""
    with _Seen() as seen:
        return _check(session, source, seen)[0]


def _check(session: Session, source: bytes | Path, seen: _Seen) -> tuple[ImportPlan, _Needs]:
    """Check every row of a file in one pass, writing nothing to the database.

    Memory stays flat whatever the file's length: the file is read a row at a time, the
    catalog's products are looked up by code a batch of rows at a time, and what duplicates
    are checked against goes to `seen`. Kept: the counts, the first new products, the bad rows.
    """
    plan, needs = ImportPlan(), _Needs()
    with _opened(source, plan) as text:
        rows = _read(text, plan)
        active = (
            select(Product.id, Product.name)
            .where(Product.archived.is_(False))
            .execution_options(yield_per=BATCH)
        )
        seen.add_active_names(session.execute(active))
        # Scale PLUs are few (loose products only, at most a million 6-digit ones): a dict.
        plus = _Plus(
            scale_labels.layout_of(load_settings(session)).item_digits,
            {
                plu: pid
                for plu, pid in session.execute(
                    select(Product.scale_plu, Product.id).where(
                        Product.scale_plu.is_not(None), Product.archived.is_(False)
                    )
                )
                if plu
            },
        )
        for batch in _batches(rows, plan):
            known = _known(session, batch)
            for line, cells in batch:
                try:
                    product_id, fields = _check_row(line, cells, known, seen)
                    plus.check(line, product_id, fields, known.get(cells.get("code", "")))
                except ValidationError as exc:
                    plan.errors.append((line, exc.message))
                    continue
                _count(plan, needs, product_id, fields)
    if plan.rows == 0:
        raise ValidationError(_("The file has a header line but no rows."), field="file")
    return plan, needs


@dataclass
class _Plus:
    """The scale PLUs a check has met: the catalog's active ones and the file's."""

    digits: int  # the item code length of the shop's scale labels
    owners: dict[str, int]  # PLU -> the active product that has it
    lines: dict[str, int] = field(default_factory=dict)  # PLU -> the file's first line with it

    def check(
        self, line: int, product_id: int | None, fields: dict[str, Any], current: Known | None
    ) -> None:
        """Refuse a row whose PLU (new or kept) does not fit its unit, the labels or is taken."""
        plu = fields.get("scale_plu", current[6] if current else None)
        if not plu:
            return
        unit = fields.get("unit", current[1] if current else "pcs")
        if unit not in scale_labels.LOOSE_UNITS:
            raise ValidationError(
                _(
                    "scale_plu: only products sold by kg, g or l are weighed (this one is "
                    "%(unit)s).",
                    unit=unit,
                )
            )
        if len(plu) != self.digits:
            raise ValidationError(
                _(
                    "scale_plu: the shop's scale labels carry a %(digits)s-digit item code.",
                    digits=self.digits,
                )
            )
        if fields.get("archived"):
            return
        owner = self.owners.get(plu)
        if owner is not None and owner != product_id:
            raise ValidationError(
                _("scale_plu: another active product has the PLU %(plu)s.", plu=plu)
            )
        first = self.lines.setdefault(plu, line)
        if first != line:
            raise ValidationError(
                _("scale_plu: the PLU %(plu)s is already on line %(line)s.", plu=plu, line=first)
            )


def _check_row(
    line: int, cells: dict[str, str], known: dict[str, Known], seen: _Seen
) -> tuple[int | None, dict[str, Any]]:
    """Parse a row, checking its code and name are its own in the file and the catalog."""
    code = cells.get("code", "")
    if code:
        first = seen.code_line(code, line)
        if first != line:
            raise ValidationError(
                _("the code %(code)s is already on line %(line)s.", code=code, line=first)
            )
    product_id, fields = _row_fields(cells, known.get(code) if code else None)
    name = fields.get("name")
    if name and not fields.get("archived"):
        key = name.lower()
        owner = seen.owner(key)
        if owner is not None and owner != product_id:
            raise ValidationError(
                _("an active product is already named %(name)s.", name=repr(name))
            )
        first = seen.name_line(key, line)
        if first != line:
            raise ValidationError(
                _("the name %(name)s is already on line %(line)s.", name=repr(name), line=first)
            )
    return product_id, fields


def _count(plan: ImportPlan, needs: _Needs, product_id: int | None, fields: dict[str, Any]) -> None:
    if product_id is None:
        plan.creates += 1
        if len(plan.sample_creates) < SAMPLE:
            plan.sample_creates.append(fields)
        if fields.get("opening_milli"):
            plan.stock_changes += 1
        if not fields.get("code"):
            needs.auto_codes += 1
    else:
        plan.updates += 1
        if "stock_delta" in fields:
            plan.stock_changes += 1
    if fields.get("category"):
        needs.categories.add(fields["category"])


def _archived_flag(cells: Mapping[str, str]) -> bool | None:
    if "archived" not in cells:
        return None
    return parse_flag(cells["archived"], "archived")


def _row_fields(cells: dict[str, str], current: Known | None) -> tuple[int | None, dict[str, Any]]:
    """Parse a row: a new product's fields (id None), or the changes to the product it names."""
    archived = _archived_flag(cells)
    data: dict[str, Any] = {
        k: v for k, v in cells.items() if k not in ("stock", "archived", "stock_value")
    }
    if current is None:
        data["opening_stock"] = cells.get("stock", "")
        if not data.get("code"):
            data.pop("code", None)
        try:
            fields = parse_product_fields(data, partial=False)
        except ValidationError as exc:
            raise ValidationError(_row_message(exc)) from None
        fields["archived"] = bool(archived)
        if cells.get("stock_value"):
            try:
                value = parse_money(cells["stock_value"], "stock_value")
            except ValidationError as exc:
                raise ValidationError(
                    _("%(column)s: %(reason)s", column="stock_value", reason=exc.message)
                ) from None
            if value and not fields.get("opening_milli"):
                raise ValidationError(_("stock_value: a value needs stock to be worth it."))
            fields["opening_value"] = value
        return None, fields
    product_id, unit, price, mrp, stock, was_archived, _plu, is_service = current
    data = {k: v for k, v in data.items() if v != ""}
    try:
        fields = parse_product_fields(data, partial=True)
    except ValidationError as exc:
        raise ValidationError(_row_message(exc)) from None
    new_price = fields.get("price", price)
    new_mrp = fields.get("mrp", mrp)
    if new_mrp is not None and new_mrp < new_price:
        raise ValidationError(_("MRP cannot be below the selling price."))
    if archived is not None:
        fields["archived"] = archived
    if cells.get("stock"):
        try:
            counted = parse_signed_quantity(cells["stock"], fields.get("unit", unit), "stock")
        except ValidationError as exc:
            raise ValidationError(
                _("%(column)s: %(reason)s", column="stock", reason=exc.message)
            ) from None
        if counted < 0:
            raise ValidationError(_("stock: Quantity cannot be negative."))
        if counted != stock and is_service:
            raise ValidationError(_("stock: this product is a service; it has no stock."))
        if counted != stock:
            fields["stock_milli"] = counted
            fields["stock_delta"] = counted - stock
    fields.setdefault("archived", was_archived)
    return product_id, fields


def _row_message(exc: ValidationError) -> str:
    if exc.fields:
        return "; ".join(
            f"{'stock' if key == 'opening_stock' else key}: {message}"
            for key, message in exc.fields.items()
        )
    return exc.message


def _internal_code(number: int) -> str:
    body = f"{INTERNAL_EAN_PREFIX}{number:09d}"
    return body + str(ean13_check_digit(body))


def _fresh_codes(session: Session, count: int, seen: _Seen) -> Iterator[str]:
    """Yield `count` internal EAN-13 codes, skipping codes in use or in the file.

    The counter moves once for all of them (again only for as many as were skipped); whether a
    code is in use is asked a batch at a time, as the codes are wanted.
    """
    while count:
        top = counters.advance(session, "ean", 0, count)
        numbers = range(top - count + 1, top + 1)
        for start in range(0, len(numbers), BATCH):
            codes = [_internal_code(number) for number in numbers[start : start + BATCH]]
            in_use = select(Product.code).where(Product.code.in_(CODES))
            taken = set(session.scalars(in_use, {"codes": codes}))
            for code in codes:
                if code not in taken and not seen.has_code(code):
                    count -= 1
                    yield code


def _categories(session: Session, wanted: set[str]) -> dict[str, int]:
    """Map lower-cased category names to ids, creating the wanted ones that are missing."""
    categories = {
        name.lower(): cid for cid, name in session.execute(select(Category.id, Category.name))
    }
    for name in sorted(wanted):
        if name.lower() not in categories:
            category = Category(name=name)
            session.add(category)
            session.flush()
            categories[name.lower()] = category.id
    return categories


_PRODUCTS = table(Product)
# Relative, like every other path: what is added is exactly what the entry posts.
_ADD_VALUE = (
    update(_PRODUCTS)
    .where(_PRODUCTS.c.id == bindparam("pid"))
    .values(stock_value=_PRODUCTS.c.stock_value + bindparam("delta"))
)


@dataclass
class _Writer:
    """Writes a checked file's rows a batch at a time, inside the caller's transaction.

    It also adds up what the import does to the inventory account (opening stock of new
    products, stock set on existing ones, cost changes revaluing their stock) for the one
    journal entry the whole import posts (`post_books`).
    """

    session: Session
    user_id: int | None
    categories: dict[str, int]
    fresh: Iterator[str]
    low_stock_default: int
    now: datetime
    created: int = 0
    updated: int = 0
    movements: int = 0
    opening_value: int = 0
    count_value: int = 0
    revaluation: int = 0

    def write(self, batch: list[tuple[int, dict[str, str]]]) -> None:
        known = _known(self.session, batch)
        rows: list[dict[str, Any]] = []
        changes: list[tuple[int, dict[str, Any]]] = []
        for _line, cells in batch:
            code = cells.get("code", "")
            product_id, fields = _row_fields(cells, known.get(code) if code else None)
            if product_id is None:
                rows.append(self._new_row(fields))
            else:
                changes.append((product_id, fields))
        self._value_changes(changes)
        movements: list[dict[str, Any]] = []
        if rows:
            ids = self.session.scalars(
                insert(Product).returning(Product.id, sort_by_parameter_order=True), rows
            )
            movements += [
                self._movement(pid, row["stock_milli"], "opening", "", row["cost"])
                for pid, row in zip(ids, rows, strict=True)
                if row["stock_milli"]
            ]
        for product_id, fields in changes:
            self._update(product_id, fields)
            if "stock_delta" in fields:
                movements.append(
                    self._movement(
                        product_id,
                        fields["stock_delta"],
                        "adjust_count",
                        "Stock from imported file",
                        fields["book_cost"],
                    )
                )
        if movements:
            self.session.execute(insert(StockMovement), movements)
        self.created += len(rows)
        self.updated += len(changes)
        self.movements += len(movements)

    def _value_changes(self, changes: list[tuple[int, dict[str, Any]]]) -> None:
        """Value what each changed product's row does to its stock's book value.

        A new cost first revalues the stock on hand, then stock set by the file is a count
        difference at that cost: the product ends at its stock × its cost, like a count.
        """
        wanted = [pid for pid, f in changes if "cost" in f or "stock_delta" in f]
        if not wanted:
            return
        held = {
            int(pid): (int(stock), int(cost), int(value))
            for pid, stock, cost, value in self.session.execute(
                select(Product.id, Product.stock_milli, Product.cost, Product.stock_value).where(
                    Product.id.in_(wanted)
                )
            )
        }
        values: list[dict[str, int]] = []
        for pid, f in changes:
            if pid not in held:
                continue
            stock, cost, value = held[pid]
            new_cost = f.get("cost", cost)
            f["book_cost"] = new_cost
            moved = 0
            if new_cost != cost:
                gain = issue_value(stock, new_cost) - value
                self.revaluation += gain
                moved += gain
            delta = f.get("stock_delta", 0)
            if delta:
                size = issue_value(abs(delta), new_cost)
                counted = size if delta > 0 else -size
                self.count_value += counted
                moved += counted
            if moved:
                values.append({"pid": pid, "delta": moved})
        if values:
            self.session.connection().execute(_ADD_VALUE, values)

    def post_books(self) -> int | None:
        """One entry for the whole import: Dr/Cr inventory against opening balances (new
        products' stock), count differences (stock set) and stock revaluation (costs)."""
        moved = self.opening_value + self.count_value + self.revaluation
        return books.post(
            self.session,
            day=books.business_day(self.now),
            source_kind="stock",
            source_id=None,
            lines=[
                dr("inventory", moved),
                cr("opening", self.opening_value),
                cr("stock_count", self.count_value),
                cr("stock_revaluation", self.revaluation),
            ],
            reference="CSV import",
            narration="Products imported from a file: opening stock, stock set, costs changed",
            user_id=self.user_id,
        )

    def _new_row(self, f: dict[str, Any]) -> dict[str, Any]:
        opening = f.get("opening_milli", 0)
        value = f.get("opening_value", issue_value(opening, f.get("cost", 0)))
        self.opening_value += value
        return {
            "stock_value": value,
            "code": f.get("code") or next(self.fresh),
            "name": f["name"],
            "category_id": self.categories.get(f.get("category", "").lower()),
            "unit": f.get("unit", "pcs"),
            "price": f["price"],
            "cost": f.get("cost", 0),
            "mrp": f.get("mrp"),
            "tax_rate_bp": f.get("tax_rate_bp", 0),
            "hsn": f.get("hsn", ""),
            "stock_milli": f.get("opening_milli", 0),
            "low_stock_milli": f.get("low_milli", self.low_stock_default),
            "supplier": f.get("supplier", ""),
            "location": f.get("location", ""),
            "color": f.get("color", ""),
            "scale_plu": f.get("scale_plu"),
            "aliases": f.get("aliases", ""),
            "name_key": translit.name_key(f["name"]),
            "alias_key": translit.alias_key(f.get("aliases", "")),
            "perishable": f.get("perishable", False),
            "archived": f.get("archived", False),
            "created_at": self.now,
            "updated_at": self.now,
        }

    def _update(self, product_id: int, f: dict[str, Any]) -> None:
        values: dict[str, Any] = {k: f[k] for k in UPDATABLE if k in f}
        if "low_milli" in f:
            values["low_stock_milli"] = f["low_milli"]
        if "category" in f:
            values["category_id"] = self.categories.get(f["category"].lower())
        if "name" in values:
            values["name_key"] = translit.name_key(values["name"])
        if "aliases" in values:
            values["alias_key"] = translit.alias_key(values["aliases"])
        if values:
            values["updated_at"] = self.now
            self.session.execute(
                update(Product).where(Product.id == product_id).values(**values),
                execution_options={"synchronize_session": False},
            )

    def _movement(
        self, product_id: int, delta: int, reason: str, note: str, unit_cost: int | None
    ) -> dict[str, Any]:
        return {
            "product_id": product_id,
            "delta_milli": delta,
            "reason": reason,
            "ref": "CSV import",
            "note": note,
            "unit_cost": unit_cost,
            "user_id": self.user_id,
            "created_at": self.now,
        }


def apply_import(session: Session, source: bytes | Path, user_id: int | None) -> ImportResult:
    """Import every row of a product CSV in one transaction, or nothing if any row is bad.

    The file is checked again first (the catalog may have changed since the preview), then read
    once more and written a batch at a time: no pass holds the whole file or its rows.
    """
    settings = load_settings(session)
    with write_transaction(session), _Seen() as seen:
        plan, needs = _check(session, source, seen)
        if not plan.ok:
            raise ValidationError(
                ngettext(
                    "%(num)s row has a problem; nothing was imported.",
                    "%(num)s rows have problems; nothing was imported.",
                    len(plan.errors),
                ),
                field="file",
            )
        writer = _Writer(
            session,
            user_id,
            _categories(session, needs.categories),
            _fresh_codes(session, needs.auto_codes, seen),
            settings.low_stock_default_milli,
            utcnow(),
        )
        reread = ImportPlan()
        with _opened(source, reread) as text:
            for batch in _batches(_read(text, reread), reread):
                writer.write(batch)
        writer.post_books()
        audit.record(
            session,
            "product.import",
            user_id=user_id,
            entity="product",
            after={
                "created": writer.created,
                "updated": writer.updated,
                "stock_movements": writer.movements,
            },
        )
    session.expire_all()
    return ImportResult(writer.created, writer.updated, writer.movements)


def export_rows(session: Session) -> Iterator[list[str]]:
    """Yield the header and every product (archived too) as neutralised CSV cells."""
    yield list(EXPORT_COLUMNS)
    stmt = (
        select(Product, Category.name)
        .outerjoin(Category, Product.category_id == Category.id)
        .order_by(Product.id)
        .execution_options(yield_per=2000)
    )
    for product, category in session.execute(stmt):
        yield [
            neutralise(cell)
            for cell in (
                product.code,
                product.name,
                category or "",
                product.unit,
                money_str(product.price),
                money_str(product.mrp) if product.mrp is not None else "",
                money_str(product.cost),
                percent_str(product.tax_rate_bp).removesuffix(".00"),
                product.hsn,
                qty_str(product.stock_milli, product.unit),
                qty_str(product.low_stock_milli, product.unit),
                product.supplier,
                product.location,
                product.color,
                product.scale_plu or "",
                aliases_text(product.aliases),
                "yes" if product.perishable else "no",
                "yes" if product.archived else "no",
                money_str(product.stock_value),
            )
        ]


def template_rows() -> list[list[str]]:
    """Return the import template: every column, with two example rows."""
    return [list(EXPORT_COLUMNS), *[list(row) for row in TEMPLATE_ROWS]]
