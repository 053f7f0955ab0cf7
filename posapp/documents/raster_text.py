"""Receipt text as 1-bit images, for thermal printers whose code pages lack the script.

A thermal printer prints text in a code page: Devanagari and the rupee sign are not in the
ones printers have. A line with such a character is drawn here instead, exactly the printer's
dot width wide, and printed as a raster image (GS v 0). The text is shaped by HarfBuzz
(uharfbuzz) with the bundled fonts: Noto Sans Devanagari for Devanagari runs, DejaVu Sans for
everything else (Latin, digits, ₹). The glyphs HarfBuzz chose are filled here from their
outlines, so what prints is HarfBuzz's shaping (conjuncts, reordered vowel signs) whatever
Pillow was built with: Pillow's own complex layout (libraqm) needs FriBiDi, which its Windows
wheels load only when fribidi.dll was installed separately.

Outlines are filled with the non-zero winding rule, sampled 4 x 4 per printer dot; a dot
prints when at least half of its samples are inside a glyph.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

import uharfbuzz as hb  # no py.typed, no stubs
from PIL import Image

from posapp.config import bundled
from posapp.i18n import _
from posapp.services.receipt_printer import PrinterError

# Pixel size of the em: about the height of the printer's own 12 x 24 dot font A.
SIZE_PX = 24
# Text that does not fit its place is drawn smaller, down to this size, then cut.
MIN_SIZE_PX = 14
OVERSAMPLE = 4  # samples per dot, each way
CURVE_STEPS = 8  # straight segments per Bézier curve: under a tenth of a dot off at 24 px
LATIN = "latin"
DEVANAGARI = "devanagari"
FONT_FILES = {
    (LATIN, False): ("vendor", "dejavu", "DejaVuSans.ttf"),
    (LATIN, True): ("vendor", "dejavu", "DejaVuSans-Bold.ttf"),
    (DEVANAGARI, False): ("vendor", "noto-sans-devanagari-2.001", "NotoSansDevanagari-Regular.ttf"),
    (DEVANAGARI, True): ("vendor", "noto-sans-devanagari-2.001", "NotoSansDevanagari-Bold.ttf"),
}
# The Devanagari blocks, and the joiners and dandas that belong with them.
DEVANAGARI_RANGES = ((0x0900, 0x097F), (0xA8E0, 0xA8FF), (0x1CD0, 0x1CFF), (0x11B00, 0x11B5F))
DEVANAGARI_EXTRA = {0x200C, 0x200D, 0x0964, 0x0965}
VIRAMA = "\u094d"
JOINERS = {"\u200c", "\u200d"}
ALIGNS = ("left", "right", "center")

Contour = list[tuple[float, float]]


def needs_raster(text: str) -> bool:
    """Whether a line has a character beyond Latin-1, which no printer code page holds."""
    return any(ord(char) > 0xFF for char in text)


def _is_devanagari(char: str) -> bool:
    point = ord(char)
    return point in DEVANAGARI_EXTRA or any(lo <= point <= hi for lo, hi in DEVANAGARI_RANGES)


class _OutlinePen:
    """Collects a glyph's outline (fontTools pen calls from uharfbuzz) as flat polygons."""

    def __init__(self) -> None:
        self.contours: list[Contour] = []
        self._current: Contour = []

    def moveTo(self, point: tuple[float, float]) -> None:
        self._current = [point]
        self.contours.append(self._current)

    def lineTo(self, point: tuple[float, float]) -> None:
        self._current.append(point)

    def qCurveTo(self, *points: tuple[float, float]) -> None:
        # TrueType: between two off-curve points lies an implied on-curve one at their middle.
        *controls, end = points
        start = self._current[-1]
        for index, control in enumerate(controls):
            if index + 1 < len(controls):
                following = controls[index + 1]
                stop = ((control[0] + following[0]) / 2, (control[1] + following[1]) / 2)
            else:
                stop = end
            for step in range(1, CURVE_STEPS + 1):
                t = step / CURVE_STEPS
                u = 1 - t
                self._current.append(
                    (
                        u * u * start[0] + 2 * u * t * control[0] + t * t * stop[0],
                        u * u * start[1] + 2 * u * t * control[1] + t * t * stop[1],
                    )
                )
            start = stop

    def curveTo(
        self, first: tuple[float, float], second: tuple[float, float], end: tuple[float, float]
    ) -> None:
        start = self._current[-1]
        for step in range(1, CURVE_STEPS + 1):
            t = step / CURVE_STEPS
            u = 1 - t
            a, b, c, d = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
            self._current.append(
                (
                    a * start[0] + b * first[0] + c * second[0] + d * end[0],
                    a * start[1] + b * first[1] + c * second[1] + d * end[1],
                )
            )

    def closePath(self) -> None:
        self._current = []

    def endPath(self) -> None:
        self._current = []


