"""Product label PDFs: A4 sheets of stickers and single thermal labels (QR, name, price, code)."""

from __future__ import annotations

import base64
import textwrap
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from posapp.documents.pdf import environment, html_to_pdf
from posapp.documents.qr import qr_png
from posapp.money import format_money
from posapp.services.labels import LabelRequest, SheetFormat, frame_slots
from posapp.services.settings import ShopSettings

TEMPLATE = "pdf/labels.html"
NAME_LINES = 2


@dataclass(frozen=True)
class LabelStyle:
    """Font sizes (pt) and QR side (mm) that fit a label format."""

    font: Decimal
    price: Decimal
    small: Decimal
    qr: Decimal


def label_style(fmt: SheetFormat) -> LabelStyle:
    """Size the text and QR code to the label's printable height."""
    inner = fmt.label_height - 2 * fmt.padding
    if inner >= 30:
        return LabelStyle(Decimal("8"), Decimal("11"), Decimal("6.5"), inner - 3)
    return LabelStyle(Decimal("7"), Decimal("9.5"), Decimal("5.5"), inner - 2)


# Average advance of DejaVu Sans Bold digits and signs, in ems; 1 mm = 72 / 25.4 pt.
_BOLD_EM = Decimal("0.70")
_PT_PER_MM = Decimal(72) / Decimal("25.4")


def price_size(fmt: SheetFormat, style: LabelStyle, text: str) -> Decimal:
    """Return the price's font size: the style's, shrunk so a long price fits the text column."""
    column_mm = fmt.label_width - 2 * fmt.padding - style.qr - Decimal("1.5")
    fitting = column_mm * _PT_PER_MM / (_BOLD_EM * max(1, len(text)))
    return min(style.price, fitting).quantize(Decimal("0.1"))


def name_lines(name: str, width: int, lines: int = NAME_LINES) -> list[str]:
    """Wrap a product name into at most `lines` lines of `width` characters, "…" if cut."""
    wrapped = textwrap.wrap(" ".join(name.split()), width, break_long_words=True) or [""]
    if len(wrapped) <= lines:
        return wrapped
    kept = wrapped[:lines]
    kept[-1] = kept[-1][: width - 1].rstrip() + "…"
    return kept


def _qr_uri(code: str) -> str:
    """The product's QR code (payload: its code) as a PNG data: URI: nothing is read from disk."""
    return "data:image/png;base64," + base64.b64encode(qr_png(code, box_size=6)).decode("ascii")


def label_context(request: LabelRequest, settings: ShopSettings) -> dict[str, Any]:
    """Everything the label template prints, one entry per label."""
    fmt = request.fmt
    style = label_style(fmt)
    qr_of: dict[str, str] = {}
    per_product: dict[int, dict[str, Any]] = {}
    for product, _ in request.items:
        if product.id in per_product:
            continue
        if product.code not in qr_of:
            qr_of[product.code] = _qr_uri(product.code)
        price = format_money(product.price, settings.currency, settings.locale)
        per_product[product.id] = {
            "name_lines": name_lines(product.name, fmt.name_chars),
            "price": price,
            "price_pt": price_size(fmt, style, price),
            "unit": "" if product.unit == "pcs" else product.unit,
            "mrp": (
                format_money(product.mrp, settings.currency, settings.locale)
                if product.mrp is not None and product.mrp != product.price
                else ""
            ),
            "code": product.code,
            "qr": qr_of[product.code],
        }
    return {
        "fmt": fmt,
        "frames": frame_slots(fmt),
        "style": style,
        "skip": request.skip,
        "labels": [per_product[p.id] for p in request.products()],
        "settings": settings,
    }


def labels_html(request: LabelRequest, settings: ShopSettings) -> str:
    """Render the labels' HTML (the PDF's source)."""
    return environment().get_template(TEMPLATE).render(label_context(request, settings))


def render_labels_pdf(request: LabelRequest, settings: ShopSettings) -> bytes:
    """Render the requested labels as a PDF in the request's sheet format."""
    return html_to_pdf(labels_html(request, settings), f"{request.total} label(s)")
