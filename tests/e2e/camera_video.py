"""Fake camera streams for chromium (--use-file-for-fake-video-capture): a barcode or a QR code
drawn on a white 640×480 card and written as YUV4MPEG2 (I420 planes via Pillow's YCbCr; no
ffmpeg). The EAN-13 is drawn here (reportlab's PNG renderer needs a cairo backend this
project does not install): guard bars, L/G/R patterns by the first digit, 95 modules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import qrcode
from PIL import Image, ImageDraw

from posapp.money import is_valid_ean13

WIDTH, HEIGHT = 640, 480
_L = ["0001101", "0011001", "0010011", "0111101", "0100011",
      "0110001", "0101111", "0111011", "0110111", "0001011"]  # fmt: skip
_R = ["".join("1" if bit == "0" else "0" for bit in code) for code in _L]
_G = [code[::-1] for code in _R]
_PARITY = ["LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG",
           "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL"]  # fmt: skip


def ean13_modules(code: str) -> str:
    """The 95 modules of an EAN-13 ("1" a bar, "0" a space)."""
    assert is_valid_ean13(code), code
    digits = [int(d) for d in code]
    left = "".join(
        (_L if parity == "L" else _G)[digit]
        for parity, digit in zip(_PARITY[digits[0]], digits[1:7], strict=True)
    )
    right = "".join(_R[digit] for digit in digits[7:])
    return "101" + left + "01010" + right + "101"


def ean13_card(code: str, module: int = 4) -> Image.Image:
    """An EAN-13 as a camera would see it on a pack: dark bars on a white card."""
    card = Image.new("RGB", (WIDTH, HEIGHT), (235, 232, 225))
    draw = ImageDraw.Draw(card)
    modules = ean13_modules(code)
    width = len(modules) * module
    left = (WIDTH - width) // 2
    top = (HEIGHT - 200) // 2
    draw.rectangle(
        (left - 12 * module, top - 20, left + width + 12 * module, top + 220), fill="white"
    )
    for index, bit in enumerate(modules):
        if bit == "1":
            x = left + index * module
            draw.rectangle((x, top, x + module - 1, top + 180), fill=(20, 20, 20))
    return card


def qr_card(payload: str) -> Image.Image:
    """A QR code (error correction M, as TillBook prints them) centred on a card."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6, border=4)
    qr.add_data(payload)
    qr.make(fit=True)
    return qr_card_from(qr.make_image(fill_color="black", back_color="white"))


def qr_card_from(image: Any) -> Image.Image:
    """A QR code picture (any size) centred on a card, at most half the frame high."""
    image = image.convert("RGB")
    if image.height > HEIGHT // 2:
        side = HEIGHT // 2
        image = image.resize((side, side), Image.Resampling.NEAREST)
    card = Image.new("RGB", (WIDTH, HEIGHT), (235, 232, 225))
    card.paste(image, ((WIDTH - image.width) // 2, (HEIGHT - image.height) // 2))
    return card


def write_y4m(path: Path, image: Image.Image, frames: int = 10, fps: int = 10) -> Path:
    """Write the picture as a short YUV4MPEG2 4:2:0 clip (chromium loops it)."""
    image = image.convert("RGB").resize((WIDTH, HEIGHT))
    luma, blue, red = image.convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    planes = (
        luma.tobytes()
        + blue.resize(half, Image.Resampling.BOX).tobytes()
        + red.resize(half, Image.Resampling.BOX).tobytes()
    )
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            out.write(b"FRAME\n" + planes)
    return path
