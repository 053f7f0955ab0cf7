"""Barcode images for product codes (reportlab's barcode module; SVG needs no extra renderer)."""

from __future__ import annotations

from reportlab.graphics import renderSVG
from reportlab.graphics.barcode import createBarcodeDrawing
from reportlab.graphics.shapes import Drawing

from posapp.money import is_valid_ean13


def barcode_drawing(code: str, *, bar_height: float = 40.0, width: float | None = None) -> Drawing:
    """Return a drawing of the code: EAN-13 when it is one, Code 128 otherwise."""
    kind = "EAN13" if is_valid_ean13(code) else "Code128"
    options: dict[str, object] = {"value": code, "humanReadable": True, "barHeight": bar_height}
    if width is not None:
        options["width"] = width
    return createBarcodeDrawing(kind, **options)


def barcode_svg(code: str) -> bytes:
    """Render the code's barcode as SVG."""
    return renderSVG.drawToString(barcode_drawing(code)).encode("utf-8")
