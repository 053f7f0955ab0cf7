"""Receipt lines printed as raster images (posapp/documents/raster_text.py, escpos_receipt.py).

The jobs come from python-escpos's own Dummy printer; the images are read back out of their
GS v 0 commands. The reference images under tests/references/ were rendered once and looked
at; `TILLBOOK_WRITE_REFERENCES=1` writes them again after a deliberate change of drawing.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

import pytest
import uharfbuzz as hb
from PIL import Image, ImageChops

from posapp.config import bundled
from posapp.documents import escpos_receipt, raster_text
from posapp.documents.raster_text import DEVANAGARI, LATIN, PlacedGlyph, Shaped, Span
from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.models import Invoice, User
from posapp.services import drawer, receipt_printer
from posapp.services.receipt_printer import PrinterConfig, PrinterError
from tests.factories import make_product
from tests.printer_server import PrinterServer
from tests.services.test_escpos_receipt import configure, network, settings, text_lines
from tests.services.test_invoice_pdf import a_sale, registered_shop, sell

pytestmark = pytest.mark.one_backend("raster printing")

REFERENCES = Path(__file__).resolve().parent.parent / "references"
RASTER = re.compile(rb"\x1dv0(.)(..)(..)", re.DOTALL)  # GS v 0 m xL xH yL yH, then the dots
NAME = "मूंग दाल 1 kg"
AMOUNT = "₹148.50"


def split_job(job: bytes) -> tuple[bytes, list[Image.Image]]:
    """The job without its raster images, and the images (black = printed dots)."""
    images: list[Image.Image] = []
    rest = b""
    position = 0
    while (match := RASTER.search(job, position)) is not None:
        assert match.group(1) == b"\x00"  # normal density, as a text line
        width_bytes = int.from_bytes(match.group(2), "little")
        height = int.from_bytes(match.group(3), "little")
        end = match.end() + width_bytes * height
        dots = bytes(byte ^ 0xFF for byte in job[match.end() : end])  # 1 = ink in ESC/POS
        images.append(Image.frombytes("1", (width_bytes * 8, height), dots))
        rest += job[position : match.start()]
        position = end
    return rest + job[position:], images


def same_image(one: Image.Image, other: Image.Image) -> bool:
    return one.size == other.size and ImageChops.difference(one, other).getbbox() is None


def reference(name: str, image: Image.Image) -> Image.Image:
    path = REFERENCES / name
    if os.environ.get("TILLBOOK_WRITE_REFERENCES") == "1":
        path.parent.mkdir(exist_ok=True)
        image.save(path)
    return Image.open(path).convert("1")


def one_line_job(left: str, right: str, columns: int) -> bytes:
    printer = receipt_printer.dummy_printer()
    escpos_receipt._Writer(printer, columns).two(left, right)
    output: bytes = printer.output
    return output


@pytest.mark.parametrize("columns,width_bytes", [(32, 48), (48, 72)])
def test_a_devanagari_line_is_a_raster_the_papers_width(columns: int, width_bytes: int) -> None:
    job = one_line_job(NAME, AMOUNT, columns)
    assert job.startswith(b"\x1dv0\x00" + bytes([width_bytes, 0]))
    rest, (image,) = split_job(job)
    assert rest == b""
    assert image.width == width_bytes * 8 == columns * 12
    assert image.height == raster_text.line_metrics()[1]


@pytest.mark.parametrize("columns", [32, 48])
def test_the_line_matches_its_reference_image(columns: int) -> None:
    _, (image,) = split_job(one_line_job(NAME, AMOUNT, columns))
    expected = reference(f"raster-moong-dal-{columns * 12}.png", image)
    assert same_image(image, expected)
    # The name starts at the left edge and the amount ends at the right one.
    left, _, right, _ = ImageChops.invert(image.convert("L")).getbbox() or (0, 0, 0, 0)
    assert left <= 2 and right >= image.width - 3


def test_latin_lines_stay_text() -> None:
    job = one_line_job("Paid by Cash", "148.50", 32)
    assert b"\x1dv0" not in job
    assert job.endswith(b"Paid by Cash" + b" " * 14 + b"148.50\n")
    assert not raster_text.needs_raster("Crème brûlée × 2")  # Latin-1: the code page has it
    assert raster_text.needs_raster("₹10") and raster_text.needs_raster("दाल")


@pytest.mark.parametrize("width_mm,width_bytes", [(58, 48), (80, 72)])
def test_a_receipt_prints_only_its_devanagari_lines_as_images(
    admin: User, width_mm: int, width_bytes: int
) -> None:
    registered_shop(receipt_footer="धन्यवाद, फिर आइए")
    dal = make_product(db.session, name=NAME, price="148.50")
    invoice = sell(
        admin, {"product_id": dal.id, "quantity": 1}, payments=[{"method": "cash", "amount": 200}]
    )
    configure(receipt_width_mm=width_mm)
    columns = PrinterConfig.from_settings(settings()).columns
    job = escpos_receipt.receipt_job(invoice, settings(), columns=columns)
    rest, images = split_job(job)
    assert len(images) == 2  # the item's name and the footer
    assert {image.width for image in images} == {width_bytes * 8}
    assert job.count(b"\x1dv0\x00" + bytes([width_bytes, 0])) == 2
    lines = text_lines(rest)
    text = "\n".join(lines)
    for latin in ("TAX INVOICE", "Paid by Cash", "Cash tendered", invoice.number):
        assert latin in text, latin
    assert "?" not in text  # nothing fell back to the code page's question mark
    assert max(len(line) for line in lines) <= columns
    name = raster_text.render_line([Span(NAME, 0, width_bytes * 8)], width_bytes * 8)
    assert same_image(images[0], name)


def test_the_whole_receipt_as_images(sale_with_devanagari_shop: Invoice) -> None:
    configure(printer_as_image=True, receipt_width_mm=58)
    job = escpos_receipt.receipt_job(sale_with_devanagari_shop, settings(), columns=32)
    rest, images = split_job(job)
    assert len(images) > 20 and {image.width for image in images} == {384}
    text = "\n".join(text_lines(rest))
    # Only the QR codes' data and the number under the QR remain as bytes, no receipt text.
    assert "Paid by" not in text and "TOTAL" not in text and "TAX INVOICE" not in text
    assert b"\x1d(k" in rest  # the printer still draws the QR codes itself
    # The shop's name, big: drawn on half the paper, each dot doubled both ways.
    _, height = raster_text.line_metrics()
    assert (images[0].width, images[0].height) == (384, 2 * height)
    # The total, bold and double height, with the rupee sign the text receipt cannot print.
    total = raster_text.render_line(
        [Span("TOTAL", 0, 384), Span("₹211.13", 0, 384, "right")], 384, bold=True
    )
    total = total.resize((384, 2 * height), Image.Resampling.NEAREST)
    assert any(same_image(image, total) for image in images)


@pytest.fixture
def sale_with_devanagari_shop(admin: User) -> Invoice:
    registered_shop(shop_name="शर्मा किराना स्टोर")
    return a_sale(admin)


def test_the_test_page_follows_the_setting(app: object) -> None:
    configure(receipt_width_mm=80, printer_as_image=True)
    config = PrinterConfig.from_settings(settings())
    job = escpos_receipt.printer_test_job(settings(), config, datetime(2026, 12, 6, 12, 0))
    rest, images = split_job(job)
    assert images and {image.width for image in images} == {576}
    assert "PRINTER TEST" not in "\n".join(text_lines(rest))


def harfbuzz_glyphs(text: str) -> Shaped:
    """The text shaped here, straight through uharfbuzz with the bundled Devanagari font."""
    path = bundled("static", *raster_text.FONT_FILES[(DEVANAGARI, False)])
    font = hb.Font(hb.Face(hb.Blob.from_file_path(str(path))))
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(font, buffer, {})
    scale = raster_text.SIZE_PX / font.face.upem
    glyphs, pen = [], 0.0
    for info, position in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True):
        glyphs.append(PlacedGlyph(DEVANAGARI, info.codepoint, pen + position.x_offset * scale, 0.0))
        pen += position.x_advance * scale
    return Shaped(tuple(glyphs), pen, False, raster_text.SIZE_PX)


def glyph_names(shaped: Shaped) -> list[str]:
    font = raster_text._load(DEVANAGARI, False).font
    return [font.glyph_to_string(glyph.gid) for glyph in shaped.glyphs]


@pytest.mark.parametrize(
    "text,names",
    [
        # क्ष is one conjunct glyph; the i sign is drawn before त्र, the cluster it follows.
        ("क्षत्रिय", ["kassadeva", "ivowelsign03deva", "taradeva", "yadeva"]),
        ("श्री", ["sharadeva", "iivowelsigndeva"]),  # श्र as one glyph, then the ii sign
    ],
)
def test_the_glyphs_drawn_are_harfbuzzs_shaping(text: str, names: list[str]) -> None:
    ours = raster_text.shape(text)
    theirs = harfbuzz_glyphs(text)
    assert [g.gid for g in ours.glyphs] == [g.gid for g in theirs.glyphs]
    assert glyph_names(ours) == names
    font = raster_text._load(DEVANAGARI, False).font
    character_glyphs = [font.get_nominal_glyph(ord(char)) for char in text]
    assert [g.gid for g in ours.glyphs] != character_glyphs  # shaping changed the sequence
    # What is drawn is exactly HarfBuzz's glyphs at HarfBuzz's positions.
    baseline, height = raster_text.line_metrics()
    drawn = raster_text.render_line([Span(text, 0, 384)], 384)
    assert same_image(drawn, raster_text.draw([(theirs, 0.0)], 384, height, baseline))
    unshaped = Shaped(
        tuple(PlacedGlyph(DEVANAGARI, gid or 0, 0.0, 0.0) for gid in character_glyphs),
        0.0,
        False,
        raster_text.SIZE_PX,
    )
    assert not same_image(drawn, raster_text.draw([(unshaped, 0.0)], 384, height, baseline))


def test_runs_give_devanagari_to_noto_and_the_rest_to_dejavu() -> None:
    assert raster_text.runs("मूंग दाल 1 kg ₹148.50") == [
        (DEVANAGARI, "मूंग दाल "),
        (LATIN, "1 kg ₹148.50"),
    ]
    assert raster_text.runs("Rice चावल।") == [(LATIN, "Rice "), (DEVANAGARI, "चावल।")]
    shaped = raster_text.shape("₹ दाल")
    assert all(glyph.gid != 0 for glyph in shaped.glyphs)  # no missing-glyph boxes


def test_long_text_wraps_by_its_drawn_width_between_clusters() -> None:
    text = "बासमती चावल प्रीमियम क्वालिटी पाँच किलो का थैला"
    lines = raster_text.wrap(text, 384)
    assert len(lines) > 1 and " ".join(lines) == text
    assert all(raster_text.text_width(line) <= 384 for line in lines)
    word = "क्षत्रियक्षत्रियक्षत्रियक्षत्रियक्षत्रिय"
    pieces = raster_text.wrap(word, 120)
    assert "".join(pieces) == word and len(pieces) > 1
    for piece in pieces:
        # Never a vowel sign or virama starting a line, nor a virama ending one.
        assert piece[0] not in "िीुूेैोौ्" and piece[-1] != "्"


def test_a_long_label_puts_the_amount_on_its_own_line() -> None:
    label = "बासमती चावल प्रीमियम क्वालिटी पाँच किलो"
    _, images = split_job(one_line_job(label, "1,48,000.50", 32))
    assert len(images) >= 2
    last = ImageChops.invert(images[-1].convert("L")).getbbox()
    assert last is not None and last[0] > 192 and last[2] >= 384 - 3  # right-aligned alone


def test_the_setting_is_on_the_printer_form_and_checked(admin: User) -> None:
    form = {"printer_kind": "none", "printer_as_image": "1"}
    receipt_printer.save_printer_settings(db.session, form, admin.id, platform="linux")
    assert settings().printer_as_image is True
    assert receipt_printer.printer_form_values(settings())["printer_as_image"] == "1"
    with pytest.raises(ValidationError) as caught:
        receipt_printer.validate_printer_form(
            {"printer_kind": "none", "printer_as_image": "maybe"}, platform="linux"
        )
    assert "printer_as_image" in caught.value.fields


def test_a_network_printer_receives_the_raster_lines(admin: User) -> None:
    dal = make_product(db.session, name=NAME, price="148.50")
    invoice = sell(admin, {"product_id": dal.id, "quantity": 1})
    with PrinterServer() as printer:
        network(printer.port, receipt_width_mm=58)
        outcome = drawer.print_invoice_receipt(
            db.session, invoice, settings(), admin, render=escpos_receipt.receipt_job
        )
        received = printer.job()
    assert outcome.printed
    _, (image,) = split_job(received)
    assert same_image(image, raster_text.render_line([Span(NAME, 0, 384)], 384))


def test_a_missing_font_is_a_printer_error_and_nothing_is_sent(
    admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    dal = make_product(db.session, name=NAME, price="148.50")
    invoice = sell(admin, {"product_id": dal.id, "quantity": 1})
    files = {**raster_text.FONT_FILES, (DEVANAGARI, False): ("vendor", "missing.ttf")}
    monkeypatch.setattr(raster_text, "FONT_FILES", files)
    raster_text._load.cache_clear()
    try:
        with PrinterServer() as printer:
            network(printer.port)
            with pytest.raises(PrinterError) as caught:
                drawer.print_invoice_receipt(
                    db.session, invoice, settings(), admin, render=escpos_receipt.receipt_job
                )
            assert printer.jobs.empty()
    finally:
        raster_text._load.cache_clear()
    assert "missing.ttf is missing" in caught.value.message
    assert caught.value.status == 502


@pytest.mark.parametrize("text", ["😀\t\x00दाल\u200d", "्", "ि", "مرحبا दाल", "x" * 300, ""])
def test_odd_text_still_draws_a_line_the_papers_width(text: str) -> None:
    _, images = split_job(one_line_job(text, "₹1", 32))
    assert images and {image.width for image in images} == {384}
