"""Invoice layouts (posapp/documents/invoice_pdf.py): classic A4, compact A5, 58/80 mm receipt."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader

from posapp.documents.invoice_pdf import amount_in_words, invoice_html, render_invoice_pdf
from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.models import Invoice, User
from posapp.money import format_money
from posapp.services.pricing import summarise_tax
from posapp.services.settings import load_settings
from tests.factories import PASSWORD
from tests.services.test_invoice_pdf import (
    TOM,
    a_sale,
    configure_shop,
    pdf_text,
    registered_shop,
    sell,
)

pytestmark = pytest.mark.one_backend("document layouts")

MM = 72 / 25.4  # PDF points per millimetre


def page_size_mm(pdf: bytes) -> tuple[int, int]:
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    return round(float(box.width) / MM), round(float(box.height) / MM)


def flat(pdf: bytes) -> str:
    """The PDF's text with every run of whitespace as one space (narrow pages wrap words)."""
    return " ".join(pdf_text(pdf).split())


def render(invoice: Invoice, layout: str | None = None, **options: object) -> bytes:
    db.session.expire_all()
    return render_invoice_pdf(invoice, load_settings(db.session), layout=layout, **options)


def assert_same_invoice_data(invoice: Invoice, text: str) -> None:
    """What every layout prints: shop, number, lines, HSN, totals, tax by rate, payments."""
    assert "Sharma & Sons <General Store>" in text
    assert "TAX INVOICE" in text and "29ABCDE1234F1ZW" in text
    assert invoice.number in text
    assert TOM in text and "Sona Masoori Rice" in text
    assert "9503" in text  # HSN of the first line
    assert format_money(invoice.total) in text
    assert format_money(invoice.tax_total) in text
    for row in summarise_tax(invoice.lines):
        assert format_money(row.taxable) in text or f"{row.taxable / 100:,.2f}" in text
    assert "UPI" in text and "Cash" in text
    assert format_money(invoice.change) in text
    assert amount_in_words(invoice.total) in text
    assert "Visit again" in text  # the footer


@pytest.fixture
def sale(admin: User) -> Invoice:
    registered_shop(receipt_footer="Visit again")
    return a_sale(admin)


@pytest.mark.parametrize(
    "layout,size",
    [("a4", (210, 297)), ("a5", (148, 210))],
)
def test_a4_and_a5_print_the_same_invoice_on_their_paper(
    sale: Invoice, layout: str, size: tuple[int, int]
) -> None:
    pdf = render(sale, layout)
    assert page_size_mm(pdf) == size
    text = flat(pdf)
    assert_same_invoice_data(sale, text)
    assert "CGST" in text and "SGST" in text
    assert "Authorised Signatory" in text and "Page 1 of 1" in text


def test_a5_is_compact_not_a_copy_of_a4(sale: Invoice) -> None:
    a4, a5 = flat(render(sale, "a4")), flat(render(sale, "a5"))
    # A4 has the discount and taxable columns and CGST/SGST rate columns; A5 folds them in.
    assert "Disc. (₹)" in a4 and "Disc. (₹)" not in a5
    assert "CGST rate" in a4 and "CGST rate" not in a5
    assert "disc. 2.00" in a5  # the line discount sits under the item
    assert "2.5% + 2.5%" in a5  # the halves' rates beside the rate


@pytest.mark.parametrize("width", [58, 80])
def test_the_receipt_layout_is_a_pdf_as_wide_as_the_paper(admin: User, width: int) -> None:
    # The width is the one the invoice was issued with (its snapshot).
    registered_shop(receipt_footer="Visit again", receipt_width_mm=width)
    sale = a_sale(admin)
    configure_shop(receipt_width_mm=80 if width == 58 else 58)
    pdf = render(sale, "receipt")
    page_width, page_height = page_size_mm(pdf)
    assert page_width == width
    assert page_height < 297  # a short bill is not fed a whole A4 length of paper
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    text = flat(pdf)
    assert_same_invoice_data(sale, text)
    assert "Change" in text


def test_the_shops_setting_chooses_the_layout_and_duplicates_are_marked(admin: User) -> None:
    registered_shop(receipt_footer="Visit again", invoice_layout="a5")
    a5 = a_sale(admin)
    # A later change of the setting leaves the issued invoice's layout alone.
    configure_shop(invoice_layout="receipt", receipt_width_mm=80)
    assert page_size_mm(render(a5)) == (148, 210)
    sale = sell(admin, {"product_id": a5.lines[0].product_id, "quantity": 1})
    pdf = render(sale, duplicate=True)
    assert page_size_mm(pdf)[0] == 80
    assert "DUPLICATE" in flat(pdf)
    assert "DUPLICATE" in flat(render(sale, "a5", duplicate=True))


def test_user_text_is_escaped_in_every_layout(sale: Invoice) -> None:
    settings = load_settings(db.session)
    for layout in ("a4", "a5", "receipt"):
        html = invoice_html(sale, settings, layout=layout)
        assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in html
        assert "<b>Tom" not in html and "<General Store>" not in html


def test_an_unknown_layout_is_refused(app: object) -> None:
    with pytest.raises(ValidationError) as caught:
        render_invoice_pdf(Invoice(number="X"), load_settings(db.session), layout="letter")
    assert caught.value.fields == {"layout": caught.value.message}


def test_a_long_receipt_grows_and_runs_over_pages_with_every_line(admin: User) -> None:
    from tests.factories import make_product
    from tests.services.test_invoice_pdf import sell

    products = [make_product(db.session, name=f"Item number {i:02d}") for i in range(60)]
    invoice = sell(admin, *({"product_id": p.id, "quantity": 1} for p in products))
    pdf = render(invoice, "receipt")
    text = flat(pdf)
    assert all(f"Item number {i:02d}" in text for i in range(60))
    assert page_size_mm(pdf)[1] > 297


def test_pages_serve_the_chosen_layout_and_the_api_keeps_a4(
    client: FlaskClient, admin: User, admin_headers: dict[str, str]
) -> None:
    client.post("/login", data={"username": "admin", "password": PASSWORD})
    registered_shop(receipt_footer="Visit again", invoice_layout="a5")
    sale = a_sale(admin)
    configure_shop(invoice_layout="a4")  # after the sale: the invoice keeps A5
    page = client.get(f"/invoices/{sale.id}/pdf")
    assert page.status_code == 200 and page.mimetype == "application/pdf"
    assert page_size_mm(page.data) == (148, 210)
    receipt = client.get(f"/invoices/{sale.id}/pdf?layout=receipt")
    assert page_size_mm(receipt.data)[0] == 80
    assert client.get(f"/invoices/{sale.id}/pdf?layout=letter").status_code == 422

    # docs/API.md promises callers an A4 PDF; they may ask for another layout.
    api = client.get(f"/api/invoice/{sale.id}/pdf", headers=admin_headers)
    assert page_size_mm(api.data) == (210, 297)
    api_a5 = client.get(f"/api/invoice/{sale.number}/pdf?layout=a5", headers=admin_headers)
    assert page_size_mm(api_a5.data) == (148, 210)
    bad = client.get(f"/api/invoice/{sale.id}/pdf?layout=letter", headers=admin_headers)
    assert bad.status_code == 422
    assert bad.get_json()["error"]["details"]["fields"] == {
        "layout": bad.get_json()["error"]["message"]
    }
