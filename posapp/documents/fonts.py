"""Devanagari in the PDFs: the bundled Noto Sans Devanagari, shaped with HarfBuzz.

xhtml2pdf draws a run of text as the font's glyphs for its characters, one by one. That is
right for Latin and wrong for Devanagari, whose conjuncts (क्ष, त्र), half forms and matras
are other glyphs, reordered and positioned by the font's OpenType tables. So the PDF
templates name two families, `font-family: DejaVu, NotoDeva`: xhtml2pdf draws each character
in the first family that has it (Latin, digits and ₹ in DejaVu, Devanagari in Noto), and the
two Noto faces are registered here, before xhtml2pdf reads the @font-face rules, as a
`ShapingFont`. xhtml2pdf keeps a face registered under the name it would give it
(`notodeva_00`, `notodeva_10`) instead of loading the file again.

A ShapingFont measures a run by its HarfBuzz shaping (so lines break and right-aligned
amounts line up by the glyphs really drawn) and hands ReportLab's text object the shaped run
(`ShapedStr`), which ReportLab writes glyph by glyph with HarfBuzz's offsets. ReportLab only
draws what it is given as a ShapedStr, and xhtml2pdf's paragraphs give it plain strings, so
`install()` wraps the text object's `_formatText` to shape runs in a ShapingFont (and only
those) on their way out.

Text stays extractable: a PDF font code maps to its text through the font's ToUnicode
table, and a ShapingFont writes one that gives each syllable's text in logical order (see
`ShapingFont.shaped`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uharfbuzz as hb  # no stubs, no py.typed
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import SUBSETN, ShapeData, ShapedStr, TTFont
from reportlab.pdfgen.textobject import PDFTextObject

from posapp.config import bundled

NOTO_DIR = ("static", "vendor", "noto-sans-devanagari-2.001")
REGULAR_FILE = "NotoSansDevanagari-Regular.ttf"
BOLD_FILE = "NotoSansDevanagari-Bold.ttf"
# The family the templates name, lower-cased as xhtml2pdf keys it, and its faces' names:
# xhtml2pdf names a face "<family>_<bold><italic>".
FAMILY = "notodeva"
FACE_NAMES = {f"{FAMILY}_00": REGULAR_FILE, f"{FAMILY}_10": BOLD_FILE}

# ReportLab gives a glyph that no character maps to a code from the Private Use Area; so does
# a ShapingFont, for glyphs whose text is not their character's (see `shaped`). 0xF800 is
# where ReportLab stops. The codes are the font's, for every document the helper makes, so a
# helper kept busy all day starts them again, between documents, once 4096 are made: a
# document needs far fewer than the 2048 left (one per distinct conjunct or reordered syllable).
_PRIVATE_FIRST = 0xE000
_PRIVATE_LAST = 0xF7FF
PRIVATE_KEEP = 4096
# Shaped runs kept for measuring and drawing: a label sheet repeats the same few names.
_CACHE_SIZE = 4096


def font_path(file_name: str) -> Path:
    """The bundled Noto Sans Devanagari face `file_name` (from source and frozen alike)."""
    return bundled(*NOTO_DIR, file_name)


def harfbuzz_font(path: Path) -> Any:
    """A uharfbuzz Font of the font file at `path`, at its own units (upem)."""
    return hb.Font(hb.Face(hb.Blob(path.read_bytes())))


@dataclass(frozen=True)
class Glyph:
    """One glyph of a shaped run: its id in the font and its HarfBuzz position (font units)."""

    gid: int
    cluster: int
    x_advance: int
    y_advance: int
    x_offset: int
    y_offset: int


def shape(hb_font: Any, text: str) -> list[Glyph]:
    """Shape `text` with HarfBuzz's defaults (script and language guessed from the text).

    Clusters are per character where HarfBuzz can keep them so (MONOTONE_CHARACTERS); a
    reordered matra shares its syllable's cluster.
    """
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    buf.cluster_level = hb.BufferClusterLevel.MONOTONE_CHARACTERS
    hb.shape(hb_font, buf)
    return [
        Glyph(
            info.codepoint, info.cluster, pos.x_advance, pos.y_advance, pos.x_offset, pos.y_offset
        )
        for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True)
    ]


def glyph_texts(text: str, glyphs: list[Glyph]) -> list[str]:
    """The text each glyph stands for, so that the glyphs' texts in drawing order read `text`.

    A cluster (a syllable, or a character) gives all its text to its last glyph and none to
    the others: "हि" is drawn as ि then ह, and reads back as "हि", not "िह". The last rather
    than the first because text extractors that place words by position (poppler) then see
    the gap of one narrow matra, not of a whole consonant, and do not cut the word there.
    """
    starts = sorted({g.cluster for g in glyphs})
    ends = dict(zip(starts, [*starts[1:], len(text)], strict=True))
    texts = []
    for index, glyph in enumerate(glyphs):
        following = glyphs[index + 1].cluster if index + 1 < len(glyphs) else None
        texts.append(
            text[glyph.cluster : ends[glyph.cluster]] if following != glyph.cluster else ""
        )
    return texts


class ShapingFont(TTFont):
    """A TrueType face whose runs are shaped with HarfBuzz for measuring and drawing.

    Each glyph of a shaped run is written as a character of the face: the glyph's own
    character when its text is just that character, else a Private Use Area character made
    for that glyph and text, whose ToUnicode entry is the text (or nothing).
    """

    def __init__(self, name: str, path: Path) -> None:
        super().__init__(name, str(path))
        self.hb_font = harfbuzz_font(path)
        self._lock = threading.Lock()
        self._private: dict[tuple[int, str], int] = {}
        self._private_text: dict[int, str] = {}
        self._next_private = _PRIVATE_FIRST
        self._cache: dict[str, ShapedStr] = {}

    def shaped(self, text: str) -> ShapedStr:
        """`text` shaped: a ShapedStr of the face's characters, one per glyph, and positions."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        with self._lock:
            glyphs = shape(self.hb_font, text)
            chars = [
                self._char_for(g.gid, t)
                for g, t in zip(glyphs, glyph_texts(text, glyphs), strict=True)
            ]
        scale = self.face._pdfScale
        data = [
            ShapeData(
                g.cluster,
                scale(g.x_advance),
                scale(g.y_advance),
                scale(g.x_offset),
                scale(g.y_offset),
                self.face.charWidths[c],
            )
            for g, c in zip(glyphs, chars, strict=True)
        ]
        result = ShapedStr("".join(map(chr, chars)), shapeData=data)
        if len(self._cache) >= _CACHE_SIZE:
            self._cache.clear()
        self._cache[text] = result
        return result

    def _char_for(self, gid: int, text: str) -> int:
        face = self.face
        own = face.glyphToChar.get(gid)
        if own and text == chr(own[0]):
            return int(own[0])
        key = (gid, text)
        code = self._private.get(key)
        if code is None:
            code = self._next_private
            while code in face.charToGlyph:
                code += 1
            if code > _PRIVATE_LAST:
                raise RuntimeError(f"{self.fontName}: too many shaped glyphs for one process")
            self._next_private = code + 1
            self._private[key] = code
            self._private_text[code] = text
            face.charToGlyph[code] = gid
            face.glyphToChar.setdefault(gid, []).append(code)
            face.charWidths[code] = face._pdfScale(self.hb_font.get_glyph_h_advance(gid))
        return code

    def forget_private_codes(self, keep: int = PRIVATE_KEEP) -> None:
        """Between documents: drop the private codes (and shaped runs) once `keep` are made."""
        with self._lock:
            if self._next_private - _PRIVATE_FIRST <= keep:
                return
            face = self.face
            for (gid, _text), code in self._private.items():
                del face.charToGlyph[code]
                del face.charWidths[code]
                face.glyphToChar[gid].remove(code)
            self._private.clear()
            self._private_text.clear()
            self._cache.clear()
            self._next_private = _PRIVATE_FIRST

    def stringWidth(self, text: str, size: float, encoding: str = "utf8") -> float:
        """The width of `text` as drawn: its shaped glyphs' advances (ReportLab's name)."""
        if isinstance(text, bytes):
            text = text.decode(encoding)
        if not text:
            return 0.0
        advances = sum(d.x_advance for d in self.shaped(text).__shapeData__)
        return float(advances * size / 1000)

    def addObjects(self, doc: Any) -> None:
        """Write the face's subsets (ReportLab), then their ToUnicode tables with shaped text."""
        state = self.state.get(doc)
        subsets = [list(s) for s in state.subsets] if state is not None else []
        super().addObjects(doc)
        face = self.face
        for n, subset in enumerate(subsets):
            base = b"".join((SUBSETN(n), b"+", face.name, face.subfontNameX)).decode("pdfdoc")
            stream = doc.idToObject.get("toUnicodeCMap:" + base)
            if stream is not None:
                stream.content = self._to_unicode(base, subset)

    def _to_unicode(self, base: str, subset: list[int]) -> str:
        lines = [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            f"/CIDSystemInfo << /Registry ({base}) /Ordering ({base}) /Supplement 0 >> def",
            f"/CMapName /{base} def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            f"<00> <{len(subset) - 1:02X}>",
            "endcodespacerange",
        ]
        entries = []
        for code, char in enumerate(subset):
            text = self._private_text.get(char, chr(char))
            entries.append(f"<{code:02X}> <{text.encode('utf-16-be').hex().upper()}>")
        # A bfchar block holds at most 100 entries (PDF 32000-1, 9.10.3).
        for start in range(0, len(entries), 100):
            block = entries[start : start + 100]
            lines += [f"{len(block)} beginbfchar", *block, "endbfchar"]
        lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
        return "\n".join(lines)


_install_lock = threading.Lock()
_original_format_text = PDFTextObject._formatText


def _format_text(self: Any, text: Any) -> Any:
    # xhtml2pdf hands over plain strings; ReportLab draws shaped glyphs only from a ShapedStr.
    font = pdfmetrics.getFont(self._fontname)
    if isinstance(font, ShapingFont) and not isinstance(text, ShapedStr):
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        if text:
            text = font.shaped(text)
    return _original_format_text(self, text)


def install() -> None:
    """Register the Noto faces as ShapingFonts and shape their runs when drawn (idempotent).

    Called in the PDF helper before each document; the first call reads the fonts (~40 ms).
    """
    with _install_lock:
        registered = set(pdfmetrics.getRegisteredFontNames())
        for name, file_name in FACE_NAMES.items():
            if name not in registered:
                pdfmetrics.registerFont(ShapingFont(name, font_path(file_name)))
            font = pdfmetrics.getFont(name)
            if isinstance(font, ShapingFont):
                font.forget_private_codes()
        PDFTextObject._formatText = _format_text
