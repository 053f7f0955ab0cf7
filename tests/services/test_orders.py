"""Orders (docs/DESIGN.md "Orders"): taking, moving, reserving, cancelling and delivering,
on every configured backend."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select, text

from posapp.errors import Conflict, InsufficientStock, NotFound, ValidationError
from posapp.extensions import db
from posapp.models import (
    AuditLog,
    Customer,
    Invoice,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    Product,
    StockMovement,
    User,
)
from posapp.models.base import write_transaction
from posapp.money import format_money
from posapp.services import (
    audit_text,
    catalog,
    catalog_csv,
    checkout,
    inventory,
    ledger,
    orders,
    returns,
    sale_writer,
    users,
)
from posapp.services.approvals import ApprovalRequired
from posapp.services.integrity import run_checks
from posapp.services.settings import save_settings
from tests.factories import make_customer, make_product, make_user, next_phone


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def fresh(model: type, key: int) -> Any:
    db.session.expire_all()
    return db.session.get(model, key)


def take(user: User, customer: Customer, *items: tuple[Product, str], **fields: Any) -> Order:
    data: dict[str, Any] = {
        "customer_id": customer.id,
        "items": [{"product_id": p.id, "quantity": q} for p, q in items],
        **fields,
    }
    return orders.create_order(db.session, orders.parse_order(data), user, "orders")


def walk(order_id: int, user: User, *states: str, **kw: Any) -> Order:
    order = orders.get_order(db.session, order_id)
    for state in states:
        order = orders.change_status(db.session, order_id, state, user, **kw)
    return order


# ---------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"items": [{"product_id": 1, "quantity": 1}]}, "customer_id"),
        ({"customer_id": "x", "items": [{"product_id": 1}]}, "customer_id"),
        ({"customer_id": True, "items": [{"product_id": 1}]}, "customer_id"),
        ({"customer": {"name": "", "phone": ""}, "items": [{"product_id": 1}]}, "customer.name"),
        ({"customer": {"name": "Asha"}, "items": [{"product_id": 1}]}, "customer.phone"),
        ({"customer_id": 1, "items": []}, "items"),
        ({"customer_id": 1, "items": "rice"}, "items"),
        ({"customer_id": 1, "items": [{"quantity": 1}]}, "items.0.product_id"),
        ({"customer_id": 1, "items": [{"product_id": 1, "quantity": "0"}]}, "items.0.quantity"),
        ({"customer_id": 1, "items": [{"product_id": 1, "quantity": "-2"}]}, "items.0.quantity"),
        ({"customer_id": 1, "items": [{"product_id": 1, "quantity": "2,5"}]}, "items.0.quantity"),
        (
            {"customer_id": 1, "items": [{"product_id": 1, "quantity": "1.2345"}]},
            "items.0.quantity",
        ),
        ({"customer_id": 1, "items": [{"product_id": 1}], "fulfilment": "drone"}, "fulfilment"),
        ({"customer_id": 1, "items": [{"product_id": 1}], "fulfilment": "delivery"}, "address"),
        ({"customer_id": 1, "items": [{"product_id": 1}], "slot_date": "6/12/2026"}, "slot_date"),
        ({"customer_id": 1, "items": [{"product_id": 1}], "slot_date": "2026-02-30"}, "slot_date"),
        ({"customer_id": 1, "items": [{"product_id": 1}], "slot": "x" * 41}, "slot"),
        (
            {
                "customer_id": 1,
                "items": [{"product_id": 1}],
                "fulfilment": "delivery",
                "address": "here",
                "delivery_charge": "2,5",
            },
            "delivery_charge",
        ),
        (
            {"customer_id": 1, "items": [{"product_id": 1}], "delivery_charge": "20"},
            "delivery_charge",
        ),
        ({"customer_id": 1, "items": [{"product_id": 1}], "note": 5}, "note"),
        ({"customer_id": 1, "items": [{"product_id": 1}], "payment_plan": "later"}, "payment_plan"),
    ],
)
def test_bad_orders_are_refused_field_by_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        orders.parse_order(data)
    assert field in caught.value.fields


def test_parse_reads_quantities_and_money_like_the_till() -> None:
    draft = orders.parse_order(
        {
            "customer": {"name": " Asha ", "phone": "98765 43210"},
            "items": [{"product_id": 3, "quantity": "1.250"}, {"product_id": "4", "quantity": 2}],
            "fulfilment": "delivery",
            "address": " 12 MG Road ",
            "slot_date": "2026-12-07",
            "slot": "10-12",
            "delivery_charge": "25.50",
            "payment_plan": "khata",
        }
    )
    assert draft.lines == ((3, 1250), (4, 2000))
    assert draft.new_customer == orders.NewCustomer("Asha", "98765 43210")
    assert draft.delivery_charge == 2550
    assert draft.address == "12 MG Road"
    assert str(draft.slot_date) == "2026-12-07"


# ---------------------------------------------------------------- taking an order


def test_an_order_is_numbered_gaplessly_priced_and_recorded(admin: User) -> None:
    rice = make_product(db.session, name="Rice", price="62.50", tax_rate="5")
    sugar = make_product(db.session, name="Sugar", price="44.00", unit="kg", opening_stock="20")
    customer = make_customer(db.session, admin)
    first = take(
        admin,
        customer,
        (rice, "2"),
        (sugar, "1.5"),
        fulfilment="delivery",
        address="12 MG Road",
        delivery_charge="30",
    )
    assert first.number == "ORD-1"
    assert first.status == "pending"
    # Today's prices (tax included) plus the delivery charge.
    assert first.estimate == 12500 + 6600 + 3000
    assert [(line.name, line.qty_milli, line.reserved_milli) for line in first.lines] == [
        ("Rice", 2000, 0),
        ("Sugar", 1500, 0),
    ]
    with pytest.raises(ValidationError):  # an unknown product: nothing written, no number used
        take(admin, customer, (rice, "1"), (Product(id=999_999), "1"))
    with pytest.raises(ValidationError) as caught:  # pieces in whole numbers
        take(admin, customer, (rice, "1.5"))
    assert "items.0.quantity" in caught.value.fields
    second = take(admin, customer, (rice, "1"))
    assert second.number == "ORD-2"
    assert count(Order) == 2
    events = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == first.id)).all()
    assert [(e.from_status, e.to_status, e.user_id) for e in events] == [("", "pending", admin.id)]
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "order.create")
        )
        == 2
    )
    assert stock(rice) == (100_000, 0)
    assert run_checks(db.session).ok


def test_a_new_customer_is_written_with_the_order_or_found_by_phone(cashier: User) -> None:
    rice = make_product(db.session)
    phone = next_phone()
    data = {"customer": {"name": "Asha", "phone": phone}, "items": [{"product_id": rice.id}]}
    order = orders.create_order(db.session, orders.parse_order(data), cashier, "till")
    assert order.customer.name == "Asha"
    again = orders.create_order(
        db.session,
        orders.parse_order({**data, "customer": {"name": "Someone else", "phone": phone}}),
        cashier,
        "api",
    )
    assert again.customer_id == order.customer_id
    assert count(Customer) == 1
    bad = {"customer": {"name": "Asha", "phone": "12"}, "items": [{"product_id": rice.id}]}
    with pytest.raises(ValidationError) as caught:
        orders.create_order(db.session, orders.parse_order(bad), cashier, "api")
    assert "customer.phone" in caught.value.fields
    # A new customer whose order fails is not written either.
    unknown = {"customer": {"name": "Ravi", "phone": next_phone()}, "items": [{"product_id": 999}]}
    with pytest.raises(ValidationError):
        orders.create_order(db.session, orders.parse_order(unknown), cashier, "api")
    assert count(Customer) == 1
    with pytest.raises(ValidationError):
        orders.create_order(db.session, orders.parse_order(data), cashier, "phone")


def test_only_a_pending_order_can_be_changed(admin: User) -> None:
    rice, dal = make_product(db.session), make_product(db.session, price="20.00")
    customer = make_customer(db.session, admin)
    order = take(admin, customer, (rice, "2"))
    draft = orders.parse_order(
        {"customer_id": customer.id, "items": [{"product_id": dal.id, "quantity": 3}]}
    )
    changed = orders.update_order(db.session, order.id, draft, admin)
    assert [(line.product_id, line.qty_milli) for line in changed.lines] == [(dal.id, 3000)]
    assert changed.estimate == 6000
    assert count(OrderLine) == 1
    walk(order.id, admin, "confirmed")
    with pytest.raises(Conflict) as caught:
        orders.update_order(db.session, order.id, draft, admin)
    assert caught.value.code == "order_not_pending"


# ---------------------------------------------------------------- transitions


PATHS = {
    "pickup": ["pending", "confirmed", "packed", "ready_for_pickup"],
    "delivery": ["pending", "confirmed", "packed", "out_for_delivery"],
}


@pytest.mark.parametrize("fulfilment", ["pickup", "delivery"])
@pytest.mark.servers_first_case(
    "the allowed moves are a table in Python; the first case writes through the database"
)
def test_every_transition_is_allowed_or_refused_as_the_table_says(
    admin: User, fulfilment: str
) -> None:
    rice = make_product(db.session, opening_stock="1000")
    customer = make_customer(db.session, admin)
    extra = {"fulfilment": fulfilment, "address": "12 MG Road"}
    handover = orders._HANDOVER[fulfilment]
    for at, state in enumerate(PATHS[fulfilment]):
        for target in orders.ORDER_STATUSES:
            if target == "cancelled":
                continue  # cancel_order, below
            order = take(admin, customer, (rice, "1"), **extra)
            walk(order.id, admin, *PATHS[fulfilment][1 : at + 1])
            allowed = target in orders.TRANSITIONS[state] and target in (
                "confirmed",
                "packed",
                handover,
            )
            if allowed:
                moved = orders.change_status(db.session, order.id, target, admin, note="ok")
                assert moved.status == target
                assert moved.events[-1].from_status == state
                assert moved.events[-1].note == "ok"
            else:
                with pytest.raises(Conflict) as caught:
                    orders.change_status(db.session, order.id, target, admin)
                assert caught.value.code == "transition_not_allowed"
                assert fresh(Order, order.id).status == state
            orders.cancel_order(db.session, order.id, "test done", admin)
    assert run_checks(db.session).ok


def test_closed_orders_move_no_further_and_unknown_states_are_refused(admin: User) -> None:
    rice = make_product(db.session)
    customer = make_customer(db.session, admin)
    order = take(admin, customer, (rice, "1"))
    with pytest.raises(ValidationError):
        orders.change_status(db.session, order.id, "shipped", admin)
    with pytest.raises(ValidationError):
        orders.cancel_order(db.session, order.id, "  ", admin)
    with pytest.raises(NotFound):
        orders.change_status(db.session, 999_999, "confirmed", admin)
    # Delivering is not a status change: it writes the invoice.
    walk(order.id, admin, "confirmed", "packed", "ready_for_pickup")
    with pytest.raises(Conflict) as caught:
        orders.change_status(db.session, order.id, "delivered", admin)
    assert "invoice" in caught.value.message
    cancelled = orders.change_status(db.session, order.id, "cancelled", admin, note="changed mind")
    assert cancelled.cancel_reason == "changed mind"
    for target in orders.ORDER_STATUSES:
        with pytest.raises((Conflict, ValidationError)):
            orders.change_status(db.session, order.id, target, admin, note="again")
    with pytest.raises(Conflict) as refused:
        orders.deliver_order(db.session, order.id, {}, admin)
    assert refused.value.code == "transition_not_allowed"
    assert count(Invoice) == 0


# ---------------------------------------------------------------- reservations


def stock(product: Product) -> tuple[int, int]:
    now = fresh(Product, product.id)
    return now.stock_milli, now.reserved_milli


def test_confirming_reserves_and_cancelling_releases(admin: User) -> None:
    rice = make_product(db.session, opening_stock="10")
    dal = make_product(db.session, unit="kg", opening_stock="5")
    customer = make_customer(db.session, admin)
    first = take(admin, customer, (rice, "4"), (dal, "1.5"), (rice, "2"))
    walk(first.id, admin, "confirmed")
    assert stock(rice) == (10_000, 6000)
    assert stock(dal) == (5000, 1500)
    assert [line.reserved_milli for line in orders.get_order(db.session, first.id).lines] == [
        4000,
        1500,
        2000,
    ]
    assert orders.available_milli(fresh(Product, rice.id)) == 4000
    # Short on two lines: both named, nothing reserved, still pending.
    second = take(admin, customer, (rice, "5"), (dal, "3.6"), (rice, "1"))
    with pytest.raises(InsufficientStock) as caught:
        orders.change_status(db.session, second.id, "confirmed", admin)
    assert caught.value.code == "insufficient_stock"
    assert [(s["product_id"], s["available"]) for s in caught.value.details["lines"]] == [
        (rice.id, "4"),
        (dal.id, "3.500"),
    ]
    assert fresh(Order, second.id).status == "pending"
    assert stock(rice) == (10_000, 6000)
    assert sum(line.reserved_milli for line in orders.get_order(db.session, second.id).lines) == 0
    with pytest.raises(Conflict) as held:  # archived, the orders could never be delivered
        catalog.archive_product(db.session, dal.id, admin.id)
    assert held.value.code == "reserved"
    walk(first.id, admin, "packed")
    cancelled = orders.cancel_order(db.session, first.id, "customer called off", admin)
    assert cancelled.status == "cancelled"
    assert cancelled.events[-1].note == "customer called off"
    assert stock(rice) == (10_000, 0)
    assert stock(dal) == (5000, 0)
    walk(second.id, admin, "confirmed")  # now there is enough
    assert stock(rice) == (10_000, 6000)
    assert run_checks(db.session).ok


def test_the_counter_cannot_sell_reserved_stock_without_an_admin(
    admin: User, cashier: User
) -> None:
    boss = make_user(db.session, "boss", "admin")
    users.set_pin(db.session, boss.id, "4321", "4321")
    rice = make_product(db.session, name="Rice", opening_stock="5")
    customer = make_customer(db.session, admin)
    walk(take(admin, customer, (rice, "4")).id, admin, "confirmed")

    def sell(user: User, qty: int, **extra: Any) -> Invoice:
        request = checkout.parse_checkout(
            {"items": [{"product_id": rice.id, "quantity": qty}], **extra}
        )
        return checkout.checkout(db.session, request, user)

    sell(cashier, 1)  # the one unit not held
    with pytest.raises(ApprovalRequired) as caught:
        sell(cashier, 1)
    assert "held for orders" in caught.value.message
    assert stock(rice) == (4000, 4000)
    # An admin's PIN lets the counter take held stock (the order is then short on delivery).
    sell(cashier, 1, approval={"username": "boss", "pin": "4321"})
    assert stock(rice) == (3000, 4000)
    # The conditional update itself refuses too (a sale that saw the stock before the order).
    with write_transaction(db.session):
        with pytest.raises(InsufficientStock) as refused:
            sale_writer.deduct_stock(db.session, {rice.id: 1000}, False)
        db.session.rollback()
    assert "held for orders" in refused.value.message


def test_under_the_warn_policy_the_counter_still_keeps_off_held_stock(
    admin: User, cashier: User
) -> None:
    with write_transaction(db.session):
        save_settings(db.session, stock_policy="warn")
    boss = make_user(db.session, "boss", "admin")
    users.set_pin(db.session, boss.id, "4321", "4321")
    rice = make_product(db.session, name="Rice", opening_stock="5")
    salt = make_product(db.session, name="Salt", opening_stock="1")
    customer = make_customer(db.session, admin)
    walk(take(admin, customer, (rice, "4")).id, admin, "confirmed")

    def sell(product: Product, qty: int, **extra: Any) -> Invoice:
        request = checkout.parse_checkout(
            {"items": [{"product_id": product.id, "quantity": qty}], **extra}
        )
        return checkout.checkout(db.session, request, cashier)

    sell(salt, 3)  # "warn": nothing held, so the stock goes negative as the owner chose
    assert stock(salt) == (-2000, 0)
    sell(rice, 1)
    with pytest.raises(ApprovalRequired) as caught:
        sell(rice, 2)
    assert "held for orders" in caught.value.message
    assert stock(rice) == (4000, 4000)
    sell(rice, 2, approval={"username": "boss", "pin": "4321"})
    assert stock(rice) == (2000, 4000)
    # The conditional update keeps off held stock under "warn" too, for a sale that priced
    # its cart before the order was confirmed.
    with write_transaction(db.session):
        with pytest.raises(InsufficientStock):
            sale_writer.deduct_stock(db.session, {rice.id: 1000}, True, keep_held=True)
        db.session.rollback()
    with write_transaction(db.session):
        sale_writer.deduct_stock(db.session, {salt.id: 1000}, True, keep_held=True)
    assert stock(salt) == (-3000, 0)


def test_a_service_product_never_moves_stock(admin: User) -> None:
    rice = make_product(db.session, opening_stock="10")
    customer = make_customer(db.session, admin, credit_limit=None)
    order = take(
        admin, customer, (rice, "2"), fulfilment="delivery", address="Flat 3", delivery_charge="40"
    )
    walk(order.id, admin, "confirmed", "packed", "out_for_delivery")
    invoice = orders.deliver_order(db.session, order.id, {}, admin)
    charge = db.session.scalar(select(Product).where(Product.code == orders.DELIVERY_CODE))
    assert charge is not None and charge.is_service and charge.tax_rate_bp == 0
    assert [line.name for line in invoice.lines][-1] == "Delivery charge"
    assert invoice.lines[-1].total == 4000
    assert invoice.total == 2000 + 4000
    moves = db.session.scalars(
        select(StockMovement.product_id).where(StockMovement.reason == "sale")
    )
    assert list(moves) == [rice.id]
    assert stock(charge) == (0, 0)
    for data in (
        {"delta": "5", "reason": "adjust_count"},
        {"delta": "-1", "reason": "adjust_damage"},
    ):
        with pytest.raises(ValidationError) as caught:
            inventory.adjust_stock(db.session, charge.id, data, admin.id)
        assert "service" in caught.value.message
    # A product file may not give it stock either (its exported 0 is no change).
    plan = catalog_csv.plan_import(db.session, b"code,qty\nDELIVERY,5\n")
    assert "service" in dict(plan.errors)[2]
    assert catalog_csv.plan_import(db.session, b"code,qty\nDELIVERY,0\n").errors == []
    # Returned, the goods come back; the service has nothing to come back.
    lines = [{"line_id": line.id, "quantity": "1"} for line in invoice.lines]
    returns.create_return(db.session, invoice.id, {"lines": lines, "refund_method": "cash"}, admin)
    assert stock(charge) == (0, 0)
    assert stock(rice) == (9000, 0)
    assert fresh(Product, charge.id).stock_value == 0
    assert run_checks(db.session).ok


# ---------------------------------------------------------------- delivery


def counter_sale(
    user: User, customer: Customer, items: list[dict[str, Any]], **extra: Any
) -> Invoice:
    request = checkout.parse_checkout({"items": items, "customer_id": customer.id, **extra})
    return checkout.checkout(db.session, request, user)


@pytest.mark.parametrize("plan", ["on_delivery", "khata"])
def test_a_delivered_order_is_the_invoice_a_counter_sale_would_be(admin: User, plan: str) -> None:
    rice = make_product(db.session, name="Rice", price="62.50", tax_rate="5")
    oil = make_product(
        db.session, name="Oil", price="145.00", tax_rate="18", unit="l", opening_stock="50"
    )
    customer = make_customer(db.session, admin, credit_limit=None)
    order = take(admin, customer, (rice, "3"), (oil, "1.5"), payment_plan=plan)
    walk(order.id, admin, "confirmed", "packed", "ready_for_pickup")
    payments = (
        []
        if plan == "khata"
        else [{"method": "upi", "amount": "405.00", "reference": "123456789012"}]
    )
    delivered = orders.deliver_order(
        db.session, order.id, {"payments": payments} if payments else {}, admin
    )
    tender = (
        [{"method": "credit", "amount": "405.00"}]
        if plan == "khata"
        else [{"method": "upi", "amount": "405.00"}]
    )
    counter = counter_sale(
        admin,
        customer,
        [{"product_id": rice.id, "quantity": 3}, {"product_id": oil.id, "quantity": "1.5"}],
        payments=tender,
    )
    for field in ("total", "subtotal", "tax_total", "round_off", "paid", "status"):
        assert getattr(delivered, field) == getattr(counter, field), field
    assert delivered.total == 18750 + 21750
    assert delivered.seq + 1 == counter.seq and delivered.fy == counter.fy

    def lines(invoice: Invoice) -> list[tuple[str, int, int, int]]:
        return [(line.name, line.qty_milli, line.total, line.tax) for line in invoice.lines]

    assert lines(delivered) == lines(counter)
    done = orders.get_order(db.session, order.id)
    assert done.status == "delivered" and done.invoice_id == delivered.id
    assert done.delivered_at is not None
    assert done.events[-1].to_status == "delivered" and delivered.number in done.events[-1].note
    assert stock(rice) == (100_000 - 6000, 0)
    if plan == "khata":
        assert ledger.balance(db.session, customer.id) == 2 * delivered.total
        assert delivered.status == "unpaid"
    else:
        assert ledger.balance(db.session, customer.id) == 0
        upi = db.session.scalar(select(Payment).where(Payment.invoice_id == delivered.id))
        assert upi.reference == "123456789012"
    assert run_checks(db.session).ok


def test_a_prepaid_order_is_paid_on_confirming_and_settled_on_delivery(admin: User) -> None:
    rice = make_product(db.session, price="50.00")
    customer = make_customer(db.session, admin)  # no credit: the advance pays, not credit
    order = take(admin, customer, (rice, "4"), payment_plan="prepaid")
    with pytest.raises(ValidationError) as caught:
        orders.change_status(db.session, order.id, "confirmed", admin)
    assert "payment" in caught.value.fields
    with pytest.raises(ValidationError):
        orders.change_status(
            db.session, order.id, "confirmed", admin, payment={"amount": "200", "method": "cheque"}
        )
    assert count(Payment) == 0 and fresh(Order, order.id).status == "pending"
    confirmed = orders.change_status(
        db.session,
        order.id,
        "confirmed",
        admin,
        payment={"amount": "200.00", "method": "upi", "reference": "123456789012"},
    )
    assert confirmed.status == "confirmed"
    advance = db.session.get(Payment, confirmed.advance_payment_id)
    assert (advance.amount, advance.method, advance.reference) == (20000, "upi", "123456789012")
    assert ledger.balance(db.session, customer.id) == -20000
    assert stock(rice) == (100_000, 4000)
    walk(order.id, admin, "packed", "ready_for_pickup")
    assert "already paid" in orders.status_message(orders.get_order(db.session, order.id), "Shop")
    invoice = orders.deliver_order(db.session, order.id, {}, admin)
    assert (invoice.total, invoice.paid, invoice.status) == (20000, 20000, "paid")
    assert ledger.balance(db.session, customer.id) == 0
    assert run_checks(db.session).ok


def test_cancelling_a_prepaid_order_keeps_the_advance_on_the_khata(admin: User) -> None:
    rice = make_product(db.session, price="50.00")
    customer = make_customer(db.session, admin)
    order = take(admin, customer, (rice, "2"), payment_plan="prepaid")
    orders.change_status(
        db.session, order.id, "confirmed", admin, payment={"amount": "100", "method": "cash"}
    )
    cancelled = orders.cancel_order(db.session, order.id, "out of town", admin)
    assert "advance" in cancelled.events[-1].note and "stays" in cancelled.events[-1].note
    assert ledger.balance(db.session, customer.id) == -10000
    assert stock(rice) == (100_000, 0)
    assert run_checks(db.session).ok


def test_a_failed_delivery_writes_nothing(admin: User, cashier: User) -> None:
    rice = make_product(db.session, opening_stock="3")
    customer = make_customer(db.session, admin)  # no credit allowed
    order = take(cashier, customer, (rice, "3"), payment_plan="khata")
    walk(order.id, cashier, "confirmed", "packed", "ready_for_pickup")
    for data in (
        {"payments": "cash"},
        {"payments": [{"method": "upi", "amount": "10"}]},  # short of the total
        {"payments": [{"method": "bitcoin", "amount": "30"}]},
        {"approval": "yes"},
        {},  # khata over the customer's limit: an admin must approve
    ):
        with pytest.raises((ValidationError, Conflict)):
            orders.deliver_order(db.session, order.id, data, cashier)
    assert count(Invoice) == 0
    assert fresh(Order, order.id).status == "ready_for_pickup"
    assert stock(rice) == (3000, 3000)
    assert run_checks(db.session).ok


def test_the_order_shorted_at_the_counter_needs_an_admin_on_delivery(
    admin: User, cashier: User
) -> None:
    rice = make_product(db.session, opening_stock="2")
    customer = make_customer(db.session, admin)
    order = take(cashier, customer, (rice, "2"))
    walk(order.id, cashier, "confirmed", "packed", "ready_for_pickup")
    inventory.adjust_stock(
        db.session, rice.id, {"delta": "-1", "reason": "adjust_damage"}, admin.id
    )
    with pytest.raises(ApprovalRequired):
        orders.deliver_order(db.session, order.id, {}, cashier)
    assert stock(rice) == (1000, 2000)
    invoice = orders.deliver_order(db.session, order.id, {}, admin)  # an admin's own approval
    assert invoice.total == 2000
    assert stock(rice) == (-1000, 0)
    assert run_checks(db.session).ok


# ---------------------------------------------------------------- reading


def test_lists_counts_numbers_and_messages(admin: User) -> None:
    rice = make_product(db.session, price="50.00")
    asha = make_customer(db.session, admin, name="Asha Verma")
    ravi = make_customer(db.session, admin, name="Ravi")
    one = take(admin, asha, (rice, "1"))
    two = take(
        admin, ravi, (rice, "2"), fulfilment="delivery", address="Lake Road", delivery_charge="20"
    )
    three = take(admin, asha, (rice, "3"))
    walk(two.id, admin, "confirmed", "packed", "out_for_delivery")
    orders.cancel_order(db.session, three.id, "duplicate", admin)
    assert orders.open_counts(db.session) == {
        "pending": 1,
        "confirmed": 0,
        "packed": 0,
        "ready_for_pickup": 0,
        "out_for_delivery": 1,
    }
    rows, total = orders.list_orders(db.session, statuses=orders.OPEN_STATUSES)
    assert ([o.id for o in rows], total) == ([one.id, two.id], 2)  # oldest first
    rows, total = orders.list_orders(db.session)
    assert [o.id for o in rows] == [three.id, two.id, one.id]  # newest first with closed ones
    assert [o.id for o in orders.list_orders(db.session, q="asha")[0]] == [three.id, one.id]
    assert [o.id for o in orders.list_orders(db.session, q="ORD-2")[0]] == [two.id]
    assert [o.id for o in orders.list_orders(db.session, q="lake")[0]] == [two.id]
    assert orders.list_orders(db.session, customer_id=ravi.id)[1] == 1
    assert orders.list_orders(db.session, status="cancelled", per_page=1, page=1)[1] == 1
    assert orders.list_orders(db.session, q="100%_")[1] == 0
    today = ledger.local_today()
    assert orders.list_orders(db.session, date_from=today, date_to=today)[1] == 3
    tomorrow = today + timedelta(days=1)
    assert orders.list_orders(db.session, date_from=tomorrow)[1] == 0
    assert orders.list_orders(db.session, date_to=today - timedelta(days=1))[1] == 0
    with pytest.raises(ValidationError):
        orders.list_orders(db.session, status="lost")
    with pytest.raises(ValidationError):
        orders.list_orders(db.session, per_page=0)
    for text_ in ("ORD-2", "ord-2", " #2 ", "2"):
        assert orders.find_order(db.session, text_).id == two.id
    for text_ in ("ORD-", "ORD-99", "INV-2", "", "ORD-1e3"):
        assert orders.find_order(db.session, text_) is None
    message = orders.status_message(orders.get_order(db.session, two.id), "Sharma Stores")
    assert message == (
        "Namaste Ravi, your order ORD-2 from Sharma Stores is out for delivery, ₹120.00 to pay. "
        "Thank you!"
    )
    cancelled = orders.status_message(orders.get_order(db.session, three.id), "Sharma Stores")
    assert "has been cancelled (duplicate)" in cancelled


def test_the_check_finds_reservations_that_do_not_add_up(admin: User) -> None:
    rice = make_product(db.session)
    customer = make_customer(db.session, admin)
    order = take(admin, customer, (rice, "2"))
    walk(order.id, admin, "confirmed")
    assert run_checks(db.session).ok
    with write_transaction(db.session):
        db.session.execute(
            text("UPDATE products SET reserved_milli = 500 WHERE id = :id"), {"id": rice.id}
        )
    problems = run_checks(db.session).problems
    assert any("reserved_milli 500" in p for p in problems)
    with write_transaction(db.session):
        db.session.execute(
            text("UPDATE products SET reserved_milli = 2000 WHERE id = :id"), {"id": rice.id}
        )
        db.session.execute(
            text("UPDATE orders SET status = 'delivered' WHERE id = :id"), {"id": order.id}
        )
    problems = run_checks(db.session).problems
    assert any("delivered without an invoice" in p for p in problems)
    assert any("should not" in p for p in problems)
    assert any("open orders' 0" in p for p in problems)


def test_concurrent_confirmations_and_counter_sales_never_oversell(
    app: Flask, admin: User, cashier: User
) -> None:
    rice = make_product(db.session, name="Last rice", opening_stock="10")
    customer = make_customer(db.session, admin)
    waiting = [take(admin, customer, (rice, "1")).id for _ in range(8)]
    rice_id, cashier_id = rice.id, cashier.id
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def confirmer(mine: list[int]) -> None:
        with app.app_context():
            user = db.session.get(User, cashier_id)
            start.wait()
            for order_id in mine:
                try:
                    orders.change_status(db.session, order_id, "confirmed", user)
                    outcome = "reserved"
                except InsufficientStock:
                    outcome = "short"
                with lock:
                    outcomes.append(outcome)
            db.session.remove()

    def till() -> None:
        with app.app_context():
            user = db.session.get(User, cashier_id)
            start.wait()
            for _ in range(3):
                request = checkout.parse_checkout(
                    {"items": [{"product_id": rice_id, "quantity": 1}]}
                )
                try:
                    checkout.checkout(db.session, request, user)
                    outcome = "sold"
                except (InsufficientStock, ApprovalRequired):
                    outcome = "short"
                with lock:
                    outcomes.append(outcome)
            db.session.remove()

    threads = [threading.Thread(target=confirmer, args=(waiting[i::4],)) for i in range(4)]
    threads += [threading.Thread(target=till) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 8 confirmations and 12 sales of one unit each asked for 20 of 10: every unit went
    # exactly once, to an order or over the counter, never both.
    assert len(outcomes) == 20
    assert outcomes.count("reserved") + outcomes.count("sold") == 10
    db.session.rollback()  # end this thread's snapshot to see the other threads' writes
    sold = outcomes.count("sold")
    assert stock(rice) == (10_000 - sold * 1000, outcomes.count("reserved") * 1000)
    assert run_checks(db.session).ok
    confirmed = db.session.scalars(
        select(Order.id).where(Order.status == "confirmed").order_by(Order.id)
    ).all()
    for order_id in confirmed:
        walk(order_id, admin, "packed", "ready_for_pickup")
        orders.deliver_order(db.session, order_id, {}, cashier)
    assert stock(rice) == (0, 0)
    assert run_checks(db.session).ok


def test_the_audit_log_says_what_happened_to_an_order(admin: User) -> None:
    rice = make_product(db.session, price="50.00")
    customer = make_customer(db.session, admin, name="Asha")
    order = take(admin, customer, (rice, "2"))
    walk(order.id, admin, "confirmed", "packed")
    orders.cancel_order(db.session, order.id, "rain", admin)
    ctx = audit_text.Context(money=format_money, customers={customer.id: "Asha"})
    said = [
        audit_text.describe(entry.action, entry.before, entry.after, ctx)
        for entry in db.session.scalars(
            select(AuditLog).where(AuditLog.action.like("order.%")).order_by(AuditLog.id)
        )
    ]
    assert said == [
        "Order ORD-1 taken for Asha, 1 line, about ₹100.00",
        "Order ORD-1: pending → confirmed",
        "Order ORD-1: confirmed → packed",
        "Order ORD-1 cancelled — rain",
    ]


def test_reservations_cost_a_counter_sale_no_statement(admin: User) -> None:
    held, free = make_product(db.session), make_product(db.session)
    customer = make_customer(db.session, admin)
    walk(take(admin, customer, (held, "5")).id, admin, "confirmed")
    statements: list[str] = []

    def counted(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    def sell(product: Product) -> int:
        request = checkout.parse_checkout({"items": [{"product_id": product.id, "quantity": 1}]})
        checkout.checkout(db.session, request, admin)  # warm
        db.session.expire_all()
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", counted)
        try:
            checkout.checkout(db.session, request, admin)
        finally:
            event.remove(db.engine, "before_cursor_execute", counted)
        return len(statements)

    assert sell(held) == sell(free)
    assert stock(held) == (98_000, 5000)
