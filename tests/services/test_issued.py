"""The issued snapshot: title rules, versioned text, written at checkout and at a return."""

from __future__ import annotations

import pytest

from posapp.extensions import db
from posapp.models import Invoice
from posapp.services import checkout, issued, returns
from posapp.services.settings import ShopSettings, load_settings, save_settings
from tests.factories import make_customer, make_product, make_user

GSTIN = "27AAPFU0939F1ZV"


def test_titles_follow_the_rules() -> None:
    plain = ShopSettings()
    registered = ShopSettings(tax_number=GSTIN, state_code="27")
    composition = ShopSettings(tax_number=GSTIN, composition_scheme=True)
    assert issued.titles(plain, "invoice") == ("INVOICE", "RECEIPT", "")
    assert issued.titles(registered, "invoice") == ("TAX INVOICE", "TAX INVOICE", "")
    title, receipt_title, declaration = issued.titles(composition, "invoice")
    assert title == receipt_title == "BILL OF SUPPLY"
    assert declaration == "Composition taxable person, not eligible to collect tax on supplies"
    assert issued.titles(composition, "credit_note") == ("CREDIT NOTE", "CREDIT NOTE", "")


def test_snapshot_round_trips_and_is_versioned() -> None:
    settings = ShopSettings(
        shop_name="Asha Stores",
        tax_number=GSTIN,
        state_code="27",
        logo="0123456789abcdef",
        receipt_footer="Come again",
    )
    data = issued.snapshot(settings, None, kind="invoice", tax_split="igst", place_of_supply="29")
    text = issued.dumps(data)
    assert issued.loads(text) == data and data["v"] == 1
    view = issued.read(text)
    assert view.seller.name == "Asha Stores" and view.seller.state == "Maharashtra"
    assert view.place_of_supply == issued.Place("29", "Karnataka")
    assert view.buyer is None and view.tax_heads == "igst"
    assert view.layout.receipt_footer == "Come again"
    with pytest.raises(ValueError):
        issued.loads('{"v": 2}')
    with pytest.raises(ValueError):
        issued.snapshot(settings, None, kind="quote", tax_split="", place_of_supply="")


def test_a_logo_name_that_is_not_a_content_name_is_not_copied() -> None:
    data = issued.snapshot(
        ShopSettings(logo="../../etc/passwd"),
        None,
        kind="invoice",
        tax_split="none",
        place_of_supply="",
    )
    assert data["seller"]["logo"] == ""


def test_tax_heads() -> None:
    def heads(settings: ShopSettings, split: str) -> str:
        text = issued.dumps(
            issued.snapshot(settings, None, kind="invoice", tax_split=split, place_of_supply="")
        )
        return issued.read(text).tax_heads

    registered = ShopSettings(tax_number=GSTIN)
    assert heads(registered, "cgst_sgst") == "cgst_sgst"
    assert heads(registered, "igst") == "igst"
    assert heads(ShopSettings(tax_number=GSTIN, split_tax=False), "cgst_sgst") == "tax"
    assert heads(ShopSettings(), "cgst_sgst") == "tax"
    assert heads(ShopSettings(tax_number=GSTIN, composition_scheme=True), "none") == "none"


def test_checkout_and_return_store_what_they_were_issued_with(app) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db.session)
    with db.session.begin():
        save_settings(db.session, shop_name="Asha Stores", tax_number=GSTIN, state_code="27")
    customer = make_customer(db.session, user, name="Ravi", address="12 MG Road, Pune")
    with db.session.begin():
        customer.gstin, customer.legal_name, customer.state_code = GSTIN, "Ravi Traders LLP", "27"
    product = make_product(db.session, price="118.00", tax_rate="18")
    request = checkout.parse_checkout(
        {"items": [{"product_id": product.id, "quantity": "2"}], "customer_id": customer.id}
    )
    invoice = checkout.checkout(db.session, request, user)
    stored = db.session.get(Invoice, invoice.id)
    assert stored is not None and stored.issued_as is not None
    view = issued.read(stored.issued_as)
    assert view.title == "TAX INVOICE" and view.seller.gstin == GSTIN
    assert view.buyer is not None and view.buyer.legal_name == "Ravi Traders LLP"
    assert view.buyer.address == "12 MG Road, Pune" and view.buyer.state == "Maharashtra"
    assert view.tax_split == stored.tax_split
    # The answer's own object carries it too (rebuilt from the written row).
    assert invoice.issued_as == stored.issued_as

    note = returns.create_return(
        db.session,
        invoice.id,
        {"lines": [{"line_id": invoice.lines[0].id, "quantity": "1"}], "refund_method": "cash"},
        user,
    )
    assert note.issued_as is not None
    note_view = issued.read(note.issued_as)
    assert note_view.kind == "credit_note" and note_view.title == "CREDIT NOTE"
    assert note_view.seller.name == load_settings(db.session).shop_name == "Asha Stores"
    assert note_view.buyer is not None and note_view.buyer.gstin == GSTIN
