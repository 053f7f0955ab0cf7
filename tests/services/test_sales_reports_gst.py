"""The tax summary by rate reads the stored heads: CGST = SGST, IGST apart, legacy as issued."""

from __future__ import annotations

from sqlalchemy import update

from posapp.extensions import db
from posapp.models import Invoice, InvoiceLine, User
from posapp.models.base import write_transaction
from posapp.services import checkout, sales_reports
from posapp.services.ledger import local_today
from posapp.services.settings import save_settings
from tests.factories import make_customer, make_product


def sell(user: User, product_id: int, *quantities: int, customer_id: int | None = None) -> Invoice:
    payload: dict[str, object] = {
        "items": [{"product_id": product_id, "quantity": q} for q in quantities]
    }
    if customer_id is not None:
        payload["customer_id"] = customer_id
    return checkout.checkout(db.session, checkout.parse_checkout(payload), user)


def test_heads_per_rate_with_igst_and_a_legacy_bill(admin: User) -> None:
    with write_transaction(db.session):
        save_settings(db.session, state_code="27")
    rice = make_product(db.session, admin.id, price="62.50", tax_rate="5", opening_stock="10")
    buyer = make_customer(db.session, admin)
    with write_transaction(db.session):
        buyer.state_code = "29"
    # Intra-state, 125.00: half 12500 × 500 / 21000 = 297.6 -> 298; tax 596; taxable 11904
    sell(admin, rice.id, 2)
    # To Karnataka, 125.00: taxable 12500 / 1.05 = 11904.8 -> 11905; IGST 595
    sell(admin, rice.id, 2, customer_id=buyer.id)
    # A bill as issued before issue 18 (tax_rule 1): two lines of taxable 5953 and tax 297,
    # backfilled per line as CGST 149 + SGST 148. Its rate row's tax 594 printed as 297 + 297.
    legacy = sell(admin, rice.id, 1, 1)
    with write_transaction(db.session):
        db.session.execute(update(Invoice).where(Invoice.id == legacy.id).values(tax_rule=1))
        db.session.execute(
            update(InvoiceLine)
            .where(InvoiceLine.invoice_id == legacy.id)
            .values(taxable=5953, tax=297, cgst=149, sgst=148)
        )
    today = local_today()
    report = sales_reports.tax_by_rate(db.session, today, today)
    assert [c[0] for c in report.columns] == [
        "Rate %",
        "Taxable value",
        "Tax",
        "CGST",
        "SGST",
        "IGST",
    ]
    # taxable 11904 + 11905 + 11906; tax 596 + 595 + 594; CGST 298 + 0 + 297 = SGST; IGST 595
    assert report.rows == [["5.00", 35715, 1785, 595, 595, 595]]
    assert report.totals["CGST"] == report.totals["SGST"] == 595
