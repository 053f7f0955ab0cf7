"""`app.py check` on the tax heads: a tampered line is reported, legacy documents are not."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from posapp.extensions import db
from posapp.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, User
from posapp.models.base import write_transaction
from posapp.services import checkout, returns
from posapp.services.integrity import run_checks
from posapp.services.settings import save_settings
from tests.factories import make_customer, make_product


def a_sale(user: User, customer_id: int | None = None) -> Invoice:
    with write_transaction(db.session):
        save_settings(db.session, state_code="27")
    oil = make_product(db.session, user.id, price="150.00", tax_rate="5", opening_stock="10")
    payload: dict[str, object] = {"items": [{"product_id": oil.id, "quantity": 2}]}
    if customer_id is not None:
        payload["customer_id"] = customer_id
    return checkout.checkout(db.session, checkout.parse_checkout(payload), user)


def tamper(model: type, row_id: int, **values: object) -> None:
    with write_transaction(db.session):
        db.session.execute(update(model).where(model.id == row_id).values(**values))  # type: ignore[attr-defined]


def tax_problems() -> list[str]:
    report = run_checks(db.session)
    return [p for p in report.problems if "CGST" in p]


def test_a_clean_shop_has_no_tax_problem(admin: User) -> None:
    a_sale(admin)
    report = run_checks(db.session)
    assert report.ok, report.problems
    assert any("CGST = SGST" in c for c in report.checked)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"cgst": InvoiceLine.cgst + 1}, "tax no longer the sum of the heads"),
        ({"cgst": InvoiceLine.cgst + 1, "sgst": InvoiceLine.sgst - 1}, "unequal halves"),
        (
            {"cgst": 0, "sgst": 0, "igst": InvoiceLine.tax},
            "IGST on an intra-state invoice",
        ),
    ],
)
def test_a_tampered_invoice_line_is_reported(admin: User, change: dict, why: str) -> None:
    invoice = a_sale(admin)
    tamper(InvoiceLine, invoice.lines[0].id, **change)
    problems = tax_problems()
    assert len(problems) == 1, why
    assert problems[0].startswith(f"invoice {invoice.number} (cgst_sgst), line 1: tax ")


def test_halves_on_an_igst_invoice_are_reported(admin: User) -> None:
    buyer = make_customer(db.session, admin)
    with write_transaction(db.session):
        buyer.state_code = "29"
    invoice = a_sale(admin, buyer.id)
    assert invoice.tax_split == "igst"
    assert tax_problems() == []
    line = invoice.lines[0]
    half = line.igst // 2
    tamper(InvoiceLine, line.id, cgst=half, sgst=line.igst - half, igst=0)
    assert len(tax_problems()) == 1


def test_tax_on_a_bill_of_supply_is_reported(admin: User) -> None:
    invoice = a_sale(admin)
    tamper(Invoice, invoice.id, tax_split="none")
    assert len(tax_problems()) == 1


def test_a_legacy_document_may_keep_its_odd_paisa(admin: User) -> None:
    invoice = a_sale(admin)
    line = invoice.lines[0]
    # As the migration backfilled documents issued under tax_rule 1: CGST takes the odd paisa.
    tamper(InvoiceLine, line.id, cgst=line.cgst + 1, sgst=line.sgst - 1)
    assert len(tax_problems()) == 1
    tamper(Invoice, invoice.id, tax_rule=1)
    assert tax_problems() == []


def test_a_tampered_credit_note_line_is_reported(admin: User) -> None:
    invoice = a_sale(admin)
    note = returns.create_return(
        db.session, invoice.id, {"lines": [{"line_id": invoice.lines[0].id, "quantity": 1}]}, admin
    )
    assert tax_problems() == []
    tamper(CreditNoteLine, note.lines[0].id, sgst=CreditNoteLine.sgst + 1)
    problems = tax_problems()
    assert len(problems) == 1 and problems[0].startswith(f"credit note {note.number}")
    assert isinstance(note, CreditNote)
