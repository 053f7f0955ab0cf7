"""Suppliers' khata: purchases on credit, payments oldest first, advances, aging, checks."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, update

from posapp.errors import Conflict, ValidationError
from posapp.extensions import db
from posapp.models import (
    AuditLog,
    Product,
    Purchase,
    StockMovement,
    Supplier,
    SupplierAllocation,
    SupplierPayment,
    User,
)
from posapp.models.base import write_transaction
from posapp.services import inventory, suppliers
from posapp.services.integrity import run_checks
from tests.factories import make_product


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def receive(product: Product, cost: str, qty: str = "1", **fields: object) -> Purchase:
    data: dict[str, object] = {
        "lines": [{"code": product.code, "quantity": qty, "unit_cost": cost, "tax_rate": "0"}]
    }
    data.update(fields)
    user = db.session.scalar(select(User))
    return inventory.receive_stock(db.session, data, user.id if user else None)


def new_supplier(admin: User, **fields: object) -> Supplier:
    data: dict[str, object] = {"name": "Metro Wholesale"}
    data.update(fields)
    return suppliers.create_supplier(db.session, data, admin)


# --- a purchase on credit, paid over time ------------------------------------------------------


def test_credit_purchase_payments_oldest_first_and_an_advance(admin: User) -> None:
    rice = make_product(db.session, name="Rice", unit="kg", opening_stock="0")
    metro = new_supplier(admin, credit_days="15")
    # ₹10,000.00 bill (100 kg × ₹100.00, no tax), ₹2,000.00 paid now in cash.
    first = receive(
        rice, "100.00", "100", supplier_id=str(metro.id), paid_now="2000.00",
        bill_date="2026-11-01", reference="M-881",
    )  # fmt: skip
    assert (first.payable, first.paid_now, first.paid, first.paid_method) == (
        1_000_000, 200_000, 200_000, "cash",
    )  # fmt: skip
    assert first.supplier_id == metro.id and first.supplier == "Metro Wholesale"
    assert first.due_date == date(2026, 11, 16)
    assert suppliers.balance(db.session, metro.id) == 800_000
    # A second bill, all on credit: ₹3,000.00.
    second = receive(rice, "30.00", "100", supplier_id=metro.id, paid_now="0",
                     bill_date="2026-11-10")  # fmt: skip
    assert suppliers.balance(db.session, metro.id) == 1_100_000

    # ₹5,000.00: all to the older bill (₹8,000.00 open -> ₹3,000.00).
    one = suppliers.record_payment(
        db.session, metro.id, {"amount": "5000.00", "method": "bank", "reference": "UTR 1"}, admin
    )
    assert [(a.purchase_id, a.amount) for a in one.allocations] == [(first.id, 500_000)]
    assert (one.advance, one.balance) == (0, 600_000)
    # ₹4,000.00: ₹3,000.00 closes the first bill, ₹1,000.00 goes to the second.
    two = suppliers.record_payment(db.session, metro.id, {"amount": "4000", "method": "upi"}, admin)
    assert [(a.purchase_id, a.amount) for a in two.allocations] == [
        (first.id, 300_000), (second.id, 100_000),
    ]  # fmt: skip
    assert two.balance == 200_000
    # ₹2,500.00: ₹2,000.00 closes the second bill, ₹500.00 is an advance.
    three = suppliers.record_payment(db.session, metro.id, {"amount": "2500", "method": "cash"},
                                     admin)  # fmt: skip
    assert [(a.purchase_id, a.amount) for a in three.allocations] == [(second.id, 200_000)]
    assert (three.advance, three.balance) == (50_000, -50_000)
    db.session.refresh(first)
    db.session.refresh(second)
    assert (first.paid, second.paid) == (1_000_000, 300_000)

    # The next bill on credit uses the advance up: ₹1,200.00 - ₹500.00 = ₹700.00 owed.
    third = receive(rice, "12.00", "100", supplier_id=metro.id, paid_now="")  # all paid
    assert third.paid == third.payable == 120_000
    fourth = receive(rice, "12.00", "100", supplier="metro wholesale", paid_now="0")
    assert fourth.supplier_id == metro.id  # found by name, any case
    assert fourth.paid == 50_000
    assert suppliers.balance(db.session, metro.id) == 70_000
    assert suppliers.advance(db.session, metro.id) == 0

    kinds = [(line.kind, line.amount, line.running) for line in
             suppliers.ledger_lines(db.session, metro.id)]  # fmt: skip
    assert kinds[:3] == [("bill", 1_000_000, 1_000_000), ("paid_now", -200_000, 800_000),
                         ("bill", 300_000, 1_100_000)]  # fmt: skip
    assert kinds[-1][2] == 70_000
    assert run_checks(db.session).ok
    actions = list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert actions.count("supplier.payment") == 3 and "supplier.create" in actions


def test_explicit_allocation_first_then_oldest(admin: User) -> None:
    tea = make_product(db.session, name="Tea", opening_stock="0")
    s = new_supplier(admin)
    old = receive(tea, "1000.00", supplier_id=s.id, paid_now="0", bill_date="2026-10-01")
    new = receive(tea, "500.00", supplier_id=s.id, paid_now="0", bill_date="2026-11-01")
    result = suppliers.record_payment(
        db.session,
        s.id,
        {"amount": "700", "method": "cash", "allocations": [{"purchase_id": new.id,
                                                              "amount": "500"}]},
        admin,
    )  # fmt: skip
    assert sorted((a.purchase_id, a.amount) for a in result.allocations) == [
        (old.id, 20_000), (new.id, 50_000),
    ]  # fmt: skip
    with pytest.raises(ValidationError):
        suppliers.record_payment(
            db.session, s.id,
            {"amount": "100", "method": "cash", "allocations": [{"purchase_id": new.id,
                                                                  "amount": "1"}]},
            admin,
        )  # fmt: skip
    assert count(SupplierPayment) == 1
    assert run_checks(db.session).ok


def test_an_opening_balance_is_paid_first(admin: User) -> None:
    tea = make_product(db.session, name="Tea", opening_stock="0")
    s = new_supplier(admin, opening_balance="1500.00", opening_date="2026-06-01")
    receive(tea, "1000.00", supplier_id=s.id, paid_now="0", bill_date="2026-10-01")
    assert suppliers.balance(db.session, s.id) == 250_000
    result = suppliers.record_payment(db.session, s.id, {"amount": "2000", "method": "bank"}, admin)
    assert [(a.purchase_id, a.amount) for a in result.allocations] == [
        (None, 150_000), (result.allocations[1].purchase_id, 50_000),
    ]  # fmt: skip
    assert result.balance == 50_000
    with pytest.raises(ValidationError):  # below what is already settled on it
        suppliers.update_supplier(db.session, s.id, {"opening_balance": "1000"}, admin)
    assert run_checks(db.session).ok


# --- aging and the list to pay --------------------------------------------------------------


def test_aging_by_days_past_due_on_fixed_dates(admin: User) -> None:
    tea = make_product(db.session, name="Tea", opening_stock="0")
    s = new_supplier(admin, credit_days="30", opening_balance="1000.00", opening_date="2026-08-01")
    receive(tea, "2000.00", supplier_id=s.id, paid_now="0", bill_date="2026-09-01")  # due 10-01
    receive(tea, "3000.00", supplier_id=s.id, paid_now="0", bill_date="2026-10-15")  # due 11-14
    receive(tea, "4000.00", supplier_id=s.id, paid_now="0", bill_date="2026-11-20")  # due 12-20
    summary = suppliers.summary(db.session, s.id, today=date(2026, 12, 5))
    assert summary.aging == {
        "not_due": 400_000,  # due 20 Dec
        "0_30": 300_000,  # 21 days past due
        "31_60": 0,
        "61_90": 200_000,  # 65 days
        "90_plus": 100_000,  # the opening balance, 126 days
    }
    assert summary.overdue == 600_000 and summary.balance == 1_000_000
    listed = suppliers.to_pay(db.session, date(2026, 12, 5))
    assert [i.due_date for i in listed] == [
        date(2026, 8, 1), date(2026, 10, 1), date(2026, 11, 14), date(2026, 12, 20),
    ]  # fmt: skip


# --- bad input writes nothing ---------------------------------------------------------------


@pytest.mark.parametrize("amount", ["0", "-5", "2,5", "abc", "", "1.234", None, True, [1]])
@pytest.mark.servers_first_case(
    "validation in Python; the first case shows a refused write leaves nothing"
)
def test_a_bad_payment_amount_is_refused(admin: User, amount: object) -> None:
    s = new_supplier(admin)
    before = count(AuditLog)
    with pytest.raises(ValidationError) as caught:
        suppliers.record_payment(db.session, s.id, {"amount": amount, "method": "cash"}, admin)
    assert "amount" in caught.value.fields
    assert count(SupplierPayment) == 0 and count(AuditLog) == before


def test_bad_method_and_future_date_are_refused(admin: User) -> None:
    s = new_supplier(admin)
    with pytest.raises(ValidationError) as caught:
        suppliers.record_payment(
            db.session, s.id, {"amount": "10", "method": "card", "paid_on": "2999-01-01"}, admin
        )
    assert set(caught.value.fields) == {"method", "paid_on"}


def test_credit_needs_a_supplier_and_paid_now_at_most_the_bill(admin: User) -> None:
    tea = make_product(db.session, name="Tea", opening_stock="0")
    with pytest.raises(ValidationError) as caught:
        receive(tea, "100.00", paid_now="10")
    assert "supplier" in caught.value.fields
    with pytest.raises(ValidationError) as caught:
        receive(tea, "100.00", supplier="Metro", paid_now="200")
    assert "paid_now" in caught.value.fields
    with pytest.raises(ValidationError) as caught:
        receive(tea, "100.00", supplier="Metro", paid_now="2,5", paid_method="cheque")
    assert {"paid_now", "paid_method"} <= set(caught.value.fields)
    assert count(Purchase) == 0 and count(Supplier) == 0
    assert count(StockMovement) == 0


def test_supplier_fields_are_checked(admin: User) -> None:
    with pytest.raises(ValidationError) as caught:
        suppliers.create_supplier(
            db.session,
            {"name": "", "phone": "12", "gstin": "27AAPFU0939F1ZX", "credit_days": "2,5",
             "opening_balance": "-1"},
            admin,
        )  # fmt: skip
    assert {"name", "phone", "gstin", "credit_days", "opening_balance"} <= set(caught.value.fields)
    good = new_supplier(admin, phone="98765 43210", gstin="27AAPFU0939F1ZV")
    assert (good.phone, good.state_code) == ("+919876543210", "27")
    with pytest.raises(Conflict):
        new_supplier(admin, name="metro wholesale")


def test_check_finds_a_corrupted_bill(admin: User) -> None:
    tea = make_product(db.session, name="Tea", opening_stock="0")
    p = receive(tea, "100.00", supplier="Metro", paid_now="0")
    suppliers.record_payment(db.session, p.supplier_id, {"amount": "40", "method": "cash"}, admin)
    assert run_checks(db.session).ok
    with write_transaction(db.session):
        db.session.execute(update(Purchase).values(paid=Purchase.paid + 1))
    problems = run_checks(db.session).problems
    assert any(p.startswith("purchase PUR-000001") for p in problems)
    assert any("open items less advances" in p for p in problems)
    assert count(SupplierAllocation) == 1


def test_archiving_needs_a_settled_account(admin: User) -> None:
    tea = make_product(db.session, name="Tea", opening_stock="0")
    s = new_supplier(admin)
    receive(tea, "100.00", supplier_id=s.id, paid_now="40")
    with pytest.raises(Conflict):
        suppliers.update_supplier(db.session, s.id, {"archived": True}, admin)
    suppliers.record_payment(db.session, s.id, {"amount": "60", "method": "upi"}, admin)
    assert suppliers.update_supplier(db.session, s.id, {"archived": True}, admin).archived
    with pytest.raises(Conflict):  # no new bills or payments for an archived supplier
        receive(tea, "1.00", supplier_id=s.id)
    assert suppliers.active_names(db.session) == []


# --- purchase returns (debit notes) --------------------------------------------------------


def test_a_debit_note_lowers_the_bill_and_the_stock(admin: User) -> None:
    from posapp.errors import InsufficientStock
    from posapp.models import DebitNote
    from posapp.services import debit_notes
    from posapp.services.settings import save_settings

    tea = make_product(db.session, name="Tea", opening_stock="0")
    s = new_supplier(admin)
    # 10 × ₹100.00 at 5 %: ₹1,000.00 + ₹25.00 CGST + ₹25.00 SGST = ₹1,050.00, all on credit.
    bill = inventory.receive_stock(
        db.session,
        {"supplier_id": s.id, "paid_now": "0",
         "lines": [{"code": tea.code, "quantity": "10", "unit_cost": "100", "tax_rate": "5"}]},
        admin.id,
    )  # fmt: skip
    assert bill.payable == 105_000
    line_id = bill.lines[0].id
    note = debit_notes.record_debit_note(
        db.session, bill.id, {"lines": {str(line_id): "2"}, "note": "Damaged packs"}, admin
    )
    assert (note.number, note.taxable, note.cgst, note.sgst, note.amount) == (
        "DN-000001", 20_000, 500, 500, 21_000,
    )  # fmt: skip
    assert suppliers.balance(db.session, s.id) == 84_000
    assert db.session.get(Product, tea.id).stock_milli == 8_000
    moved = db.session.scalars(select(StockMovement).order_by(StockMovement.id.desc())).first()
    assert (moved.reason, moved.delta_milli) == ("supplier_return", -2_000)
    # More than is left of the line: refused, nothing written.
    with pytest.raises(ValidationError):
        debit_notes.record_debit_note(db.session, bill.id, {"lines": {str(line_id): "9"}}, admin)
    for bad in ("2,5", "-1", "abc"):
        with pytest.raises(ValidationError):
            debit_notes.record_debit_note(db.session, bill.id, {"lines": {str(line_id): bad}},
                                          admin)  # fmt: skip
    assert count(DebitNote) == 1
    # Paid in full, then more goes back: the supplier owes the shop (an advance).
    suppliers.record_payment(db.session, s.id, {"amount": "840", "method": "bank"}, admin)
    debit_notes.record_debit_note(db.session, bill.id, {"lines": {str(line_id): "1"}}, admin)
    summary = suppliers.summary(db.session, s.id)
    assert (summary.balance, summary.advance, summary.open) == (-10_500, 10_500, [])
    kinds = [line.kind for line in suppliers.ledger_lines(db.session, s.id)]
    assert kinds.count("debit_note") == 2
    assert run_checks(db.session).ok
    # Stock the shop no longer has cannot go back, unless the shop allows negative stock.
    with write_transaction(db.session):
        db.session.execute(update(Product).values(stock_milli=0))
    with pytest.raises(InsufficientStock):
        debit_notes.record_debit_note(db.session, bill.id, {"lines": {str(line_id): "1"}}, admin)
    with write_transaction(db.session):
        save_settings(db.session, stock_policy="warn")
    debit_notes.record_debit_note(db.session, bill.id, {"lines": {str(line_id): "7"}}, admin)
    db.session.refresh(bill)
    assert bill.returned == bill.payable  # everything went back: the rounding settles exactly
