"""Credit limits: no limit (None), no credit (0), a limit; the shop's limit for new customers."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from posapp.errors import Forbidden, ValidationError
from posapp.extensions import db
from posapp.models import Customer, Invoice, Product, User
from posapp.services import checkout, customers, ledger, shop_settings
from posapp.services.approvals import ApprovalRequired
from posapp.services.settings import load_settings
from tests.factories import make_product, next_phone


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def new_customer(user: User, **fields: object) -> Customer:
    """A customer created as the till and the pages do: no limit sent unless given."""
    return customers.create_customer(
        db.session, {"name": "Ramu Kaka", "phone": next_phone(), **fields}, user
    )


def sell_on_credit(user: User, customer: Customer, product: Product, credit: str) -> Invoice:
    return checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {
                "customer_id": customer.id,
                "items": [{"product_id": product.id, "quantity": 1}],
                "payments": [{"method": "credit", "amount": credit}],
            }
        ),
        user,
    )


def rupees(minor: int) -> str:
    return f"₹{minor / 100:,.2f}"


def test_a_new_customer_gets_the_shops_default_limit_at_once(cashier: User) -> None:
    assert load_settings(db.session).new_customer_credit_limit == 200_000
    customer = new_customer(cashier)
    assert customer.credit_limit == 200_000
    product = make_product(db.session, price="1999.00")
    sell_on_credit(cashier, customer, product, "1999.00")
    assert ledger.balance(db.session, customer.id) == 199_900
    # One rupee more than the limit allows is refused in words, with what is left.
    # (From a cashier it needs an admin's PIN; the reason is the limit's own words.)
    with pytest.raises(ApprovalRequired) as info:
        sell_on_credit(cashier, customer, make_product(db.session, price="2.00"), "2.00")
    assert "credit left ₹1.00 of ₹2,000.00" in info.value.message
    assert "Put at most ₹1.00 on credit" in info.value.message
    assert [r["code"] for r in info.value.details["reasons"]] == ["credit_limit"]
    assert count(Invoice) == 1


def test_the_shops_setting_is_what_every_new_customer_gets(admin: User, cashier: User) -> None:
    form = shop_settings.form_values(load_settings(db.session))
    shop_settings.update_shop_settings(
        db.session, {**form, "new_customer_credit_limit": "500"}, admin.id
    )
    assert new_customer(cashier).credit_limit == 50_000
    shop_settings.update_shop_settings(
        db.session,
        {**form, "new_customer_credit_limit": "500", "new_customer_no_credit_limit": "1"},
        admin.id,
    )
    unlimited = new_customer(cashier)
    assert unlimited.credit_limit is None
    # No limit lets any amount go on credit.
    sell_on_credit(cashier, unlimited, make_product(db.session, price="90000.00"), "90000.00")
    assert ledger.balance(db.session, unlimited.id) == 9_000_000
    # An admin may still give one customer a limit of their own, 0 included.
    assert new_customer(admin, credit_limit="0").credit_limit == 0
    assert new_customer(admin, credit_limit="7500.50").credit_limit == 750_050


def test_zero_is_no_credit_and_none_is_no_limit(admin: User, cashier: User) -> None:
    nothing = new_customer(admin, credit_limit="0.00")
    with pytest.raises(ApprovalRequired) as info:
        sell_on_credit(cashier, nothing, make_product(db.session, price="10.00"), "10.00")
    assert "Ramu Kaka: credit limit ₹0.00 — no credit allowed." in info.value.message
    assert "no credit limit" not in info.value.message
    assert count(Invoice) == 0
    # null through the update (the API's no limit) lifts it; a number sets it back.
    customers.update_customer(db.session, nothing.id, {"credit_limit": None}, admin)
    assert db.session.get(Customer, nothing.id).credit_limit is None
    customers.update_customer(db.session, nothing.id, {"credit_limit": "300"}, admin)
    assert db.session.get(Customer, nothing.id).credit_limit == 30_000
    # The form's "no credit limit" box does the same as null.
    customers.update_customer(db.session, nothing.id, {"no_credit_limit": "1"}, admin)
    assert db.session.get(Customer, nothing.id).credit_limit is None


def test_a_cashier_cannot_lift_a_limit(admin: User, cashier: User) -> None:
    customer = new_customer(admin, credit_limit="100")
    for change in ({"credit_limit": None}, {"no_credit_limit": "1"}, {"credit_limit": "101"}):
        with pytest.raises(Forbidden):
            customers.update_customer(db.session, customer.id, change, cashier)
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).credit_limit == 10_000


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("-5", "credit_limit"),
        ("1,000", "credit_limit"),
        ("১০০", "credit_limit"),  # Bengali digits: Devanagari ones are read
        ("1e3", "credit_limit"),
        (["100"], "credit_limit"),
    ],
)
@pytest.mark.servers_first_case(
    "validation in Python; the first case shows a refused write leaves nothing"
)
def test_bad_limits_write_nothing(admin: User, raw: object, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        new_customer(admin, credit_limit=raw)
    assert field in info.value.fields
    assert count(Customer) == 0


def test_the_settings_refuse_a_bad_default_and_save_nothing(admin: User) -> None:
    form = shop_settings.form_values(load_settings(db.session))
    for bad in ("", "-1", "12.345", "abc", "₹500"):
        with pytest.raises(ValidationError) as info:
            shop_settings.update_shop_settings(
                db.session, {**form, "new_customer_credit_limit": bad}, admin.id
            )
        assert "new_customer_credit_limit" in info.value.fields
    assert load_settings(db.session).new_customer_credit_limit == 200_000


def test_limits_in_plain_words() -> None:
    assert ledger.credit_words(None, 5000, rupees) == "no credit limit"
    assert ledger.credit_words(0, 0, rupees) == "credit limit ₹0.00 — no credit allowed"
    assert ledger.credit_words(200_000, 175_000, rupees) == "credit left ₹250.00 of ₹2,000.00"
    # Over the limit (an older bill, a lowered limit): nothing left, never a negative.
    assert ledger.credit_words(10_000, 12_000, rupees) == "credit left ₹0.00 of ₹100.00"
    assert ledger.available_credit(None, 10**9) is None
    assert ledger.available_credit(10_000, 12_000) == 0


def test_the_summary_says_no_limit_as_none(admin: User) -> None:
    customer = new_customer(admin, credit_limit=None)
    assert customers.summary(db.session, customer.id).available is None
    limited = new_customer(admin, credit_limit="100")
    assert customers.summary(db.session, limited.id).available == 10_000
