"""A fixed small shop for the report tests: both tax modes, discounts, credit, a void.

Hand-computed figures (minor units), inclusive prices for A and B, exclusive for C and D.
Every line is intra-state, so its tax is two equal halves, each rounded on its own: with
prices including tax half = round(net × rate/2 / (100 % + rate)) and taxable = net − 2 × half
(Soap in A: 6000 × 9 / 118 = 457.6 -> 458, tax 916), without tax half = round(net × rate/2):
  A  admin, cash:   Rice 2.500 kg @60 (5 %) + Soap 2 @30 (18 %)          total 21000
     Rice: gross 15000, taxable 14286, tax 714, cost 2.5 * 45.50 = 11375
     Soap: gross  6000, taxable  5084, tax 916, cost 2 * 20.00   =  4000
  B  cashier, card: Soap 1 less 5.00 + Pen 3 @10 (12 %), bill 10 % off    total  4950
     bill discount 550 spread 250 (Soap) / 300 (Pen)
     Soap: net 2250, taxable 1906, tax 344, cost 2000
     Pen:  net 2700, taxable 2410, tax 290, cost 1800
  C  admin, 26.00 cash + 30.00 credit: Pen 5 @10 + 12 %                   total  5600
     Pen: taxable 5000, tax 600, cost 3000
  D  admin, UPI: Rice 1 kg + 5 % = 6300, then voided (counts nowhere)
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from posapp.models import Invoice, InvoiceLine, Product, User
from posapp.models.base import write_transaction
from posapp.services import checkout, returns
from posapp.services.settings import save_settings
from tests.factories import make_customer, make_product


@dataclass
class Shop:
    rice: Product
    soap: Product
    pen: Product
    a: Invoice
    b: Invoice
    c: Invoice
    d: Invoice


def seed(session: Session, admin: User, cashier: User) -> Shop:
    """Build the shop and its four bills."""
    # This shop lets its cashier give bill B's discounts without an admin's PIN.
    with write_transaction(session):
        save_settings(
            session, cashier_max_line_discount_percent=100, cashier_max_bill_discount_percent=100
        )
    rice = make_product(
        session,
        name="Rice",
        unit="kg",
        price="60",
        cost="45.50",
        tax_rate="5",
        hsn="1006",
        category="Grocery",
        opening_stock="50",
    )
    soap = make_product(
        session,
        name="Soap",
        price="30",
        cost="20",
        tax_rate="18",
        hsn="3401",
        category="Personal care",
    )
    pen = make_product(session, name="Pen", price="10", cost="6", tax_rate="12", hsn="9608")
    a = checkout.checkout(
        session,
        checkout.parse_checkout(
            {
                "items": [
                    {"product_id": rice.id, "quantity": "2.5"},
                    {"product_id": soap.id, "quantity": 2},
                ]
            }
        ),
        admin,
    )
    b = checkout.checkout(
        session,
        checkout.parse_checkout(
            {
                "items": [
                    {"product_id": soap.id, "quantity": 1, "discount": "5.00"},
                    {"product_id": pen.id, "quantity": 3},
                ],
                "discount": "10%",
                "payments": [{"method": "card", "amount": "49.50"}],
            }
        ),
        cashier,
    )
    with write_transaction(session):
        save_settings(session, prices_include_tax=False)
    customer = make_customer(session, admin, name="Meena", credit_limit="1000")
    c = checkout.checkout(
        session,
        checkout.parse_checkout(
            {
                "customer_id": customer.id,
                "items": [{"product_id": pen.id, "quantity": 5}],
                "payments": [
                    {"method": "cash", "amount": "26.00"},
                    {"method": "credit", "amount": "30.00"},
                ],
            }
        ),
        admin,
    )
    d = checkout.checkout(
        session,
        checkout.parse_checkout(
            {
                "items": [{"product_id": rice.id, "quantity": 1}],
                "payments": [{"method": "upi", "amount": "63.00"}],
            }
        ),
        admin,
    )
    returns.void_invoice(session, d.id, {"reason": "Rang up by mistake"}, admin)
    return Shop(rice, soap, pen, a, b, c, d)


def give_back(session: Session, shop: Shop, admin: User) -> None:
    """Two returns on top of the fixed shop, hand-computed with the return shares of docs/DESIGN.md:

    A: 1.000 of 2.500 kg Rice back to stock, cash refund: taxable 14286 * 2/5 = 5714.4 ->
       5714, each half 357 * 2/5 = 142.8 -> 143 (tax 286), total 6000, cost back 45.50 -> 4550
    B: 1 of 3 Pens, damaged (not restocked, so its cost stays a loss), cash refund:
       taxable 2410 / 3 = 803.33 -> 803, each half 145 / 3 = 48.33 -> 48 (tax 96), total 899
    """
    for invoice, product, qty, restock in (
        (shop.a, shop.rice, "1", True),
        (shop.b, shop.pen, 1, False),
    ):
        line = session.query(InvoiceLine).filter_by(invoice_id=invoice.id, product_id=product.id)
        returns.create_return(
            session,
            invoice.id,
            {
                "lines": [{"line_id": line.one().id, "quantity": qty}],
                "refund_method": "cash",
                "restock": restock,
            },
            admin,
        )
