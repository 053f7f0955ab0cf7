"""Credit notes keep their invoice's GST: split, place of supply, rule, and equal halves."""

from __future__ import annotations

from posapp.extensions import db
from posapp.models import Invoice, User
from posapp.models.base import write_transaction
from posapp.services import checkout, returns
from posapp.services.integrity import run_checks
from posapp.services.pricing import summarise_tax
from posapp.services.settings import save_settings
from tests.factories import make_customer, make_product


def sale_of_three(user: User, customer_id: int | None = None) -> Invoice:
    # 33.33 incl. 18 % × 3 = 99.99
    soap = make_product(db.session, user.id, price="33.33", tax_rate="18", opening_stock="10")
    payload: dict[str, object] = {"items": [{"product_id": soap.id, "quantity": 3}]}
    if customer_id is not None:
        payload["customer_id"] = customer_id
    return checkout.checkout(db.session, checkout.parse_checkout(payload), user)


def give_back(invoice: Invoice, user: User, qty: int):  # type: ignore[no-untyped-def]
    payload = {"lines": [{"line_id": invoice.lines[0].id, "quantity": qty}]}
    return returns.create_return(db.session, invoice.id, payload, user)


def test_notes_of_an_intra_state_line_keep_equal_halves(admin: User) -> None:
    with write_transaction(db.session):
        save_settings(db.session, state_code="27")
    invoice = sale_of_three(admin)
    line = invoice.lines[0]
    # half = 9999 × 1800 / 23600 = 762.64 -> 763; tax 1526; taxable 9999 − 1526 = 8473
    assert (line.taxable, line.cgst, line.sgst, line.tax) == (8473, 763, 763, 1526)
    first = give_back(invoice, admin, 1)
    assert (first.tax_split, first.place_of_supply, first.tax_rule) == ("cgst_sgst", "27", 2)
    # One of three: taxable 8473/3 = 2824.3 -> 2824; half 763/3 = 254.3 -> 254 (tax 508)
    got = first.lines[0]
    assert (got.taxable, got.cgst, got.sgst, got.igst, got.tax, got.total) == (
        2824,
        254,
        254,
        0,
        508,
        3332,
    )
    second = give_back(invoice, admin, 2)
    # The rest: taxable 8473 − 2824 = 5649; half 763 − 254 = 509 (tax 1018)
    got = second.lines[0]
    assert (got.taxable, got.cgst, got.sgst, got.tax, got.total) == (5649, 509, 509, 1018, 6667)
    assert first.total + second.total == invoice.total
    rows = summarise_tax(second.lines, second.tax_rule)
    assert [(r.cgst, r.sgst, r.igst) for r in rows] == [(509, 509, 0)]
    report = run_checks(db.session)
    assert report.ok, report.problems


def test_a_note_of_an_igst_invoice_returns_igst(admin: User) -> None:
    with write_transaction(db.session):
        save_settings(db.session, state_code="27")
    buyer = make_customer(db.session, admin)
    with write_transaction(db.session):
        buyer.state_code = "29"
    invoice = sale_of_three(admin, buyer.id)
    line = invoice.lines[0]
    # taxable = 9999 / 1.18 = 8473.7 -> 8474; IGST 9999 − 8474 = 1525
    assert (line.taxable, line.igst, line.cgst) == (8474, 1525, 0)
    note = give_back(invoice, admin, 1)
    assert (note.tax_split, note.place_of_supply) == ("igst", "29")
    # taxable 8474/3 = 2824.67 -> 2825; IGST 1525/3 = 508.3 -> 508
    got = note.lines[0]
    assert (got.taxable, got.cgst, got.sgst, got.igst, got.tax) == (2825, 0, 0, 508, 508)
    report = run_checks(db.session)
    assert report.ok, report.problems
