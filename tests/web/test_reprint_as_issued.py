"""Issue 18: an invoice and a credit note reprint exactly as issued, whatever changes later.

Every setting and the customer's record change after issue; the invoice PDF (its text and
the HTML fed to xhtml2pdf in each layout), the credit-note PDF, the receipt page, the ESC/POS
bytes and the API reads stay byte-for-byte the same. Then what a GST document must print:
the buyer of a B2B invoice, the place of supply, IGST on an inter-state one, a bill of supply.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from posapp.documents import escpos_receipt
from posapp.documents.invoice_pdf import credit_note_html, invoice_html
from posapp.extensions import db
from posapp.models import CreditNote, Customer, Invoice, User
from posapp.models.base import write_transaction
from posapp.services import checkout, issued, returns
from posapp.services.settings import ShopSettings, load_settings, save_settings
from posapp.services.shop_settings import logo_data_uri
from tests.factories import make_customer, make_product
from tests.services.test_invoice_pdf import pdf_text
from tests.web.test_settings_pages import png, upload

SHOP_GSTIN = "27AAPFU0939F1ZV"
BUYER_GSTIN = "27AABCU9603R1ZX"
OTHER_GSTIN = "29AAGCB7383J1Z4"


def configure(**values: object) -> None:
    with write_transaction(db.session):
        save_settings(db.session, **values)


def a_b2b_sale(admin: User) -> tuple[Invoice, CreditNote, Customer]:
    """A tax invoice to a registered buyer in the shop's state, and a partial return of it."""
    customer = make_customer(
        db.session, admin, name="Ravi", address="Plot 4, MIDC\nPune 411019", credit_limit="0"
    )
    with write_transaction(db.session):
        customer.gstin, customer.legal_name, customer.state_code = (
            BUYER_GSTIN,
            "Ravi Traders LLP",
            "27",
        )
    tea = make_product(db.session, name="Assam Tea 250g", price="118.00", tax_rate="18")
    rice = make_product(db.session, name="Rice 5kg", price="262.50", tax_rate="5", hsn="1006")
    invoice = checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {
                "items": [
                    {"product_id": tea.id, "quantity": 2},
                    {"product_id": rice.id, "quantity": 1},
                ],
                "customer_id": customer.id,
            }
        ),
        admin,
    )
    note = returns.create_return(
        db.session,
        invoice.id,
        {"lines": [{"line_id": invoice.lines[0].id, "quantity": "1"}], "refund_method": "cash"},
        admin,
    )
    return invoice, note, customer


def article(html: str) -> str:
    """The receipt itself (the page around it is today's till: toolbar, printer switches)."""
    match = re.search(r"<header class=\"r-center\">.*</article>", html, re.DOTALL)
    assert match is not None
    return match.group(0)


def everything_printed(
    client: FlaskClient, data_dir: Path, invoice_id: int, note_id: int
) -> dict[str, Any]:
    """Every rendering of the invoice and the note, as bytes or text."""
    db.session.expire_all()
    settings = load_settings(db.session)
    invoice = db.session.get(Invoice, invoice_id)
    note = db.session.get(CreditNote, note_id)
    assert invoice is not None and note is not None
    doc = issued.for_document(invoice, settings, invoice.customer, "invoice")
    logo = logo_data_uri(data_dir, doc.seller.logo)
    pdf = client.get(f"/invoices/{invoice_id}/pdf")
    note_pdf = client.get(f"/api/credit-note/{note_id}/pdf")
    assert pdf.status_code == note_pdf.status_code == 200
    return {
        "pdf text": pdf_text(pdf.data),
        "a4 html": invoice_html(invoice, settings, logo=logo, layout="a4"),
        "a5 html": invoice_html(invoice, settings, logo=logo, layout="a5"),
        "receipt html": invoice_html(invoice, settings, logo=logo, layout="receipt"),
        "note pdf text": pdf_text(note_pdf.data),
        "note html": credit_note_html(note, settings, logo),
        "receipt page": article(client.get(f"/pos/receipt/{invoice_id}").get_data(as_text=True)),
        "escpos": escpos_receipt.receipt_job(invoice, settings, duplicate=True),
        "api invoice": client.get(f"/api/invoice/{invoice_id}").get_data(),
        "api note": client.get(f"/api/credit-note/{note_id}").get_data(),
    }


