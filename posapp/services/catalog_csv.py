"""Product CSV: import (decode, sniff, alias headers, plan, all-or-nothing apply), export, template.

Import happens in two steps. `plan_import` reads the file and answers what would happen (rows
to create, rows to update by code, every bad row with its line number) without writing.
`apply_import` plans again inside one write transaction (the catalog may have changed since the
preview) and writes every row, or nothing if any row is bad. Both read the file a chunk at a
time (from disk, given its path), never whole.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from posapp.errors import ValidationError
from posapp.models import Category, Product, StockMovement
from posapp.models.base import utcnow, write_transaction
from posapp.money import ean13_check_digit, money_str, parse_signed_quantity, percent_str, qty_str
from posapp.services import audit, counters
from posapp.services.catalog import INTERNAL_EAN_PREFIX, parse_product_fields
from posapp.services.settings import load_settings

MAX_ROWS = 200_000
READ_CHUNK = 256 * 1024  # bytes decoded at a time when checking the encoding
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
    "archived",
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
    "archived": ("archived", "inactive"),
}
HEADER_TO_FIELD = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
TRUE_WORDS = ("1", "yes", "y", "true")
FALSE_WORDS = ("", "0", "no", "n", "false")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMERIC_FIELDS = ("price", "mrp", "cost", "tax_rate", "stock", "low_stock_threshold")
DECIMAL_COMMA = re.compile(r"-?\d+,\d+")
TEMPLATE_ROWS = (
    ("8901234567890", "Tata Salt 1kg", "Grocery", "pcs", "28.00", "30.00", "24.50", "5", "2501",
     "48", "10", "Metro Wholesale", "Aisle 2", "", "no"),
    ("", "Basmati Rice (loose)", "Grains", "kg", "120.00", "", "96.00", "5", "1006", "25.500",
     "5", "", "Sack 3", "", "no"),
)  # fmt: skip


@dataclass
class ImportPlan:
    """What an import would do: counts, samples and every bad row (line, reason)."""

    columns: dict[str, str] = field(default_factory=dict)  # field -> header as written
    ignored: list[str] = field(default_factory=list)
    rows: int = 0
    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    stock_changes: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    delimiter: str = ","
    encoding: str = "utf-8"

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class ImportResult:
    """What an applied import wrote."""

    created: int
    updated: int
    stock_movements: int


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


def _codec(binary: BinaryIO) -> tuple[str, str, str]:
    """Pick the codec, its error handling and its name for an upload.

    UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252; the whole file is decoded
    once to choose, a chunk at a time.
    """
    head = binary.read(65536)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            blank = _blank(_decoded(binary, "utf-16"))
        except UnicodeDecodeError:
            raise ValidationError("The file is not readable UTF-16 text.", field="file") from None
        chosen = ("utf-16", "strict", "utf-16")
    elif b"\x00" in head:
        raise ValidationError("This is not a CSV text file.", field="file")
    else:
        try:
            blank = _blank(_decoded(binary, "utf-8-sig"))
            chosen = ("utf-8-sig", "strict", "utf-8")
        except UnicodeDecodeError:
            # What Excel writes on Western Windows ("CSV" without UTF-8).
            blank = _blank(_decoded(binary, "cp1252", "replace"))
            chosen = ("cp1252", "replace", "windows-1252")
    if blank:
        raise ValidationError("The file is empty.", field="file")
    return chosen


def _first_line(binary: BinaryIO, codec: str, errors: str) -> str:
    parts: list[str] = []
    for text in _decoded(binary, codec, errors):
        line, newline, _ = text.partition("\n")
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


def _norm(header: str) -> str:
    return re.sub(r"[^0-9a-z]", "", header.strip().lower())


def _clean(cell: str) -> str:
    cell = cell.strip()
    # Undo our own export's formula neutralising ('=..., '-3) so files round-trip.
    if len(cell) > 1 and cell[0] == "'" and cell[1] in FORMULA_STARTS:
        return cell[1:]
    return cell


@contextmanager
def _opened(source: bytes | Path, plan: ImportPlan) -> Iterator[TextIO]:
    """Open an upload as text in its encoding, noting the encoding and delimiter in the plan."""
    with _open(source) as binary:
        codec, errors, plan.encoding = _codec(binary)
        plan.delimiter = sniff_delimiter(_first_line(binary, codec, errors))
        binary.seek(0)
        with io.TextIOWrapper(binary, encoding=codec, errors=errors, newline="") as text:
            yield text


def _read(text: TextIO, plan: ImportPlan) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(text, delimiter=plan.delimiter)
    try:
        headers = next(reader)
    except csv.Error as exc:
        raise ValidationError(f"The header line cannot be read: {exc}.", field="file") from None
    index: dict[str, int] = {}
    for position, header in enumerate(headers):
        name = HEADER_TO_FIELD.get(_norm(header))
        if name is None:
            if header.strip():
                plan.ignored.append(header.strip())
            continue
        if name in index:
            raise ValidationError(
                f"Two columns mean {name}: {plan.columns[name]!r} and {header.strip()!r}.",
                field="file",
            )
        index[name] = position
        plan.columns[name] = header.strip()
    if "name" not in index and "code" not in index:
        raise ValidationError(
            "The header line needs at least a name or a code column "
            "(see the template for the column names).",
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
                    f"Line {reader.line_num}: the file cannot be read further ({exc}).",
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


def plan_import(session: Session, source: bytes | Path) -> ImportPlan:
    """Say what importing a product CSV (its bytes or its path) would do; write nothing."""
    plan = ImportPlan()
    with _opened(source, plan) as text:
        return _plan_rows(session, _read(text, plan), plan)


def _plan_rows(
    session: Session, rows: Iterator[tuple[int, dict[str, str]]], plan: ImportPlan
) -> ImportPlan:
    existing: dict[str, tuple[int, str, int, int | None, int, bool]] = {}
    active_names: dict[str, int] = {}
    for pid, code, name, unit, price, mrp, stock, archived in session.execute(
        select(
            Product.id,
            Product.code,
            Product.name,
            Product.unit,
            Product.price,
            Product.mrp,
            Product.stock_milli,
            Product.archived,
        )
    ):
        existing[code] = (pid, unit, price, mrp, stock, archived)
        if not archived:
            active_names[name.lower()] = pid
    seen_codes: dict[str, int] = {}
    file_names: dict[str, int] = {}  # names taken by this file's rows -> line
    for line, cells in rows:
        plan.rows += 1
        if plan.rows > MAX_ROWS:
            raise ValidationError(f"A file takes at most {MAX_ROWS:,} rows.", field="file")
        try:
            _plan_row(plan, line, cells, existing, active_names, seen_codes, file_names)
        except ValidationError as exc:
            plan.errors.append((line, exc.message))
    if plan.rows == 0:
        raise ValidationError("The file has a header line but no rows.", field="file")
    return plan


def _archived_flag(cells: Mapping[str, str]) -> bool | None:
    if "archived" not in cells:
        return None
    word = cells["archived"].lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValidationError("archived must be yes or no.")


def _plan_row(
    plan: ImportPlan,
    line: int,
    cells: dict[str, str],
    existing: dict[str, tuple[int, str, int, int | None, int, bool]],
    active_names: dict[str, int],
    seen_codes: dict[str, int],
    file_names: dict[str, int],
) -> None:
    code = cells.get("code", "")
    if code:
        if code in seen_codes:
            raise ValidationError(f"the code {code} is already on line {seen_codes[code]}.")
        seen_codes[code] = line
    archived = _archived_flag(cells)
    current = existing.get(code) if code else None
    data: dict[str, Any] = {k: v for k, v in cells.items() if k not in ("stock", "archived")}
    if current is None:
        data["opening_stock"] = cells.get("stock", "")
        if not data.get("code"):
            data.pop("code", None)
        try:
            fields = parse_product_fields(data, partial=False)
        except ValidationError as exc:
            raise ValidationError(_row_message(exc)) from None
        fields["archived"] = bool(archived)
        product_id = None
    else:
        product_id, unit, price, mrp, stock, was_archived = current
        data = {k: v for k, v in data.items() if v != ""}
        try:
            fields = parse_product_fields(data, partial=True)
        except ValidationError as exc:
            raise ValidationError(_row_message(exc)) from None
        new_price = fields.get("price", price)
        new_mrp = fields.get("mrp", mrp)
        if new_mrp is not None and new_mrp < new_price:
            raise ValidationError("MRP cannot be below the selling price.")
        if archived is not None:
            fields["archived"] = archived
        if cells.get("stock"):
            try:
                counted = parse_signed_quantity(cells["stock"], fields.get("unit", unit), "stock")
            except ValidationError as exc:
                raise ValidationError(f"stock: {exc.message}") from None
            if counted < 0:
                raise ValidationError("stock: Quantity cannot be negative.")
            if counted != stock:
                fields["stock_milli"] = counted
                fields["stock_delta"] = counted - stock
        fields.setdefault("archived", was_archived)
    name = fields.get("name")
    if name and not fields.get("archived"):
        key = name.lower()
        owner = active_names.get(key)
        if owner is not None and owner != product_id:
            raise ValidationError(f"an active product is already named {name!r}.")
        if key in file_names:
            raise ValidationError(f"the name {name!r} is already on line {file_names[key]}.")
        file_names[key] = line
    if product_id is None:
        plan.creates.append(fields)
        if fields.get("opening_milli"):
            plan.stock_changes += 1
    else:
        plan.updates.append((product_id, fields))
        if "stock_delta" in fields:
            plan.stock_changes += 1


def _row_message(exc: ValidationError) -> str:
    if exc.fields:
        return "; ".join(
            f"{'stock' if key == 'opening_stock' else key}: {message}"
            for key, message in exc.fields.items()
        )
    return exc.message


def _reserve_codes(session: Session, count: int, taken: set[str]) -> list[str]:
    """Take `count` internal EAN-13 codes from the counter in one step, skipping taken ones."""
    codes: list[str] = []
    while len(codes) < count:
        need = count - len(codes)
        top = counters.advance(session, "ean", 0, need)
        for number in range(top - need + 1, top + 1):
            body = f"{INTERNAL_EAN_PREFIX}{number:09d}"
            code = body + str(ean13_check_digit(body))
            if code not in taken:
                codes.append(code)
    return codes


def apply_import(session: Session, source: bytes | Path, user_id: int | None) -> ImportResult:
    """Import every row of a product CSV in one transaction, or nothing if any row is bad."""
    settings = load_settings(session)
    with write_transaction(session):
        plan = plan_import(session, source)
        if not plan.ok:
            raise ValidationError(
                f"{len(plan.errors)} row(s) have problems; nothing was imported.",
                field="file",
            )
        categories = {
            name.lower(): cid for cid, name in session.execute(select(Category.id, Category.name))
        }
        wanted = {
            f["category"]
            for f in [*plan.creates, *(u for _, u in plan.updates)]
            if f.get("category")
        }
        for name in sorted(wanted):
            if name.lower() not in categories:
                category = Category(name=name)
                session.add(category)
                session.flush()
                categories[name.lower()] = category.id
        taken = set(session.scalars(select(Product.code)))
        taken.update(f["code"] for f in plan.creates if f.get("code"))
        fresh = iter(
            _reserve_codes(session, sum(1 for f in plan.creates if not f.get("code")), taken)
        )
        now = utcnow()
        rows = [
            {
                "code": f.get("code") or next(fresh),
                "name": f["name"],
                "category_id": categories.get(f.get("category", "").lower()),
                "unit": f.get("unit", "pcs"),
                "price": f["price"],
                "cost": f.get("cost", 0),
                "mrp": f.get("mrp"),
                "tax_rate_bp": f.get("tax_rate_bp", 0),
                "hsn": f.get("hsn", ""),
                "stock_milli": f.get("opening_milli", 0),
                "low_stock_milli": f.get("low_milli", settings.low_stock_default_milli),
                "supplier": f.get("supplier", ""),
                "location": f.get("location", ""),
                "color": f.get("color", ""),
                "archived": f.get("archived", False),
                "created_at": now,
                "updated_at": now,
            }
            for f in plan.creates
        ]
        ids: list[int] = []
        if rows:
            ids = list(
                session.scalars(
                    insert(Product).returning(Product.id, sort_by_parameter_order=True), rows
                )
            )
        movements = [
            {
                "product_id": pid,
                "delta_milli": row["stock_milli"],
                "reason": "opening",
                "ref": "CSV import",
                "note": "",
                "unit_cost": row["cost"],
                "user_id": user_id,
                "created_at": now,
            }
            for pid, row in zip(ids, rows, strict=True)
            if row["stock_milli"]
        ]
        simple = ("code", "name", "unit", "price", "cost", "mrp", "tax_rate_bp", "hsn")
        simple += ("supplier", "location", "color", "archived", "stock_milli")
        for product_id, f in plan.updates:
            values: dict[str, Any] = {k: f[k] for k in simple if k in f}
            if "low_milli" in f:
                values["low_stock_milli"] = f["low_milli"]
            if "category" in f:
                values["category_id"] = categories.get(f["category"].lower())
            if "stock_delta" in f:
                movements.append(
                    {
                        "product_id": product_id,
                        "delta_milli": f["stock_delta"],
                        "reason": "adjust_count",
                        "ref": "CSV import",
                        "note": "Stock from imported file",
                        "unit_cost": None,
                        "user_id": user_id,
                        "created_at": now,
                    }
                )
            if values:
                values["updated_at"] = now
                session.execute(
                    update(Product).where(Product.id == product_id).values(**values),
                    execution_options={"synchronize_session": False},
                )
        if movements:
            session.execute(insert(StockMovement), movements)
        audit.record(
            session,
            "product.import",
            user_id=user_id,
            entity="product",
            after={
                "created": len(rows),
                "updated": len(plan.updates),
                "stock_movements": len(movements),
            },
        )
    session.expire_all()
    return ImportResult(len(rows), len(plan.updates), len(movements))


PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def neutralise(cell: str) -> str:
    """Defuse a cell a spreadsheet would run as a formula (=, +, -, @) by prefixing a quote.

    A plain negative amount ("-0.50", a refund or a shortage) is no formula: it stays a number
    Excel can add up. Anything else starting with "-" ("-2+3") is defused.
    """
    if cell.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


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
                "yes" if product.archived else "no",
            )
        ]


def csv_text(rows: Iterable[list[str]]) -> Iterator[str]:
    """Render rows as CSV text chunks (UTF-8 BOM first, so Excel reads the ₹ and accents)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    yield "\ufeff"
    for i, row in enumerate(rows):
        writer.writerow(row)
        if i % 1000 == 999:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def template_rows() -> list[list[str]]:
    """Return the import template: every column, with two example rows."""
    return [list(EXPORT_COLUMNS), *[list(row) for row in TEMPLATE_ROWS]]
