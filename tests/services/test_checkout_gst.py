"""The GST split of a sale (issue 18): intra-state halves, IGST to another state, a bill of
supply under the composition scheme; what the till previews is what checkout writes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import Customer, Invoice, InvoiceLine, User
from posapp.models.base import write_transaction
from posapp.services import checkout
from posapp.services.integrity import run_checks
from posapp.services.settings import ShopSettings, save_settings
from tests.factories import make_customer, make_product


def shop(**values: object) -> None:
    with write_transaction(db.session):
        save_settings(db.session, **values)


def customer_in(user: User, state: str) -> Customer:
    customer = make_customer(db.session, user)
    with write_transaction(db.session):
        customer.state_code = state  # the customer form is another change's; set it here
    return customer


def rice_sale(user: User, **extra: object) -> Invoice:
    # 62.50 incl. 5 % × 2 = 125.00
    rice = make_product(db.session, name="Rice", price="62.50", tax_rate="5", opening_stock="10")
    request = checkout.parse_checkout({"items": [{"product_id": rice.id, "quantity": 2}], **extra})
    preview = checkout.preview(db.session, request)
    invoice = checkout.checkout(db.session, request, user)
    # The till's preview priced with the same split as the sale.
    assert preview.priced.tax_split == invoice.tax_split
    assert preview.place_of_supply == invoice.place_of_supply
    assert [x.tax for x in preview.priced.lines] == [x.tax for x in invoice.lines]
    return invoice


def stored_heads(invoice: Invoice) -> list[tuple[int, int, int, int, int, int]]:
    db.session.expire_all()
    rows = db.session.execute(
        select(
            InvoiceLine.taxable,
            InvoiceLine.tax,
            InvoiceLine.cgst,
            InvoiceLine.sgst,
            InvoiceLine.igst,
            InvoiceLine.cess,
        ).where(InvoiceLine.invoice_id == invoice.id)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


@pytest.mark.parametrize(
    ("composition", "shop_state", "customer_state", "expected"),
    [
        (False, "27", "", ("cgst_sgst", "27")),
        (False, "27", "27", ("cgst_sgst", "27")),
        (False, "27", "29", ("igst", "29")),
        (False, "", "29", ("cgst_sgst", "29")),  # the shop's state unknown: not inter-state
        (False, "", "", ("cgst_sgst", "")),
        (True, "27", "29", ("none", "29")),
    ],
)
def test_the_split_follows_the_states_and_the_scheme(
    composition: bool, shop_state: str, customer_state: str, expected: tuple[str, str]
) -> None:
    settings = ShopSettings(state_code=shop_state, composition_scheme=composition)
    assert checkout.tax_split_for(settings, customer_state) == expected


def test_an_intra_state_sale_stores_equal_halves(admin: User) -> None:
    shop(state_code="27")
    invoice = rice_sale(admin)
    assert (invoice.tax_split, invoice.place_of_supply, invoice.tax_rule) == ("cgst_sgst", "27", 2)
    # half = 12500 × 500 / 21000 = 297.62 -> 298; tax 596; taxable 12500 − 596 = 11904
    assert stored_heads(invoice) == [(11904, 596, 298, 298, 0, 0)]
    assert invoice.total == 12500 and invoice.tax_total == 596
    assert run_checks(db.session).ok


def test_a_sale_to_another_state_is_igst(admin: User) -> None:
    shop(state_code="27")
    buyer = customer_in(admin, "29")
    invoice = rice_sale(admin, customer_id=buyer.id)
    assert (invoice.tax_split, invoice.place_of_supply, invoice.tax_rule) == ("igst", "29", 2)
    # taxable = 12500 / 1.05 = 11904.76 -> 11905; IGST 12500 − 11905 = 595
    assert stored_heads(invoice) == [(11905, 595, 0, 0, 595, 0)]
    assert invoice.total == 12500
    assert run_checks(db.session).ok


def test_a_customer_of_the_shops_state_pays_halves(admin: User) -> None:
    shop(state_code="27")
    buyer = customer_in(admin, "27")
    invoice = rice_sale(admin, customer_id=buyer.id)
    assert (invoice.tax_split, invoice.place_of_supply) == ("cgst_sgst", "27")
    assert stored_heads(invoice) == [(11904, 596, 298, 298, 0, 0)]


def test_a_composition_shop_issues_a_bill_of_supply_without_tax(admin: User) -> None:
    shop(state_code="27", composition_scheme=True)
    invoice = rice_sale(admin)
    assert (invoice.tax_split, invoice.place_of_supply) == ("none", "27")
    assert stored_heads(invoice) == [(12500, 0, 0, 0, 0, 0)]
    assert [line.tax_rate_bp for line in invoice.lines] == [0]
    assert (invoice.total, invoice.tax_total) == (12500, 0)
    assert run_checks(db.session).ok


def test_exclusive_prices_add_both_halves(admin: User) -> None:
    shop(state_code="27", prices_include_tax=False)
    invoice = rice_sale(admin)
    # taxable 12500; half = 12500 × 250 / 10000 = 312.5 -> 313; tax 626; total 13126
    assert stored_heads(invoice) == [(12500, 626, 313, 313, 0, 0)]
    assert invoice.total == 13126