def test_changing_every_setting_and_the_customer_never_changes_an_issued_document(
    admin_client: FlaskClient, admin: User, data_dir: Path
) -> None:
    configure(
        shop_name="Asha Stores",
        address="12 FC Road\nPune 411004",
        phone="+91 98220 12345",
        email="asha@example.in",
        tax_number=SHOP_GSTIN,
        state_code="27",
        receipt_footer="Thank you, visit again",
    )
    assert upload(admin_client, png((300, 100))).status_code == 302
    invoice, note, customer = a_b2b_sale(admin)
    before = everything_printed(admin_client, data_dir, invoice.id, note.id)
    assert "Ravi Traders LLP" in before["pdf text"] and BUYER_GSTIN in before["pdf text"]
    assert "Asha Stores" in before["note pdf text"] and "CREDIT NOTE" in before["note pdf text"]
    assert "data-receipt-logo" in before["receipt page"]

    # Every setting a document prints, and the customer's record, change.
    assert upload(admin_client, png((120, 120), "JPEG")).status_code == 302
    every = {
        "shop_name": "Asha Super Mart",
        "address": "1 MG Road, Bengaluru",
        "phone": "+91 80 4000 0000",
        "email": "mart@example.in",
        "tax_number": OTHER_GSTIN,
        "state_code": "29",
        "composition_scheme": True,
        "invoice_layout": "a5",
        "receipt_width_mm": 58,
        "receipt_footer": "Come back soon",
        "split_tax": False,
        "currency": "USD",
        "locale": "en_US",
        "prices_include_tax": False,
    }
    configure(**every)
    settings = load_settings(db.session)
    assert all(getattr(settings, key) == value for key, value in every.items())
    with write_transaction(db.session):
        changed = db.session.get(Customer, customer.id)
        assert changed is not None
        changed.name, changed.legal_name, changed.gstin = "R. Kumar", "Kumar & Co", OTHER_GSTIN
        changed.address, changed.phone, changed.state_code = "Mysuru", "+919000000001", "29"

    after = everything_printed(admin_client, data_dir, invoice.id, note.id)
    for what, printed in before.items():
        assert after[what] == printed, what
    # The next invoice is issued with the new settings.
    product = make_product(db.session, price="10.00", tax_rate="0")
    later = checkout.checkout(
        db.session,
        checkout.parse_checkout({"items": [{"product_id": product.id, "quantity": 1}]}),
        admin,
    )
    later_doc = issued.read(later.issued_as or "")
    assert later_doc.seller.name == "Asha Super Mart" and later_doc.title == "BILL OF SUPPLY"


def set_issued(invoice: Invoice, **changes: Any) -> Invoice:
    """Store a snapshot as checkout would for this supply (tax split and place of supply are
    decided by the tax rules, not here)."""
    data = issued.loads(invoice.issued_as or "")
    data.update(changes)
    with write_transaction(db.session):
        row = db.session.get(Invoice, invoice.id)
        assert row is not None
        row.issued_as = issued.dumps(data)
        row.tax_split = data["tax_split"]
        place = data["place_of_supply"]
        row.place_of_supply = place["code"] if place else ""
    db.session.expire_all()
    stored = db.session.get(Invoice, invoice.id)
    assert stored is not None
    return stored


