"""Devanagari in the PDFs: Noto Sans Devanagari, shaped by HarfBuzz, and still extractable.

The proof that the shaping is HarfBuzz's: the glyphs an invoice PDF draws for a name are read
back from the PDF itself (its content stream and its embedded subset fonts) and compared with
uharfbuzz's own shaping of the name with the bundled font file.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import uharfbuzz as hb
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.ttLib import TTFont as FontFile
from pypdf import PdfReader
from pypdf.generic import ContentStream, TextStringObject

from posapp.documents import fonts, pdf_worker
from posapp.documents.invoice_pdf import render_invoice_pdf
from posapp.extensions import db
from posapp.models import Invoice, User
from posapp.services.settings import load_settings
from tests.factories import make_product
from tests.services.test_invoice_pdf import embedded_fonts, pdf_text, registered_shop, sell

pytestmark = pytest.mark.one_backend("shaping Devanagari in PDFs")

NAMES = ["क्षत्रिय", "श्री", "मूंग दाल", "चीनी"]

Outline = tuple[object, ...]


def outline(glyph_set: object, name: str) -> Outline:
    """A glyph's outline with its components drawn in: the same in a font and its subset."""
    pen = DecomposingRecordingPen(glyph_set)
    glyph_set[name].draw(pen)  # type: ignore[index]
    return tuple((op, tuple(args)) for op, args in pen.value)


def gids_by_outline(font: FontFile) -> dict[Outline, set[int]]:
    """Every glyph id of `font`, by its outline (several glyphs may share one, e.g. blanks)."""
    glyph_set = font.getGlyphSet()
    found: dict[Outline, set[int]] = {}
    for gid, name in enumerate(font.getGlyphOrder()):
        found.setdefault(outline(glyph_set, name), set()).add(gid)
    return found


def harfbuzz_gids(text: str, file_name: str = fonts.REGULAR_FILE) -> list[int]:
    """HarfBuzz's own shaping of `text` with the bundled font file, its defaults throughout."""
    face = hb.Face(hb.Blob(fonts.font_path(file_name).read_bytes()))
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(hb.Font(face), buf)
    return [info.codepoint for info in buf.glyph_infos]


