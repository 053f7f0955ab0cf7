"""posapp/services/approvals.py through checkout: the reasons a sale needs an admin, the till
PIN that approves it (throttled, audited) and the `sale.override` audit entry."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from posapp.errors import LockedOut, ValidationError
from posapp.extensions import db
from posapp.models import AuditLog, Invoice, LoginAttempt, Product, User
from posapp.models.base import write_transaction
from posapp.services import checkout, users
from posapp.services.approvals import ApprovalRequired
from posapp.services.settings import save_settings
from tests.factories import make_customer, make_product, make_user

PIN = "4321"


def sell(user: User, items: list[dict[str, Any]], **extra: Any) -> Invoice:
    return checkout.checkout(
        db.session, checkout.parse_checkout({"items": items, **extra}), user, "10.0.0.5"
    )


def reasons_of(user: User, items: list[dict[str, Any]], **extra: Any) -> list[dict[str, str]]:
    with pytest.raises(ApprovalRequired) as info:
        sell(user, items, **extra)
    assert info.value.status == 409
    reasons: list[dict[str, str]] = info.value.details["reasons"]
    return reasons


def entries(action: str) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == action))
    return [json.loads(row.after or "{}") | {"_user": row.user_id} for row in rows]


def count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def owner(app: object) -> User:
    user = make_user(db.session, "owner", "admin")
    users.set_pin(db.session, user.id, PIN, PIN)
    return user


APPROVAL = {"username": "owner", "pin": PIN}


def test_short_stock_under_block_is_a_reason_and_an_admin_pin_sells_it_negative(
    cashier: User, owner: User
) -> None:
    sugar = make_product(db.session, name="Sugar", unit="kg", opening_stock="1.000")
    [reason] = reasons_of(cashier, [{"product_id": sugar.id, "quantity": "2.5"}])
    assert reason == {
        "code": "stock_short",
        "message": "Stock short: Sugar — selling 2.500 kg, 1.000 kg in stock",
    }
    assert count(Invoice) == 0
    invoice = sell(cashier, [{"product_id": sugar.id, "quantity": "2.5"}], approval=APPROVAL)
    db.session.expire_all()
    assert db.session.get(Product, sugar.id).stock_milli == -1500
    [override] = entries("sale.override")
    assert override["number"] == invoice.number and override["cashier"] == "cashier"
    assert override["approved_by"] == "owner" and override["_user"] == cashier.id
    assert [r["code"] for r in override["reasons"]] == ["stock_short"]


def test_warn_sells_short_stock_without_asking(cashier: User) -> None:
    with write_transaction(db.session):
        save_settings(db.session, stock_policy="warn")
    soap = make_product(db.session, name="Soap", opening_stock="1")
    sell(cashier, [{"product_id": soap.id, "quantity": 3}])
    db.session.expire_all()
    assert db.session.get(Product, soap.id).stock_milli == -2000
    assert entries("sale.override") == []


def test_cashier_discounts_above_the_limits_are_reasons(cashier: User) -> None:
    rice = make_product(db.session, name="Rice", price="100.00")
    # At the limits (10 % a line, 5 % the bill) a cashier sells alone.
    sell(cashier, [{"product_id": rice.id, "quantity": 1, "discount": "10.00"}], discount="5%")
    reasons = reasons_of(
        cashier, [{"product_id": rice.id, "quantity": 1, "discount": "20.00"}], discount="6%"
    )
    assert reasons == [
        {
            "code": "line_discount",
            "message": "Discount of ₹20.00 (20 %) on Rice is above the cashier limit of 10 %.",
        },
        {
            "code": "bill_discount",
            "message": "Bill discount of ₹4.80 (6 %) is above the cashier limit of 5 %.",
        },
    ]
    just_over = reasons_of(cashier, [{"product_id": rice.id, "quantity": 1, "discount": "10.01"}])
    assert "(10.01 %)" in just_over[0]["message"]


def test_the_limits_are_the_shops_settings(cashier: User) -> None:
    with write_transaction(db.session):
        save_settings(db.session, cashier_max_line_discount_percent=25)
    rice = make_product(db.session, name="Rice", price="100.00")
    sell(cashier, [{"product_id": rice.id, "quantity": 1, "discount": "25.00"}])


def test_an_admins_own_sale_is_its_approval_and_still_audited(admin: User) -> None:
    rice = make_product(db.session, name="Rice", price="100.00", opening_stock="1")
    sell(admin, [{"product_id": rice.id, "quantity": 2, "discount": "50.00"}])
    [override] = entries("sale.override")
    assert override["approved_by"] == "admin" and override["cashier"] == "admin"
    # An admin's discount is not limited; the short stock is the one reason.
    assert [r["code"] for r in override["reasons"]] == ["stock_short"]


def test_a_cashiers_price_change_needs_approval_and_below_cost_warns(
    cashier: User, owner: User
) -> None:
    dal = make_product(db.session, name="Dal", price="120.00", cost="100.00")
    assert reasons_of(cashier, [{"product_id": dal.id, "quantity": 1, "price": "110"}]) == [
        {"code": "price_change", "message": "Price of Dal changed from ₹120.00 to ₹110.00."}
    ]
    assert reasons_of(cashier, [{"product_id": dal.id, "quantity": 1, "price": "90"}]) == [
        {"code": "below_cost", "message": "Dal at ₹90.00 is below its cost of ₹100.00."}
    ]
    invoice = sell(
        cashier, [{"product_id": dal.id, "quantity": 2, "price": "110"}], approval=APPROVAL
    )
    assert invoice.total == 22000 and invoice.lines[0].unit_price == 11000
    [change] = entries("sale.price_change")
    assert change["lines"] == [
        {"product_id": dal.id, "name": "Dal", "old_price": "120.00", "new_price": "110.00"}
    ]


def test_an_admins_price_change_below_cost_is_audited_as_override(admin: User) -> None:
    dal = make_product(db.session, name="Dal", price="120.00", cost="100.00")
    sell(admin, [{"product_id": dal.id, "quantity": 1, "price": "130"}])
    assert entries("sale.override") == []  # above cost: an admin just sells
    sell(admin, [{"product_id": dal.id, "quantity": 1, "price": "90"}])
    [override] = entries("sale.override")
    assert [r["code"] for r in override["reasons"]] == ["below_cost"]


def test_credit_over_the_limit_is_a_reason_an_admin_approves(
    admin: User, cashier: User, owner: User
) -> None:
    customer = make_customer(db.session, admin, name="Ramu Kaka", credit_limit="100")
    tea = make_product(db.session, name="Tea", price="150.00")
    items = [{"product_id": tea.id, "quantity": 1}]
    credit = {"customer_id": customer.id, "payments": [{"method": "credit", "amount": "150"}]}
    [reason] = reasons_of(cashier, items, **credit)
    assert reason["code"] == "credit_limit" and "Ramu Kaka" in reason["message"]
    sell(cashier, items, approval=APPROVAL, **credit)
    [override] = entries("sale.override")
    assert override["approved_by"] == "owner"
    assert [r["code"] for r in override["reasons"]] == ["credit_limit"]


def test_a_wrong_pin_writes_no_sale_is_audited_and_throttled(
    admin: User, cashier: User, owner: User
) -> None:
    soap = make_product(db.session, name="Soap", opening_stock="0")
    items = [{"product_id": soap.id, "quantity": 1}]
    for _ in range(users.FREE_FAILURES):
        with pytest.raises(ValidationError) as info:
            sell(cashier, items, approval={"username": "owner", "pin": "0000"})
        assert info.value.status == 422 and "approval.pin" in info.value.fields
    assert count(Invoice) == 0
    assert len(entries("user.pin_failed")) == users.FREE_FAILURES
    # Throttled now, even with the right PIN, and the admin's login is not.
    with pytest.raises(LockedOut):
        sell(cashier, items, approval=APPROVAL)
    assert users.throttle_wait(db.session, "owner", "10.0.0.5") is None
    assert count(Invoice) == 0


@pytest.mark.parametrize(
    "approval",
    [
        {"username": "cashier", "pin": PIN},  # a cashier approves nothing
        {"username": "admin", "pin": PIN},  # an admin without a PIN
        {"username": "nobody", "pin": PIN},
    ],
)
@pytest.mark.servers_first_case(
    "the PIN is checked in Python; the first case approves through the database"
)
def test_only_an_admin_with_that_pin_approves(
    admin: User, cashier: User, owner: User, approval: dict[str, str]
) -> None:
    soap = make_product(db.session, name="Soap", opening_stock="0")
    with pytest.raises(ValidationError) as info:
        sell(cashier, [{"product_id": soap.id, "quantity": 1}], approval=approval)
    assert info.value.fields == {"approval.pin": "Wrong admin username or PIN."}
    assert count(Invoice) == 0


@pytest.mark.parametrize(
    ("approval", "field"),
    [
        ("1234", "approval"),
        ({"pin": "1234"}, "approval.username"),
        ({"username": "owner"}, "approval.pin"),
        ({"username": "owner", "pin": 1234}, "approval.pin"),
    ],
)
def test_a_malformed_approval_is_a_field_error(approval: object, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        checkout.parse_checkout({"items": [{"product_id": 1}], "approval": approval})
    assert field in info.value.fields


@pytest.mark.parametrize("price", ["-1", "abc", "1.001", "1e3", "১২"])
def test_a_bad_line_price_is_a_field_error(price: str) -> None:
    with pytest.raises(ValidationError) as info:
        checkout.parse_checkout({"items": [{"product_id": 1, "price": price}]})
    assert "items.0.price" in info.value.fields


def test_set_and_clear_a_pin(admin: User, cashier: User) -> None:
    with pytest.raises(ValidationError) as short:
        users.set_pin(db.session, admin.id, "123", "123")
    assert "pin" in short.value.fields
    with pytest.raises(ValidationError) as mismatch:
        users.set_pin(db.session, admin.id, "12345", "12346")
    assert "confirm" in mismatch.value.fields
    users.set_pin(db.session, admin.id, "12345", "12345")
    assert users.check_pin(db.session, "ADMIN", "12345").id == admin.id
    users.clear_pin(db.session, admin.id, admin.id)
    with pytest.raises(ValidationError):
        users.check_pin(db.session, "admin", "12345")
    assert [e["_user"] for e in entries("user.pin_set")] == [admin.id]
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"user.pin_set", "user.pin_clear", "user.pin_failed"} <= actions
    assert count(LoginAttempt) == 1