@dataclass(frozen=True)
class _Font:
    """One bundled font, loaded once: HarfBuzz's font object, units per em and extents."""

    font: hb.Font
    upem: int
    ascender: int
    descender: int  # negative, below the baseline

    def has(self, char: str) -> bool:
        return self.font.get_nominal_glyph(ord(char)) is not None


@cache
def _load(script: str, bold: bool) -> _Font:
    """The bundled font for a script and weight (PrinterError when the bundle lacks it)."""
    path = bundled("static", *FONT_FILES[(script, bold)])
    try:
        face = hb.Face(hb.Blob.from_file_path(str(path)))
    except hb.HarfBuzzError:
        raise PrinterError(
            _(
                "Receipt lines in Hindi or with ₹ cannot be drawn: the font %(font)s is "
                "missing from TillBook's files. Reinstall TillBook.",
                font=path.name,
            )
        ) from None
    if face.glyph_count == 0:  # a file that is not a font
        raise PrinterError(
            _("Receipt lines in Hindi or with ₹ cannot be drawn: %(path)s is no font.", path=path)
        )
    font = hb.Font(face)
    extents = font.get_font_extents("ltr")
    return _Font(font, face.upem, extents.ascender, extents.descender)


@lru_cache(maxsize=4096)
def _outline(script: str, bold: bool, gid: int) -> tuple[Contour, ...]:
    """A glyph's outline in font units, flattened to polygons."""
    pen = _OutlinePen()
    _load(script, bold).font.draw_glyph_with_pen(gid, pen)
    return tuple(contour for contour in pen.contours if len(contour) > 2)


@dataclass(frozen=True)
class PlacedGlyph:
    """A glyph HarfBuzz chose, placed in pixels from the text's start (y up)."""

    script: str
    gid: int
    x: float
    y: float


@dataclass(frozen=True)
class Shaped:
    """A shaped piece of text: its glyphs in drawing order and its advance width in pixels."""

    glyphs: tuple[PlacedGlyph, ...]
    width: float
    bold: bool
    size: float


def runs(text: str) -> list[tuple[str, str]]:
    """Split text into (script, text) runs: Devanagari ones and the rest.

    Spaces and combining marks stay with the run before them, so a word and the space after
    it are shaped together; a character the chosen font lacks goes to the other font.
    """
    result: list[tuple[str, str]] = []
    latin = _load(LATIN, False)
    for char in text:
        if _is_devanagari(char):
            script = DEVANAGARI
        elif result and (char == " " or unicodedata.category(char).startswith("M")):
            script = result[-1][0]
        elif latin.has(char) or not _load(DEVANAGARI, False).has(char):
            script = LATIN
        else:
            script = DEVANAGARI
        if result and result[-1][0] == script:
            result[-1] = (script, result[-1][1] + char)
        else:
            result.append((script, char))
    return result


def shape(text: str, *, bold: bool = False, size: float = SIZE_PX) -> Shaped:
    """Shape text with HarfBuzz, run by run, each with its bundled font."""
    glyphs: list[PlacedGlyph] = []
    pen_x = 0.0
    for script, part in runs(text):
        font = _load(script, bold)
        buffer = hb.Buffer()
        buffer.add_str(part)
        buffer.guess_segment_properties()
        hb.shape(font.font, buffer, {})
        scale = size / font.upem
        for info, position in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True):
            glyphs.append(
                PlacedGlyph(
                    script,
                    info.codepoint,
                    pen_x + position.x_offset * scale,
                    position.y_offset * scale,
                )
            )
            pen_x += position.x_advance * scale
    return Shaped(tuple(glyphs), pen_x, bold, size)


def text_width(text: str, *, bold: bool = False, size: float = SIZE_PX) -> float:
    """The advance width of text in dots."""
    return shape(text, bold=bold, size=size).width


def line_metrics(size: float = SIZE_PX) -> tuple[int, int]:
    """(baseline from the top, height) in dots of one line: room for both fonts' extents."""
    ascent = max(_load(s, b).ascender / _load(s, b).upem for s, b in FONT_FILES) * size
    descent = max(-_load(s, b).descender / _load(s, b).upem for s, b in FONT_FILES) * size
    return math.ceil(ascent), math.ceil(ascent) + math.ceil(descent)


@dataclass(frozen=True)
class Span:
    """Text placed in a box of the line, from dot `left` to dot `right`, aligned in it."""

    text: str
    left: int
    right: int
    align: str = "left"