def drawn_glyphs(pdf: bytes, face_name: str) -> list[set[int]]:
    """The glyphs the PDF draws in `face_name`, in content-stream order, as original gids.

    A drawn byte is a code of a subset font; the subset's own glyph for it is matched by
    outline against the original font file, which gives the candidates for its gid there.
    """
    original = gids_by_outline(FontFile(str(fonts.font_path(face_name + ".ttf"))))
    drawn: list[set[int]] = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources = page["/Resources"].get_object()["/Font"]
        subsets: dict[str, tuple[FontFile, dict[int, str]]] = {}
        for key, ref in resources.items():
            font = ref.get_object()
            if not str(font["/BaseFont"]).endswith(face_name):
                continue
            data = font["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data()
            subset = FontFile(io.BytesIO(data))
            subsets[key] = (subset, subset.getBestCmap() or subset["cmap"].tables[0].cmap)
        current = None
        for operands, operator in ContentStream(page.get_contents(), page.pdf).operations:
            if operator == b"Tf":
                current = subsets.get(str(operands[0]))
            elif current is not None and operator in (b"Tj", b"TJ"):
                subset, cmap = current
                glyph_set = subset.getGlyphSet()
                parts = operands[0] if operator == b"TJ" else [operands[0]]
                for part in parts:
                    # A string operand: its raw bytes are the codes (pypdf decodes some as text).
                    if isinstance(part, TextStringObject):
                        part = part.get_original_bytes()
                    if isinstance(part, bytes):
                        for code in part:
                            drawn.append(original[outline(glyph_set, cmap[code])])
    return drawn


def contains(drawn: list[set[int]], gids: list[int]) -> bool:
    """Whether the glyphs `gids` are drawn one after the other somewhere in `drawn`."""
    return any(
        all(gid in drawn[start + i] for i, gid in enumerate(gids))
        for start in range(len(drawn) - len(gids) + 1)
    )


@pytest.fixture
def hindi_invoice(admin: User) -> Iterator[tuple[Invoice, bytes]]:
    registered_shop(shop_name="शर्मा किराना स्टोर")
    products = [make_product(db.session, name=name, price="148.50") for name in NAMES]
    invoice = sell(admin, *({"product_id": p.id, "quantity": 1} for p in products))
    yield invoice, render_invoice_pdf(invoice, load_settings(db.session))


def test_harfbuzz_shapes_conjuncts_and_matras_with_the_bundled_font() -> None:
    # The premise: shaped, क्षत्रिय is 4 glyphs for 8 characters (क्ष and त्र are one glyph
    # each, ि comes before त्र); unshaped it would be 8.
    assert len(harfbuzz_gids("क्षत्रिय")) == 4
    assert len(harfbuzz_gids("श्री")) == 2


def test_the_invoice_draws_harfbuzz_glyphs_for_each_devanagari_name(
    hindi_invoice: tuple[Invoice, bytes],
) -> None:
    _, pdf = hindi_invoice
    drawn = drawn_glyphs(pdf, "NotoSansDevanagari-Regular")
    for name in NAMES:
        assert contains(drawn, harfbuzz_gids(name)), name


def test_the_bold_shop_name_is_shaped_in_the_bold_face(
    hindi_invoice: tuple[Invoice, bytes],
) -> None:
    _, pdf = hindi_invoice
    drawn = drawn_glyphs(pdf, "NotoSansDevanagari-Bold")
    assert contains(drawn, harfbuzz_gids("शर्मा किराना स्टोर", fonts.BOLD_FILE))


def test_latin_stays_dejavu_and_devanagari_is_noto(hindi_invoice: tuple[Invoice, bytes]) -> None:
    _, pdf = hindi_invoice
    assert {
        "DejaVuSans",
        "DejaVuSans-Bold",
        "NotoSansDevanagari-Regular",
        "NotoSansDevanagari-Bold",
    } <= embedded_fonts(pdf)


def test_the_devanagari_text_extracts_in_logical_order(
    hindi_invoice: tuple[Invoice, bytes],
) -> None:
    invoice, pdf = hindi_invoice
    text = pdf_text(pdf)
    for name in [*NAMES, "शर्मा किराना स्टोर", invoice.number]:
        assert name in text


NOTO = "static:vendor/noto-sans-devanagari-2.001/NotoSansDevanagari-Regular.ttf"


def mixed_page(body: str) -> str:
    return f"""<html><head><style>
  @font-face {{ font-family: DejaVu; src: url("static:vendor/dejavu/DejaVuSans.ttf"); }}
  @font-face {{ font-family: NotoDeva; src: url("{NOTO}"); }}
  body {{ font-family: DejaVu, NotoDeva; font-size: 12pt; }}
</style></head><body>{body}</body></html>"""


def test_a_mixed_line_draws_each_script_in_its_font_and_reads_back_whole() -> None:
    pdf, failed, warnings = pdf_worker.render(mixed_page("<p>मूंग दाल 1 kg ₹148.50</p>"))
    assert (failed, warnings) == (False, 0)
    assert "मूंग दाल 1 kg ₹148.50" in pdf_text(pdf)
    assert {"DejaVuSans", "NotoSansDevanagari-Regular"} <= embedded_fonts(pdf)
    assert contains(drawn_glyphs(pdf, "NotoSansDevanagari-Regular"), harfbuzz_gids("मूंग दाल"))


def test_shaped_text_is_measured_by_its_glyphs_so_right_aligned_amounts_line_up() -> None:
    fonts.install()
    font = fonts.ShapingFont("test_noto", fonts.font_path(fonts.REGULAR_FILE))
    face = hb.Font(hb.Face(hb.Blob(fonts.font_path(fonts.REGULAR_FILE).read_bytes())))
    buf = hb.Buffer()
    buf.add_str("क्षत्रिय")
    buf.guess_segment_properties()
    hb.shape(face, buf)
    advance = sum(pos.x_advance for pos in buf.glyph_positions)  # upem is 1000
    assert font.stringWidth("क्षत्रिय", 10) == pytest.approx(advance * 10 / 1000)


@pytest.mark.parametrize("text", ["हिन्दी", "क्षत्रिय", "स्त्री", "मूंग दाल", "कि", "ज़्यादा"])
def test_each_glyph_carries_its_clusters_text_so_the_glyphs_read_back_the_text(text: str) -> None:
    face = hb.Font(hb.Face(hb.Blob(fonts.font_path(fonts.REGULAR_FILE).read_bytes())))
    glyphs = fonts.shape(face, text)
    assert "".join(fonts.glyph_texts(text, glyphs)) == text


def test_private_codes_start_again_between_documents_and_shape_the_same() -> None:
    font = fonts.ShapingFont("test_noto_private", fonts.font_path(fonts.REGULAR_FILE))
    first = font.shaped("क्षत्रिय")
    private = [ord(c) for c in first if ord(c) >= 0xE000]
    assert private  # क्ष and त्र have no character of their own
    glyphs = [font.face.charToGlyph[ord(c)] for c in first]
    assert glyphs == harfbuzz_gids("क्षत्रिय")

    font.forget_private_codes(keep=len(private))  # not more than kept: nothing forgotten
    assert font.shaped("क्षत्रिय") is first
    font.forget_private_codes(keep=0)
    assert all(code not in font.face.charToGlyph for code in private)
    again = font.shaped("श्री क्षत्रिय")
    assert [font.face.charToGlyph[ord(c)] for c in again] == harfbuzz_gids("श्री क्षत्रिय")
    assert min(ord(c) for c in again if ord(c) >= 0xE000) == 0xE000  # the codes started again
