"""Reading QR codes back in tests: from a screenshot or an image, and from a PDF's pages.

zxing-cpp (the decoder the till's vendored WebAssembly reader is built from) reads what the
app drew, so a test checks the text a customer's phone would get, not the app's own idea of it.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

import zxingcpp
from PIL import Image


def decode_png(png: bytes) -> list[str]:
    """The text of every barcode and QR code in a PNG (or any image Pillow opens)."""
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def decode_qr(png: bytes) -> str:
    """The text of the one QR code in a screenshot."""
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    codes = [r.text for r in found if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(codes) == 1, f"expected one QR code, found {codes}"
    return codes[0]


def decode_pdf(pdf: bytes) -> list[str]:
    """Every QR/barcode text on the PDF's pages, read from pdftoppm's PNGs at 200 dpi."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "doc.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "200", str(source), str(Path(tmp) / "page")], check=True
        )
        found: list[str] = []
        for page in sorted(Path(tmp).glob("page*.png")):
            found += decode_png(page.read_bytes())
        return found
