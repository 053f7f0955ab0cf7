"""Label sheets: sheet formats as data, where each label lands, and checking a print request."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from posapp.errors import NotFound, ValidationError
from posapp.i18n import LazyString, _, lazy
from posapp.models import Product

MAX_PER_PRODUCT = 1000
MAX_LABELS = 5000
MAX_ROWS = 200


@dataclass(frozen=True)
class SheetFormat:
    """A label stock: page size, grid and the printable box of each label (millimetres)."""

    key: str
    title: LazyString  # shown in the language of the page that lists the formats
    page_width: Decimal
    page_height: Decimal
    columns: int
    rows: int
    label_width: Decimal
    label_height: Decimal
    margin_top: Decimal = Decimal(0)
    margin_left: Decimal = Decimal(0)
    gap_x: Decimal = Decimal(0)
    gap_y: Decimal = Decimal(0)
    # How much of the label the printer may not reach: text and QR stay inside it.
    padding: Decimal = Decimal("2.5")
    name_chars: int = 22  # characters per name line at the label's font size

    @property
    def per_page(self) -> int:
        """Labels on one page."""
        return self.columns * self.rows

    @property
    def is_sheet(self) -> bool:
        """True for A4 sheets of stickers; False for one-label-per-page thermal rolls."""
        return self.per_page > 1


def _mm(value: str) -> Decimal:
    return Decimal(value)


SHEET_FORMATS: dict[str, SheetFormat] = {
    fmt.key: fmt
    for fmt in (
        # 3 x 70 mm fills the width; 8 x 37 mm leaves 1 mm, split above and below.
        SheetFormat(
            "a4-3x8",
            lazy("A4, 3 × 8 = 24 labels of 70 × 37 mm"),
            _mm("210"),
            _mm("297"),
            3,
            8,
            _mm("70"),
            _mm("37"),
            margin_top=_mm("0.5"),
            name_chars=20,
        ),
        # 4 x 52.5 mm and 10 x 29.7 mm fill the A4 sheet exactly.
        SheetFormat(
            "a4-4x10",
            lazy("A4, 4 × 10 = 40 labels of 52.5 × 29.7 mm"),
            _mm("210"),
            _mm("297"),
            4,
            10,
            _mm("52.5"),
            _mm("29.7"),
            padding=_mm("2"),
            name_chars=16,
        ),
        SheetFormat(
            "thermal-50x30",
            lazy("Thermal label printer, 50 × 30 mm, one label per page"),
            _mm("50"),
            _mm("30"),
            1,
            1,
            _mm("50"),
            _mm("30"),
            padding=_mm("1.5"),
            name_chars=16,
        ),
    )
}
DEFAULT_SHEET = "a4-3x8"
THERMAL = "thermal-50x30"


def sheet_choices() -> list[tuple[str, str]]:
    """Return (key, title) of every sheet format, for a select box (in the page's language)."""
    return [(key, str(fmt.title)) for key, fmt in SHEET_FORMATS.items()]


@dataclass(frozen=True)
class Slot:
    """Where one label lands: page (0-based), row and column, top-left corner in mm."""

    page: int
    row: int
    column: int
    x: Decimal
    y: Decimal


def slot_at(fmt: SheetFormat, index: int) -> Slot:
    """Return the slot of the index-th label position (0-based, row by row, page by page)."""
    page, within = divmod(index, fmt.per_page)
    row, column = divmod(within, fmt.columns)
    x = fmt.margin_left + column * (fmt.label_width + fmt.gap_x)
    y = fmt.margin_top + row * (fmt.label_height + fmt.gap_y)
    return Slot(page, row, column, x, y)


def frame_slots(fmt: SheetFormat) -> list[Slot]:
    """Return the label positions of one page, in printing order."""
    return [slot_at(fmt, i) for i in range(fmt.per_page)]


def layout(fmt: SheetFormat, count: int, skip: int = 0) -> list[Slot]:
    """Place `count` labels, leaving the first `skip` positions of the first sheet unused."""
    return [slot_at(fmt, skip + i) for i in range(count)]


def page_count(fmt: SheetFormat, count: int, skip: int = 0) -> int:
    """Return how many pages `count` labels need after skipping `skip` positions."""
    return 0 if count <= 0 else (skip + count + fmt.per_page - 1) // fmt.per_page


@dataclass(frozen=True)
class LabelRequest:
    """A checked print request: products with their counts, the sheet and the start position."""

    fmt: SheetFormat
    items: list[tuple[Product, int]]
    skip: int

    @property
    def total(self) -> int:
        """Labels to print."""
        return sum(count for _, count in self.items)

    def products(self) -> list[Product]:
        """One product per label, in printing order."""
        return [product for product, count in self.items for _ in range(count)]


def _count(raw: str, label: str) -> tuple[int | None, str | None]:
    text = raw.strip()
    if not text:
        return None, _("%(name)s: enter how many labels.", name=label)
    if not text.lstrip("-").isdecimal():
        return None, _("%(name)s: the count must be a whole number.", name=label)
    value = int(text)
    if value < 1:
        return None, _("%(name)s: print at least 1 label.", name=label)
    if value > MAX_PER_PRODUCT:
        return None, _(
            "%(name)s: at most %(limit)s labels per product.", name=label, limit=MAX_PER_PRODUCT
        )
    return value, None


def parse_label_request(
    session: Session, rows: Sequence[Mapping[str, str]], sheet: str, skip: str
) -> LabelRequest:
    """Check rows of {code, count}, the sheet format and the labels to skip; raise on bad input.

    Blank rows are ignored. Every error is collected (field keys `code-N`, `count-N`,
    `sheet`, `skip`) before raising, so the form can mark each one.
    """
    errors: dict[str, str] = {}
    fmt = SHEET_FORMATS.get(sheet)
    if fmt is None:
        errors["sheet"] = _("Choose one of the label sheet formats.")
    skip_value = 0
    skip_text = (skip or "").strip() or "0"
    if not skip_text.isdecimal():
        errors["skip"] = _("Used labels to skip: a whole number.")
    else:
        skip_value = int(skip_text)
        if fmt is not None and skip_value >= fmt.per_page:
            errors["skip"] = (
                _("Used labels to skip: fewer than the labels on one sheet.")
                if fmt.is_sheet
                else _("A thermal roll has no used labels to skip.")
            )
    if len(rows) > MAX_ROWS:
        raise ValidationError(_("At most %(limit)s products per print.", limit=MAX_ROWS))
    codes = {row.get("code", "").strip() for row in rows} - {""}
    found = {
        p.code: p for p in session.scalars(select(Product).where(Product.code.in_(list(codes))))
    }
    items: list[tuple[Product, int]] = []
    for index, row in enumerate(rows):
        code = row.get("code", "").strip()
        raw_count = row.get("count", "")
        if not code and not raw_count.strip():
            continue
        if not code:
            errors[f"code-{index}"] = _(
                "Line %(line)s: enter or scan a product code.", line=index + 1
            )
            continue
        product = found.get(code)
        if product is None:
            errors[f"code-{index}"] = _(
                "Line %(line)s: no product has the code %(code)s.", line=index + 1, code=code
            )
            continue
        if product.archived:
            errors[f"code-{index}"] = _(
                "%(name)s is archived; restore it to print labels.", name=product.name
            )
            continue
        count, problem = _count(raw_count, product.name)
        if problem:
            errors[f"count-{index}"] = problem
            continue
        assert count is not None
        items.append((product, count))
    if not items and not errors:
        errors["code-0"] = _("Add at least one product to print labels for.")
    total = sum(count for _, count in items)
    if total > MAX_LABELS:
        errors["total"] = _(
            "At most %(limit)s labels at a time; this asks for %(total)s.",
            limit=MAX_LABELS,
            total=total,
        )
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    assert fmt is not None
    return LabelRequest(fmt, items, skip_value)


def single_label(session: Session, product_id: int) -> LabelRequest:
    """Return a request for one thermal label of an active product."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(_("No such product."))
    if product.archived:
        raise ValidationError(
            _("%(name)s is archived; restore it to print its label.", name=product.name)
        )
    return LabelRequest(SHEET_FORMATS[THERMAL], [(product, 1)], 0)


def names_by_code(session: Session, codes: Sequence[str]) -> dict[str, str]:
    """Return {code: name} of the products with these codes (for showing a form's lines)."""
    wanted = [code.strip() for code in codes if code.strip()]
    rows = session.execute(select(Product.code, Product.name).where(Product.code.in_(wanted)))
    return {code: name for code, name in rows}


def active_products(session: Session, ids: Sequence[int]) -> list[Product]:
    """Return the active products of these ids, in the order given."""
    found = {
        p.id: p
        for p in session.scalars(
            select(Product).where(Product.id.in_(list(ids)), Product.archived.is_(False))
        )
    }
    return [found[i] for i in dict.fromkeys(ids) if i in found]
