"""A hand-computed November 2026 for the GST return tests (shop 27AAPFU0939F1ZV, Maharashtra).

Prices exclusive of tax, no round-off; minor units (paise):
  INV1 Nov 2  Asha Traders (27AAACA1234B1ZI, Maharashtra), intra:
              Rice 10 kg @50 5 %: taxable 50000, CGST 1250 + SGST 1250
              Soap 3 @100 18 %:  taxable 30000, CGST 2700 + SGST 2700        total  87900
  INV2 Nov 3  Bengaluru Stores (29AABCB5678C1ZM, Karnataka), IGST:
              Soap 5 @100 18 %:  taxable 50000, IGST 9000                    total  59000
  INV3 Nov 4  walk-in, intra: Rice 2 kg 5 %: 10000, 250 + 250; Salt 1 @20 0 %: 2000
                                                                             total  12500
  INV4 Nov 5  walk-in, intra: Soap 1 18 %: 10000, 900 + 900                  total  11800
  INV5 Nov 6  Kiran Patel (no GSTIN, Gujarat 24), IGST, above Rs 1 lakh (B2CL):
              TV 1 @120000 18 %: 12000000, IGST 2160000
              Soap 2 18 %: 20000, IGST 3600                                  total 14183600
  INV6 Nov 7  walk-in Soap 2 (20000 + 3600), voided the same day
  CN1  Nov 20 against INV1: Soap 1: taxable 10000, CGST 900 + SGST 900       total  11800
  CN2  Nov 21 against INV3: Rice 1 kg: taxable 5000, CGST 125 + SGST 125     total   5250
  CN3  Nov 22 against INV5: Soap 1: taxable 10000, IGST 1800                 total  11800
  Purchases: PUR1 bill of Nov 10 from 27AAACA1234B1ZI: Soap 10 @60 18 % (60000, 5400 + 5400),
             Rice 20 kg @40 5 % (80000, 2000 + 2000); PUR2 without a supplier GSTIN (no ITC);
             PUR3 with a GSTIN, entered in November but billed on 30 October (October's ITC).

Every document is made by the real services: customers with their GSTIN and state through
the customer service, sales through checkout (which decides the split and the place of supply
from the customer's state), returns, the void, and purchase bills with the supplier's GSTIN,
bill date and line rates through `inventory.receive_stock`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from posapp.models import CreditNote, Customer, Invoice, Product, User
from posapp.models.base import clock_at, local_midnight_utc, write_transaction
from posapp.services import checkout, inventory, returns
from posapp.services.settings import save_settings
from tests.factories import make_customer, make_product

SHOP_GSTIN = "27AAPFU0939F1ZV"
ASHA_GSTIN = "27AAACA1234B1ZI"
BENGALURU_GSTIN = "29AABCB5678C1ZM"


def at(day: int, hour: int = 11) -> datetime:
    """A stored (UTC) moment on a local November 2026 day."""
    return local_midnight_utc(date(2026, 11, day)) + timedelta(hours=hour)


@dataclass
class Month:
    invoices: list[Invoice]
    notes: list[CreditNote]
    asha: Customer
    bengaluru: Customer
    kiran: Customer


def _sell(
    session: Session, user: User, day: int, items: list[tuple[Product, str]], customer: int | None
) -> Invoice:
    payload: dict[str, object] = {
        "items": [{"product_id": p.id, "quantity": q} for p, q in items],
    }
    if customer is not None:
        payload["customer_id"] = customer
    with clock_at(at(day)):
        return checkout.checkout(session, checkout.parse_checkout(payload), user)


def _give_back(session: Session, user: User, day: int, invoice: Invoice, product: Product) -> None:
    line = next(line for line in invoice.lines if line.product_id == product.id)
    with clock_at(at(day)):
        returns.create_return(
            session,
            invoice.id,
            {
                "lines": [{"line_id": line.id, "quantity": "1"}],
                "refund_method": "cash",
                "restock": True,
            },
            user,
        )


def seed_month(session: Session, admin: User) -> Month:
    """Build the month above through checkout, returns, void and purchases."""
    with write_transaction(session):
        save_settings(session, tax_number=SHOP_GSTIN, state_code="27", prices_include_tax=False)
    rice = make_product(
        session, name="Rice", unit="kg", price="50", tax_rate="5", hsn="1006", opening_stock="100"
    )
    soap = make_product(session, name="Soap", price="100", tax_rate="18", hsn="3401")
    salt = make_product(session, name="Salt", price="20", tax_rate="0", hsn="2501")
    tv = make_product(session, name="TV", price="120000", tax_rate="18", hsn="8528")
    asha = make_customer(session, admin, name="Asha", gstin=ASHA_GSTIN, legal_name="Asha Traders")
    bengaluru = make_customer(session, admin, name="Bengaluru Stores", gstin=BENGALURU_GSTIN)
    kiran = make_customer(session, admin, name="Kiran Patel", state_code="24")

    inv1 = _sell(session, admin, 2, [(rice, "10"), (soap, "3")], asha.id)
    inv2 = _sell(session, admin, 3, [(soap, "5")], bengaluru.id)
    inv3 = _sell(session, admin, 4, [(rice, "2"), (salt, "1")], None)
    inv4 = _sell(session, admin, 5, [(soap, "1")], None)
    inv5 = _sell(session, admin, 6, [(tv, "1"), (soap, "2")], kiran.id)
    inv6 = _sell(session, admin, 7, [(soap, "2")], None)
    with clock_at(at(7, 12)):
        returns.void_invoice(session, inv6.id, {"reason": "keyed twice"}, admin)
    _give_back(session, admin, 20, inv1, soap)
    _give_back(session, admin, 21, inv3, rice)
    _give_back(session, admin, 22, inv5, soap)

    for day, gstin, bill_day, lines in (
        (10, ASHA_GSTIN, "2026-11-10", [(soap, "10", "60"), (rice, "20", "40")]),
        (11, "", "", [(soap, "1", "60")]),
        (12, ASHA_GSTIN, "2026-10-30", [(soap, "1", "60")]),
    ):
        with clock_at(at(day)):
            inventory.receive_stock(
                session,
                {
                    "supplier": "Wholesale",
                    "supplier_gstin": gstin,
                    "bill_date": bill_day,
                    "lines": [{"code": p.code, "quantity": q, "unit_cost": c} for p, q, c in lines],
                },
                admin.id,
            )

    invoices = [session.get(Invoice, i.id) for i in (inv1, inv2, inv3, inv4, inv5, inv6)]
    notes = session.query(CreditNote).order_by(CreditNote.id).all()
    return Month([i for i in invoices if i is not None], notes, asha, bengaluru, kiran)
