"""Label sheets: grid maths of each format, checking print requests, and the PDF itself."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from posapp.documents.labels_pdf import labels_html, name_lines, render_labels_pdf
from posapp.errors import NotFound, ValidationError
from posapp.extensions import db
from posapp.models import User
from posapp.services import catalog, labels
from posapp.services.labels import SHEET_FORMATS, LabelRequest, layout, page_count, slot_at
from posapp.services.settings import load_settings
from tests.factories import make_product

pytestmark = pytest.mark.one_backend("label sheets")

A3X8 = SHEET_FORMATS["a4-3x8"]
A4X10 = SHEET_FORMATS["a4-4x10"]
THERMAL = SHEET_FORMATS["thermal-50x30"]


def pdf_text(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def embedded_fonts(reader: PdfReader) -> set[str]:
    names: set[str] = set()
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            names.add(str(font["/BaseFont"]))
    return names


# ---------- grid maths ----------


@pytest.mark.parametrize("fmt", [A3X8, A4X10])
def test_a_sheet_grid_stays_on_the_page(fmt: labels.SheetFormat) -> None:
    last = slot_at(fmt, fmt.per_page - 1)
    assert last.page == 0
    assert last.x + fmt.label_width <= fmt.page_width
    assert last.y + fmt.label_height <= fmt.page_height
    assert slot_at(fmt, fmt.per_page).page == 1


def test_3x8_positions() -> None:
    assert A3X8.per_page == 24
    first, second, fourth = slot_at(A3X8, 0), slot_at(A3X8, 1), slot_at(A3X8, 3)
    assert (first.x, first.y) == (Decimal(0), Decimal("0.5"))
    assert (second.row, second.column, second.x) == (0, 1, Decimal(70))
    assert (fourth.row, fourth.column, fourth.y) == (1, 0, Decimal("37.5"))
    last = slot_at(A3X8, 23)
    assert (last.x, last.y) == (Decimal(140), Decimal("259.5"))


def test_4x10_positions_fill_the_sheet_exactly() -> None:
    assert A4X10.per_page == 40
    last = slot_at(A4X10, 39)
    assert (last.row, last.column) == (9, 3)
    assert last.x + A4X10.label_width == Decimal(210)
    assert last.y + A4X10.label_height == Decimal(297)


def test_skip_starts_later_on_the_first_sheet() -> None:
    slots = layout(A3X8, 3, skip=5)
    assert [(s.page, s.row, s.column) for s in slots] == [(0, 1, 2), (0, 2, 0), (0, 2, 1)]


def test_counts_spanning_pages() -> None:
    assert page_count(A3X8, 50) == 3
    assert page_count(A3X8, 48) == 2
    assert page_count(A3X8, 48, skip=1) == 3
    assert page_count(A4X10, 40) == 1
    assert page_count(THERMAL, 7) == 7
    assert page_count(A3X8, 0) == 0
    assert layout(A3X8, 50)[-1].page == 2


def test_names_wrap_to_two_lines_with_an_ellipsis() -> None:
    assert name_lines("Tata Salt", 20) == ["Tata Salt"]
    lines = name_lines("Sona Masoori Rice Premium Quality Long Grain", 16)
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert all(len(line) <= 16 for line in lines)
    assert name_lines("Supercalifragilisticexpialidocious", 10)[0] == "Supercalif"


# ---------- checking a request ----------


def test_a_good_request(app, admin: User) -> None:  # type: ignore[no-untyped-def]
    one = make_product(db.session)
    two = make_product(db.session)
    rows = [
        {"code": one.code, "count": "3"},
        {"code": "", "count": ""},
        {"code": two.code, "count": "2"},
    ]
    wanted = labels.parse_label_request(db.session, rows, "a4-4x10", "4")
    assert wanted.fmt is A4X10 and wanted.skip == 4 and wanted.total == 5
    assert [p.id for p in wanted.products()] == [one.id] * 3 + [two.id] * 2


@pytest.mark.parametrize(
    ("count", "message"),
    [
        ("0", "at least 1"),
        ("-2", "at least 1"),
        ("two", "whole number"),
        ("1.5", "whole number"),
        ("1001", "at most 1000"),
        ("", "how many"),
    ],
)
def test_bad_counts(app, count: str, message: str) -> None:  # type: ignore[no-untyped-def]
    product = make_product(db.session)
    with pytest.raises(ValidationError) as caught:
        labels.parse_label_request(
            db.session, [{"code": product.code, "count": count}], "a4-3x8", ""
        )
    assert message in caught.value.message
    assert "count-0" in caught.value.details["fields"]


def test_unknown_and_archived_products_are_refused(app) -> None:  # type: ignore[no-untyped-def]
    gone = make_product(db.session, name="Old Soap")
    catalog.archive_product(db.session, gone.id, None)
    rows = [{"code": "NOPE", "count": "1"}, {"code": gone.code, "count": "1"}]
    with pytest.raises(ValidationError) as caught:
        labels.parse_label_request(db.session, rows, "a4-3x8", "0")
    fields = caught.value.details["fields"]
    assert "no product has the code NOPE" in fields["code-0"]
    assert "archived" in fields["code-1"]


def test_bad_sheet_skip_and_empty_requests(app) -> None:  # type: ignore[no-untyped-def]
    product = make_product(db.session)
    row = [{"code": product.code, "count": "1"}]
    for sheet, skip, key in [
        ("a5-2x2", "0", "sheet"),
        ("a4-3x8", "24", "skip"),
        ("a4-3x8", "-1", "skip"),
        ("thermal-50x30", "1", "skip"),
    ]:
        with pytest.raises(ValidationError) as caught:
            labels.parse_label_request(db.session, row, sheet, skip)
        assert key in caught.value.details["fields"], (sheet, skip)
    with pytest.raises(ValidationError, match="at least one product"):
        labels.parse_label_request(db.session, [{"code": " ", "count": ""}], "a4-3x8", "0")
    many = [{"code": product.code, "count": "1000"}] * 6
    with pytest.raises(ValidationError, match="At most 5000 labels"):
        labels.parse_label_request(db.session, many, "a4-3x8", "0")


def test_single_label_refuses_archived_and_missing(app) -> None:  # type: ignore[no-untyped-def]
    product = make_product(db.session)
    assert labels.single_label(db.session, product.id).fmt is THERMAL
    catalog.archive_product(db.session, product.id, None)
    with pytest.raises(ValidationError):
        labels.single_label(db.session, product.id)
    with pytest.raises(NotFound):
        labels.single_label(db.session, 999)


# ---------- the PDF ----------


def test_50_labels_on_3x8_make_3_pages_with_names_prices_codes(app) -> None:  # type: ignore[no-untyped-def]
    salt = make_product(db.session, name="Tata Salt 1kg", price="28.00", mrp="30.00")
    rice = make_product(db.session, name="Sona Masoori Rice", price="1234567.50", unit="kg")
    wanted = LabelRequest(A3X8, [(salt, 30), (rice, 20)], 0)
    reader, text = pdf_text(render_labels_pdf(wanted, load_settings(db.session)))
    assert len(reader.pages) == 3
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.1)
    assert "Tata Salt 1kg" in text and "Sona Masoori Rice" in text
    assert "₹28.00" in text and "MRP ₹30.00" in text
    assert "₹12,34,567.50" in text and "/kg" in text
    assert salt.code in text and rice.code in text
    assert text.count(salt.code) == 30
    assert any("DejaVu" in name for name in embedded_fonts(reader))


def test_skipped_positions_push_labels_to_a_new_page(app) -> None:  # type: ignore[no-untyped-def]
    product = make_product(db.session)
    settings = load_settings(db.session)
    reader, _ = pdf_text(render_labels_pdf(LabelRequest(A4X10, [(product, 40)], 0), settings))
    assert len(reader.pages) == 1
    reader, _ = pdf_text(render_labels_pdf(LabelRequest(A4X10, [(product, 40)], 1), settings))
    assert len(reader.pages) == 2


def test_thermal_label_is_50_by_30_mm(app) -> None:  # type: ignore[no-untyped-def]
    product = make_product(db.session, name="Pen", price="5.00")
    pdf = render_labels_pdf(labels.single_label(db.session, product.id), load_settings(db.session))
    reader, text = pdf_text(pdf)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(50 * 72 / 25.4, abs=0.1)
    assert float(box.height) == pytest.approx(30 * 72 / 25.4, abs=0.1)
    assert "Pen" in text and "₹5.00" in text and product.code in text
    assert "/XObject" in reader.pages[0]["/Resources"]  # the QR image


def test_names_are_escaped(app) -> None:  # type: ignore[no-untyped-def]
    product = make_product(db.session, name="<script>x</script>")
    html = labels_html(LabelRequest(A3X8, [(product, 1)], 0), load_settings(db.session))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    _, text = pdf_text(
        render_labels_pdf(LabelRequest(A3X8, [(product, 1)], 0), load_settings(db.session))
    )
    assert "<script>x</script>" in text.replace("\n", "")
