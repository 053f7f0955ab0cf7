"""Label sheets: the grids of common A4 label sheets, and parsing which labels to print."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from posapp.errors import ValidationError
from posapp.models import Product

MAX_LABELS = 2000


@dataclass(frozen=True)
class SheetLayout:
    """An A4 label sheet: columns x rows of labels, sizes and margins in millimetres."""

    key: str
    title: str
    cols: int
    rows: int
    label_w: float
    label_h: float
    margin_left: float
    margin_top: float
    gap_x: float = 0.0
    gap_y: float = 0.0

    @property
    def per_sheet(self) -> int:
        return self.cols * self.rows


# Common A4 sheets (210 x 297 mm). The pitch (label + gap) times the count plus the margins
# stays inside the page.
LAYOUTS: dict[str, SheetLayout] = {
    layout.key: layout
    for layout in (
        SheetLayout("3x8", "3 × 8 (24 labels, 70 × 37 mm)", 3, 8, 70, 37, 0, 0.5),
        SheetLayout("3x7", "3 × 7 (21 labels, 70 × 42.4 mm)", 3, 7, 70, 42.4, 0, 0.1),
        SheetLayout("4x10", "4 × 10 (40 labels, 48.5 × 25.4 mm)", 4, 10, 48.5, 25.4, 8, 21.5),
        SheetLayout("2x7", "2 × 7 (14 labels, 99.1 × 38.1 mm)", 2, 7, 99.1, 38.1, 4.65, 15.15, 2.5),
    )
}
THERMAL_W_MM = 50.0
THERMAL_H_MM = 30.0


@dataclass(frozen=True)
class LabelRequest:
    """A product and how many labels of it to print."""

    product: Product
    copies: int


def parse_label_counts(session: Session, counts: Mapping[int, Any]) -> list[LabelRequest]:
    """Validate {product_id: copies}; blank or 0 skips a product; at most MAX_LABELS labels."""
    errors: dict[str, str] = {}
    wanted: dict[int, int] = {}
    for product_id, raw in counts.items():
        text = "" if raw is None else str(raw).strip()
        if text in ("", "0"):
            continue
        if not text.isdigit() or int(text) > MAX_LABELS:
            errors[f"copies.{product_id}"] = f"Copies are whole numbers from 0 to {MAX_LABELS}."
            continue
        wanted[product_id] = int(text)
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    if not wanted:
        raise ValidationError("Choose at least one label to print.", field="copies")
    if sum(wanted.values()) > MAX_LABELS:
        raise ValidationError(f"At most {MAX_LABELS} labels at a time.", field="copies")
    products = {
        p.id: p for p in session.scalars(select(Product).where(Product.id.in_(list(wanted))))
    }
    missing = [pid for pid in wanted if pid not in products]
    if missing:
        raise ValidationError(f"No product with id {missing[0]}.", field="copies")
    return [LabelRequest(products[pid], n) for pid, n in wanted.items()]