def wrap(text: str, width: int, *, bold: bool = False) -> list[str]:
    """Break text into lines of at most `width` dots, at spaces; a longer word is split
    between clusters (never inside a conjunct or before a vowel sign)."""
    lines: list[str] = []
    for paragraph in (text or "").splitlines():
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if text_width(candidate, bold=bold) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            for piece in _clusters(word):
                if line and text_width(line + piece, bold=bold) > width:
                    lines.append(line)
                    line = ""
                line += piece
        if line:
            lines.append(line)
    return lines


def _clusters(word: str) -> list[str]:
    """The word's characters grouped so that a break between groups is allowed."""
    groups: list[str] = []
    for char in word:
        joined = groups and (
            unicodedata.category(char).startswith("M")
            or char in JOINERS
            or groups[-1][-1] in (VIRAMA, *JOINERS)
        )
        if joined:
            groups[-1] += char
        else:
            groups.append(char)
    return groups


def layout(spans: Sequence[Span], *, bold: bool = False) -> list[Shaped]:
    """Shape each span at the largest size (up to SIZE_PX) at which it fits its box."""
    shaped: list[Shaped] = []
    for span in spans:
        if span.align not in ALIGNS:
            raise ValueError(f"unknown alignment {span.align!r}")
        piece = shape(span.text, bold=bold)
        room = span.right - span.left
        if piece.width > room > 0:
            smaller = max(MIN_SIZE_PX, math.floor(SIZE_PX * room / piece.width))
            piece = shape(span.text, bold=bold, size=smaller)
        shaped.append(piece)
    return shaped


def render_line(spans: Sequence[Span], width: int, *, bold: bool = False) -> Image.Image:
    """One receipt line as a 1-bit image `width` dots wide (black ink on white)."""
    baseline, height = line_metrics()
    placed: list[tuple[Shaped, float]] = []
    for span, piece in zip(spans, layout(spans, bold=bold), strict=True):
        if span.align == "right":
            left = span.right - piece.width
        elif span.align == "center":
            left = span.left + (span.right - span.left - piece.width) / 2
        else:
            left = float(span.left)
        placed.append((piece, max(float(span.left), left)))
    return draw(placed, width, height, baseline)


def draw(
    placed: Sequence[tuple[Shaped, float]], width: int, height: int, baseline: int
) -> Image.Image:
    """Fill the shaped glyphs' outlines into a 1-bit image, each piece from its left dot."""
    wide, high = width * OVERSAMPLE, height * OVERSAMPLE
    samples = bytearray(wide * high)
    ink = b"\xff" * wide
    for piece, left in placed:
        for glyph in piece.glyphs:
            font = _load(glyph.script, piece.bold)
            scale = piece.size / font.upem * OVERSAMPLE
            origin_x = (left + glyph.x) * OVERSAMPLE
            origin_y = (baseline - glyph.y) * OVERSAMPLE
            contours = [
                [(origin_x + x * scale, origin_y - y * scale) for x, y in contour]
                for contour in _outline(glyph.script, piece.bold, glyph.gid)
            ]
            _fill(contours, samples, wide, high, ink)
    image = Image.frombytes("L", (wide, high), bytes(samples)).reduce(OVERSAMPLE)
    # Average of the samples: 128 and up means at least half of the dot is inside a glyph.
    threshold = [255 if level < 128 else 0 for level in range(256)]
    return image.point(threshold).convert("1", dither=Image.Dither.NONE)


def _fill(contours: list[Contour], samples: bytearray, wide: int, high: int, ink: bytes) -> None:
    """Mark the samples inside one glyph (non-zero winding: overlapping contours stay solid).

    Each sample row's crossings are gathered edge by edge, then walked left to right.
    """
    rows: dict[int, list[tuple[float, int]]] = {}
    for contour in contours:
        for index, (x0, y0) in enumerate(contour):
            x1, y1 = contour[index - 1]
            if y0 == y1:
                continue
            direction = 1 if y1 > y0 else -1
            top, bottom = min(y0, y1), max(y0, y1)
            first = max(0, math.ceil(top - 0.5))
            last = min(high, math.ceil(bottom - 0.5))
            slope = (x1 - x0) / (y1 - y0)
            for row in range(first, last):
                centre = row + 0.5
                rows.setdefault(row, []).append((x0 + (centre - y0) * slope, direction))
    for row, crossings in rows.items():
        crossings.sort()
        winding = 0
        start = 0.0
        for x, direction in crossings:
            if winding == 0:
                start = x
            winding += direction
            if winding == 0:
                begin = max(0, math.ceil(start - 0.5))
                end = min(wide, math.ceil(x - 0.5))
                if end > begin:
                    offset = row * wide
                    samples[offset + begin : offset + end] = ink[: end - begin]
