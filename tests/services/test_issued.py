"""The issued snapshot: title rules, versioned text, written at checkout and at a return."""

from __future__ import annotations

import pytest
from sqlalchemy import text

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


def test_the_migration_freezes_documents_issued_before_snapshots(app) -> None:  # type: ignore[no-untyped-def]
    """Documents without a snapshot are frozen once with the settings and customers of the
    day the migration runs; later changes leave them alone."""
    from flask_migrate import downgrade, upgrade

    from posapp import MIGRATIONS_DIR
    from posapp.models import CreditNote

    user = make_user(db.session)
    with db.session.begin():
        save_settings(db.session, shop_name="Old Name", tax_number=GSTIN, state_code="27", logo="")
    customer = make_customer(db.session, user, name="Ravi", address="Pune")
    with db.session.begin():
        customer.gstin, customer.legal_name, customer.state_code = GSTIN, "Ravi LLP", "27"
    walk_in_product = make_product(db.session, price="50.00", tax_rate="5")
    sold = checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {
                "items": [{"product_id": walk_in_product.id, "quantity": "2"}],
                "customer_id": customer.id,
            }
        ),
        user,
    )
    walk_in = checkout.checkout(
        db.session,
        checkout.parse_checkout({"items": [{"product_id": walk_in_product.id, "quantity": 1}]}),
        user,
    )
    note = returns.create_return(
        db.session,
        sold.id,
        {"lines": [{"line_id": sold.lines[0].id, "quantity": "1"}], "refund_method": "cash"},
        user,
    )
    expected_invoice = issued.read(sold.issued_as or "")
    expected_note = issued.read(note.issued_as or "")
    expected_walk_in = issued.read(walk_in.issued_as or "")
    ids = (sold.id, walk_in.id, note.id)
    db.session.remove()
    downgrade(directory=MIGRATIONS_DIR, revision="b18a0c5e7d31")
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE invoices SET issued_as = NULL"))
        connection.execute(text("UPDATE credit_notes SET issued_as = NULL"))
    upgrade(directory=MIGRATIONS_DIR)

    # Everything changes afterwards: the frozen documents do not follow.
    with db.session.begin():
        save_settings(db.session, shop_name="New Name", tax_number="", composition_scheme=True)
        db.session.get(type(customer), customer.id).legal_name = "Someone Else"  # type: ignore[union-attr]
    settings = load_settings(db.session)
    frozen_invoice = db.session.get(Invoice, ids[0])
    frozen_walk_in = db.session.get(Invoice, ids[1])
    frozen_note = db.session.get(CreditNote, ids[2])
    assert frozen_invoice and frozen_walk_in and frozen_note
    assert frozen_invoice.issued_as and issued.is_legacy(frozen_invoice.issued_as)
    assert issued.for_document(frozen_invoice, settings, None, "invoice") == expected_invoice
    assert issued.for_document(frozen_walk_in, settings, None, "invoice") == expected_walk_in
    assert issued.for_document(frozen_note, settings, None, "credit_note") == expected_note
    assert expected_invoice.buyer and expected_invoice.buyer.legal_name == "Ravi LLP"