def html_text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_b2b_tax_invoice_names_the_buyer_and_the_place_of_supply(
    admin_client: FlaskClient, admin: User
) -> None:
    configure(shop_name="Asha Stores", tax_number=SHOP_GSTIN, state_code="27")
    invoice, _note, _customer = a_b2b_sale(admin)
    invoice = set_issued(invoice, place_of_supply={"code": "27", "name": "Maharashtra"})
    settings = load_settings(db.session)
    for layout in ("a4", "a5", "receipt"):
        text = html_text(invoice_html(invoice, settings, layout=layout))
        assert "TAX INVOICE" in text and SHOP_GSTIN in text
        assert "Ravi Traders LLP" in text and BUYER_GSTIN in text
        assert "27 – Maharashtra" in text
        assert "CGST" in text and "SGST" in text and "IGST" not in text
    a4 = html_text(invoice_html(invoice, settings, layout="a4"))
    assert "Place of supply 27 – Maharashtra" in a4 and "Plot 4, MIDC Pune 411019" in a4
    receipt = admin_client.get(f"/pos/receipt/{invoice.id}").get_data(as_text=True)
    assert "Place of supply" in receipt and "27 – Maharashtra" in receipt
    api = admin_client.get(f"/api/invoice/{invoice.id}").get_json()
    assert api["title"] == "TAX INVOICE" and api["buyer"]["gstin"] == BUYER_GSTIN
    assert api["place_of_supply"] == {"code": "27", "name": "Maharashtra"}
    assert api["seller"]["gstin"] == SHOP_GSTIN and api["seller"]["state"] == "Maharashtra"


def test_an_inter_state_invoice_shows_igst_instead_of_cgst_and_sgst(
    admin_client: FlaskClient, admin: User
) -> None:
    configure(shop_name="Asha Stores", tax_number=SHOP_GSTIN, state_code="27")
    invoice, _note, _customer = a_b2b_sale(admin)
    invoice = set_issued(
        invoice, tax_split="igst", place_of_supply={"code": "29", "name": "Karnataka"}
    )
    settings = load_settings(db.session)
    tax = invoice.tax_total
    for layout in ("a4", "a5", "receipt"):
        text = html_text(invoice_html(invoice, settings, layout=layout))
        assert "IGST" in text and "CGST" not in text and "SGST" not in text
        assert "29 – Karnataka" in text
    receipt = html_text(admin_client.get(f"/pos/receipt/{invoice.id}").get_data(as_text=True))
    assert "IGST" in receipt and "CGST" not in receipt
    job = escpos_receipt.receipt_job(invoice, settings).decode("cp437", "replace")
    assert "IGST" in job and "CGST" not in job and "29 - Karnataka" in job
    # All of the tax is IGST: 2 × 18.00 on tea + 12.50 on rice = 48.50.
    assert tax == 2 * 1800 + 1250
    assert "48.50" in html_text(invoice_html(invoice, settings, layout="a4"))


def test_a_bill_of_supply_shows_no_tax_and_carries_the_declaration(admin: User) -> None:
    configure(shop_name="Asha Stores", tax_number=SHOP_GSTIN, composition_scheme=True)
    product = make_product(db.session, name="Biscuits", price="30.00", tax_rate="0")
    invoice = checkout.checkout(
        db.session,
        checkout.parse_checkout({"items": [{"product_id": product.id, "quantity": 2}]}),
        admin,
    )
    settings = load_settings(db.session)
    for layout in ("a4", "a5", "receipt"):
        text = html_text(invoice_html(invoice, settings, layout=layout))
        assert "BILL OF SUPPLY" in text and "TAX INVOICE" not in text
        assert issued.COMPOSITION_DECLARATION in text
        assert "CGST" not in text and "TAX SUMMARY" not in text and "Tax %" not in text
    job = escpos_receipt.receipt_job(invoice, settings).decode("cp437", "replace")
    assert "BILL OF SUPPLY" in job and "Tax amt" not in job


def test_a_row_without_a_snapshot_prints_with_todays_settings(admin: User) -> None:
    """Only rows inserted outside the app (benchmarks) lack one; they still print."""
    configure(shop_name="Asha Stores")
    product = make_product(db.session, price="10.00", tax_rate="0")
    invoice = checkout.checkout(
        db.session,
        checkout.parse_checkout({"items": [{"product_id": product.id, "quantity": 1}]}),
        admin,
    )
    bare = replace_issued(invoice)
    text = html_text(invoice_html(bare, replace(ShopSettings(), shop_name="Todays Name")))
    assert "Todays Name" in text and "INVOICE" in text


def replace_issued(invoice: Invoice) -> Invoice:
    with write_transaction(db.session):
        row = db.session.get(Invoice, invoice.id)
        assert row is not None
        row.issued_as = None
    db.session.expire_all()
    stored = db.session.get(Invoice, invoice.id)
    assert stored is not None
    return stored
