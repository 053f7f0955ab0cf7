"""The A4 invoice PDF: content, escaping, embedded fonts, the tax split and amounts in words."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader

from posapp.documents import pdf_worker
from posapp.documents.invoice_pdf import amount_in_words, invoice_html, render_invoice_pdf
from posapp.extensions import db
from posapp.models import Invoice, User
from posapp.models.base import write_transaction
from posapp.money import format_money
from posapp.services import checkout
from posapp.services.pricing import TaxRow, summarise_tax
from posapp.services.settings import load_settings, save_settings
from tests.factories import make_product

pytestmark = pytest.mark.one_backend("rendering PDFs")

TOM = "<b>Tom & Jerry</b>"


def configure_shop(**values: object) -> None:
    with write_transaction(db.session):
        save_settings(db.session, **values)


def registered_shop(**overrides: object) -> None:
    values: dict[str, object] = {
        "shop_name": "Sharma & Sons <General Store>",
        "address": "12, MG Road\nBengaluru 560038",
        "phone": "+91 98450 12345",
        "email": "sharma@example.in",
        "tax_number": "29ABCDE1234F1ZW",
        "split_tax": True,
    }
    values.update(overrides)
    configure_shop(**values)


def sell(user: User, *items: dict, **extra: object) -> Invoice:
    return checkout.checkout(
        db.session, checkout.parse_checkout({"items": list(items), **extra}), user
    )


def a_sale(user: User) -> Invoice:
    """A sale with an HTML-special name, two tax rates and a measured unit."""
    tom = make_product(db.session, name=TOM, price="45.00", tax_rate="5", hsn="9503")
    rice = make_product(
        db.session, name="Sona Masoori Rice", price="62.50", tax_rate="18", unit="kg"
    )
    return sell(
        user,
        {"product_id": tom.id, "quantity": 3},
        {"product_id": rice.id, "quantity": "1.250", "discount": "2.00"},
        note="Deliver <after 5pm> & ring twice",
        payments=[{"method": "upi", "amount": "50"}, {"method": "cash", "amount": "500"}],
    )


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def embedded_fonts(pdf: bytes) -> set[str]:
    """Base font names (subset prefix dropped) that carry an embedded font file."""
    names: set[str] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            if any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                names.add(str(font["/BaseFont"]).lstrip("/").split("+")[-1])
    return names


def render(invoice: Invoice) -> bytes:
    return render_invoice_pdf(invoice, load_settings(db.session))


def test_invoice_pdf_shows_the_number_items_rupee_and_grand_total(admin: User) -> None:
    registered_shop()
    invoice = a_sale(admin)
    pdf = render(invoice)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "TAX INVOICE" in text
    assert invoice.number in text
    assert "Sona Masoori Rice" in text
    assert "29ABCDE1234F1ZW" in text
    assert "₹" in text
    assert format_money(invoice.total) in text
    assert "Grand Total" in text
    assert "UPI" in text and "Cash" in text
    assert "Page 1 of 1" in text


def test_dejavu_is_embedded_so_the_rupee_sign_is_drawn(admin: User) -> None:
    invoice = a_sale(admin)
    fonts = embedded_fonts(render(invoice))
    assert {"DejaVuSans", "DejaVuSans-Bold"} <= fonts


def test_fonts_load_from_the_bundle_whatever_the_working_directory(
    admin: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Frozen, the working directory is anywhere but the bundle; xhtml2pdf's default policy
    # confines reads to it and would drop the fonts without an error. The PDF helper process
    # is started afresh, so it starts in that directory.
    pdf_worker.worker.stop()
    monkeypatch.chdir(tmp_path)
    invoice = a_sale(admin)
    assert "DejaVuSans" in embedded_fonts(render(invoice))


def test_rendering_logs_no_xhtml2pdf_warnings(
    admin: User, caplog: pytest.LogCaptureFixture
) -> None:
    registered_shop()
    invoice = a_sale(admin)
    with caplog.at_level(logging.WARNING):
        render(invoice)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_user_typed_html_is_printed_literally(admin: User) -> None:
    registered_shop()
    invoice = a_sale(admin)
    html = invoice_html(invoice, load_settings(db.session))
    assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in html
    assert "<b>Tom" not in html
    assert "Deliver &lt;after 5pm&gt; &amp; ring twice" in html
    text = pdf_text(render(invoice))
    assert TOM in text
    assert "Sharma & Sons <General Store>" in text
    assert "Deliver <after 5pm> & ring twice" in text


def test_cgst_and_sgst_halves_add_up_to_each_rates_tax(admin: User) -> None:
    registered_shop()
    invoice = a_sale(admin)
    rows = summarise_tax(invoice.lines)
    assert [row.rate_bp for row in rows] == [500, 1800]
    for row in rows:
        # Equal halves, each rounded on its own line (tax_rule 2): no odd paisa anywhere.
        assert row.cgst + row.sgst == row.tax
        assert row.cgst == row.sgst
    assert sum(row.tax for row in rows) == invoice.tax_total
    assert sum(row.taxable for row in rows) == sum(line.taxable for line in invoice.lines)
    text = pdf_text(render(invoice))
    assert "CGST" in text and "SGST" in text
    for row in rows:
        assert format_money(row.cgst) in text
        assert format_money(row.sgst) in text
    assert "2.5%" in text and "9%" in text


@pytest.mark.parametrize(
    ("tax", "cgst", "sgst"), [(0, 0, 0), (1, 1, 0), (3, 2, 1), (298, 149, 149), (-3, -2, -1)]
)
def test_the_odd_paisa_goes_to_cgst(tax: int, cgst: int, sgst: int) -> None:
    row = TaxRow.legacy(rate_bp=500, taxable=0, tax=tax)
    assert (row.cgst, row.sgst) == (cgst, sgst)


def test_without_a_tax_number_it_is_a_plain_invoice_without_the_split(admin: User) -> None:
    configure_shop(shop_name="Corner Shop", tax_number="", split_tax=True)
    text = pdf_text(render(a_sale(admin)))
    assert "INVOICE" in text
    assert "TAX INVOICE" not in text
    assert "GSTIN" not in text
    assert "CGST" not in text and "SGST" not in text
    assert "Total tax" in text


def test_split_tax_off_shows_one_tax_column(admin: User) -> None:
    registered_shop(split_tax=False)
    text = pdf_text(render(a_sale(admin)))
    assert "TAX INVOICE" in text
    assert "CGST" not in text


def test_columns_group_digits_the_indian_way(admin: User) -> None:
    saree = make_product(db.session, name="Silk Saree", price="125000.00", tax_rate="12")
    text = pdf_text(render(sell(admin, {"product_id": saree.id, "quantity": 1})))
    assert "1,25,000.00" in text  # the rate and amount columns, not only the ₹ totals
    assert "125,000.00" not in text
    assert "₹1,25,000.00" in text
    assert "Rupees One Lakh Twenty Five Thousand Only" in " ".join(text.split())


def test_amount_in_words_is_printed(admin: User) -> None:
    invoice = a_sale(admin)
    text = " ".join(pdf_text(render(invoice)).split())
    assert amount_in_words(invoice.total) in text


def test_a_long_invoice_runs_over_pages_with_every_line(admin: User) -> None:
    products = [
        make_product(db.session, name=f"Item number {i:02d}", price=f"{10 + i}.25", tax_rate="12")
        for i in range(50)
    ]
    invoice = sell(admin, *({"product_id": p.id, "quantity": 2} for p in products))
    settings = load_settings(db.session)
    pdf = render_invoice_pdf(invoice, settings)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    text = pdf_text(pdf)
    assert all(f"Item number {i:02d}" in text for i in range(50))
    assert f"Page 1 of {len(reader.pages)}" in text
    assert format_money(invoice.total) in text


def test_the_api_serves_the_pdf(
    client: FlaskClient, admin: User, admin_headers: dict[str, str]
) -> None:
    invoice = a_sale(admin)
    response = client.get(f"/api/invoice/{invoice.id}/pdf", headers=admin_headers)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert f'filename="{invoice.number}.pdf"' in response.headers["Content-Disposition"]


@pytest.mark.parametrize(
    ("minor", "words"),
    [
        (0, "Rupees Zero Only"),
        (1, "One Paisa Only"),
        (50, "Fifty Paise Only"),
        (100, "Rupees One Only"),
        (101, "Rupees One and One Paise Only"),
        (9999, "Rupees Ninety Nine and Ninety Nine Paise Only"),
        (11500, "Rupees One Hundred Fifteen Only"),
        (100000, "Rupees One Thousand Only"),
        (1000000, "Rupees Ten Thousand Only"),
        (10000000, "Rupees One Lakh Only"),
        (1234500, "Rupees Twelve Thousand Three Hundred Forty Five Only"),
        (
            1234567890,
            "Rupees One Crore Twenty Three Lakh Forty Five Thousand Six Hundred Seventy Eight"
            " and Ninety Paise Only",
        ),
        (
            9999999999,
            "Rupees Nine Crore Ninety Nine Lakh Ninety Nine Thousand Nine Hundred"
            " Ninety Nine and Ninety Nine Paise Only",
        ),
        (1000000000000, "Rupees One Thousand Crore Only"),
        (-250, "Minus Rupees Two and Fifty Paise Only"),
    ],
)
def test_amount_in_words_indian_numbering(minor: int, words: str) -> None:
    assert amount_in_words(minor) == words


def test_amount_in_words_other_currencies_use_international_numbering() -> None:
    assert amount_in_words(123456789, "USD") == (
        "USD One Million Two Hundred Thirty Four Thousand Five Hundred Sixty Seven and 89/100 Only"
    )
    assert amount_in_words(100, "EUR") == "EUR One Only"
