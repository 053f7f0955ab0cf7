"""Customer ledger: credit sales, limits, payments allocated oldest first, advances, aging."""

from __future__ import annotations

import random
import threading
from datetime import date, datetime, timedelta

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from posapp.errors import Conflict, CreditLimitExceeded, Forbidden, NotFound, ValidationError
from posapp.extensions import db
from posapp.models import (
    Customer,
    Invoice,
    LedgerEntry,
    Payment,
    PaymentAllocation,
    Product,
    User,
)
from posapp.models.base import utcnow, write_transaction
from posapp.services import checkout, customers, ledger, ledger_views
from posapp.services.approvals import ApprovalRequired
from posapp.services.integrity import run_checks
from tests.factories import make_customer, make_product


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def credit_sale(
    user: User, customer: Customer, product: Product, qty: int = 1, credit: str | None = None
) -> Invoice:
    """Sell qty units wholly on credit (or with a cash part when `credit` is less)."""
    total = product.price * qty
    credit_minor = total if credit is None else int(credit.replace(".", ""))
    payments = [{"method": "credit", "amount": f"{credit_minor / 100:.2f}"}]
    if credit_minor < total:
        payments.append({"method": "cash", "amount": f"{(total - credit_minor) / 100:.2f}"})
    return checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {
                "customer_id": customer.id,
                "items": [{"product_id": product.id, "quantity": qty}],
                "payments": payments,
            }
        ),
        user,
    )


def pay(user: User, customer: Customer, amount: str, method: str = "cash") -> ledger.PaymentResult:
    return ledger.record_payment(
        db.session, customer.id, {"amount": amount, "method": method}, user
    )


def fresh(invoice: Invoice) -> Invoice:
    db.session.expire_all()
    return db.session.get(Invoice, invoice.id)


# ---------------------------------------------------------------- pure rules


def test_invoice_status_follows_paid() -> None:
    assert ledger.invoice_status(1000, 1000) == "paid"
    assert ledger.invoice_status(1000, 1) == "partial"
    assert ledger.invoice_status(1000, 0) == "unpaid"
    assert ledger.invoice_status(0, 0) == "paid"


def test_allocation_goes_oldest_first() -> None:
    invoices = [(1, 500), (2, 300), (3, 200)]
    assert ledger.plan_allocation(600, invoices) == ([(1, 500), (2, 100)], 0)
    assert ledger.plan_allocation(1000, invoices) == ([(1, 500), (2, 300), (3, 200)], 0)
    assert ledger.plan_allocation(1200, invoices) == ([(1, 500), (2, 300), (3, 200)], 200)
    assert ledger.plan_allocation(100, []) == ([], 100)


@given(
    amount=st.integers(min_value=0, max_value=10**9),
    dues=st.lists(st.integers(min_value=0, max_value=10**8), max_size=30),
)
def test_allocation_never_exceeds_a_balance_and_accounts_for_every_paisa(
    amount: int, dues: list[int]
) -> None:
    open_invoices = list(enumerate(dues, start=1))
    parts, advance = ledger.plan_allocation(amount, open_invoices)
    due_by_id = dict(open_invoices)
    assert sum(a for _, a in parts) + advance == amount
    assert all(0 < a <= due_by_id[i] for i, a in parts)
    assert len({i for i, _ in parts}) == len(parts)
    # Oldest first: every invoice before the last one touched is paid in full.
    touched = [i for i, _ in parts]
    if touched:
        for i, due in open_invoices:
            if i < touched[-1] and due > 0:
                assert dict(parts)[i] == due
    # Advance only when everything open is settled.
    if advance:
        assert sum(a for _, a in parts) == sum(dues)


@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=200), st.integers(-(10**6), 10**6)),
        max_size=40,
    )
)
def test_aging_adds_up_to_what_is_owed(raw: list[tuple[int, int]]) -> None:
    today = date(2026, 11, 23)
    now = datetime(2026, 11, 23, 6, 0)
    entries = [(now - timedelta(days=days), amount) for days, amount in raw]
    buckets = ledger.age_buckets(ledger.open_debits(entries), today)
    assert sum(buckets.values()) == max(0, sum(a for _, a in entries))
    assert all(v >= 0 for v in buckets.values())


def test_aging_applies_credits_to_the_oldest_debits() -> None:
    now = datetime(2026, 11, 23, 6, 0)
    entries = [
        (now - timedelta(days=100), 1000),
        (now - timedelta(days=70), 500),
        (now - timedelta(days=40), 300),
        (now - timedelta(days=5), 200),
        (now - timedelta(days=2), -1200),
    ]
    buckets = ledger.age_buckets(ledger.open_debits(entries), date(2026, 11, 23))
    assert buckets == {"0_30": 200, "31_60": 300, "61_90": 300, "90_plus": 0}


# ---------------------------------------------------------------- credit at the till


def test_credit_part_is_a_ledger_debit_not_a_payment(admin: User) -> None:
    customer = make_customer(db.session, admin, credit_limit="1000")
    product = make_product(db.session, price="100.00")
    invoice = credit_sale(admin, customer, product, qty=3, credit="200.00")
    assert invoice.customer_id == customer.id
    assert invoice.total == 30000
    assert invoice.paid == 10000
    assert invoice.balance_due == 20000
    assert invoice.status == "partial"
    assert [(p.method, p.amount) for p in invoice.payments] == [("cash", 10000)]
    entry = db.session.scalar(select(LedgerEntry).where(LedgerEntry.invoice_id == invoice.id))
    assert (entry.kind, entry.amount, entry.customer_id) == ("credit_sale", 20000, customer.id)
    assert ledger.balance(db.session, customer.id) == 20000
    whole = credit_sale(admin, customer, product)
    assert (whole.paid, whole.status) == (0, "unpaid")
    assert run_checks(db.session).ok


def test_cash_sale_to_a_customer_writes_no_ledger_entry(admin: User) -> None:
    customer = make_customer(db.session, admin)
    product = make_product(db.session, price="50.00")
    invoice = checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {"customer_id": customer.id, "items": [{"product_id": product.id, "quantity": 1}]}
        ),
        admin,
    )
    assert invoice.status == "paid" and invoice.customer_id == customer.id
    assert count(LedgerEntry) == 0


@pytest.mark.parametrize(
    ("payload_extra", "field"),
    [
        ({"payments": [{"method": "credit", "amount": "10"}]}, "customer_id"),
        ({"customer_id": 999, "payments": [{"method": "credit", "amount": "10"}]}, "customer_id"),
        ({"customer_id": 999}, "customer_id"),
        ({"customer_id": "7"}, "customer_id"),
    ],
)
@pytest.mark.servers_first_case(
    "validation in Python; the first case shows a refused write leaves nothing"
)
def test_credit_needs_a_real_customer(admin: User, payload_extra: dict, field: str) -> None:
    product = make_product(db.session, price="10.00", opening_stock="5")
    with pytest.raises(ValidationError) as info:
        checkout.checkout(
            db.session,
            checkout.parse_checkout({"items": [{"product_id": product.id}], **payload_extra}),
            admin,
        )
    assert field in info.value.fields
    assert count(Invoice) == 0


def test_archived_customers_cannot_buy_on_the_bill(admin: User) -> None:
    customer = make_customer(db.session, admin)
    customers.update_customer(db.session, customer.id, {"archived": True}, admin)
    product = make_product(db.session)
    with pytest.raises(ValidationError) as info:
        checkout.checkout(
            db.session,
            checkout.parse_checkout(
                {"customer_id": customer.id, "items": [{"product_id": product.id}]}
            ),
            admin,
        )
    assert "customer_id" in info.value.fields


def test_credit_and_card_together_cannot_exceed_the_total(admin: User) -> None:
    customer = make_customer(db.session, admin, credit_limit="1000")
    product = make_product(db.session, price="100.00")
    with pytest.raises(ValidationError) as info:
        checkout.checkout(
            db.session,
            checkout.parse_checkout(
                {
                    "customer_id": customer.id,
                    "items": [{"product_id": product.id}],
                    "payments": [
                        {"method": "credit", "amount": "80"},
                        {"method": "card", "amount": "30"},
                    ],
                }
            ),
            admin,
        )
    assert "payments" in info.value.fields


def test_split_tender_of_all_four_methods_with_change(admin: User) -> None:
    customer = make_customer(db.session, admin, credit_limit="1000")
    product = make_product(db.session, price="100.00")
    invoice = checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {
                "customer_id": customer.id,
                "items": [{"product_id": product.id, "quantity": 4}],
                "payments": [
                    {"method": "card", "amount": "100"},
                    {"method": "upi", "amount": "100"},
                    {"method": "credit", "amount": "150"},
                    {"method": "cash", "amount": "100"},
                ],
            }
        ),
        admin,
    )
    assert invoice.change == 5000
    assert invoice.tendered == 10000
    assert invoice.paid == 25000
    assert invoice.balance_due == 15000
    assert sorted((p.method, p.amount) for p in invoice.payments) == [
        ("card", 10000),
        ("cash", 5000),
        ("upi", 10000),
    ]
    assert ledger.balance(db.session, customer.id) == 15000


def test_over_the_limit_asks_for_approval_and_writes_nothing(admin: User, cashier: User) -> None:
    customer = make_customer(db.session, admin, credit_limit="250")
    product = make_product(db.session, price="100.00", opening_stock="10")
    credit_sale(admin, customer, product, qty=2)
    invoices_before, entries_before = count(Invoice), count(LedgerEntry)
    with pytest.raises(ApprovalRequired) as info:
        credit_sale(cashier, customer, product, qty=1)
    assert info.value.status == 409
    assert info.value.code == "approval_required"
    [reason] = info.value.details["reasons"]
    assert reason["code"] == "credit_limit" and "250.00" in reason["message"]
    with pytest.raises(CreditLimitExceeded) as direct:
        ledger.check_credit(db.session, customer, 10000)
    assert direct.value.details == {
        "customer_id": customer.id,
        "limit": "250.00",
        "balance": "200.00",
        "requested": "100.00",
        "available": "50.00",
    }
    assert (count(Invoice), count(LedgerEntry)) == (invoices_before, entries_before)
    db.session.expire_all()
    assert db.session.get(Product, product.id).stock_milli == 8000
    # Up to the limit exactly is fine; an admin may raise it.
    credit_sale(admin, customer, product, qty=1, credit="50.00")
    customers.update_customer(db.session, customer.id, {"credit_limit": "400"}, admin)
    credit_sale(admin, customer, product, qty=1)
    assert ledger.balance(db.session, customer.id) == 35000
    assert run_checks(db.session).ok


def test_zero_limit_means_no_credit(admin: User, cashier: User) -> None:
    customer = make_customer(db.session, admin)
    product = make_product(db.session, price="10.00")
    with pytest.raises(ApprovalRequired) as info:
        credit_sale(cashier, customer, product)
    # Never the words of "no limit": a 0 limit is the opposite.
    assert "credit limit ₹0.00 — no credit allowed" in info.value.message
    assert "no credit limit" not in info.value.message
    assert count(Invoice) == 0


# ---------------------------------------------------------------- payments on account


def test_payment_settles_the_oldest_invoices_first(admin: User) -> None:
    customer = make_customer(db.session, admin, credit_limit="10000")
    product = make_product(db.session, price="100.00")
    first = credit_sale(admin, customer, product, qty=5)  # 500
    second = credit_sale(admin, customer, product, qty=3)  # 300
    third = credit_sale(admin, customer, product, qty=2)  # 200
    result = pay(admin, customer, "650")
    assert [(a.invoice_id, a.amount) for a in result.allocations] == [
        (first.id, 50000),
        (second.id, 15000),
    ]
    assert result.advance == 0
    assert result.balance == 35000
    assert result.numbers == {first.id: first.number, second.id: second.number}
    assert (fresh(first).status, fresh(first).paid) == ("paid", 50000)
    assert (fresh(second).status, fresh(second).balance_due) == ("partial", 15000)
    assert (fresh(third).status, fresh(third).balance_due) == ("unpaid", 20000)
    exact = pay(admin, customer, "350", "upi")
    assert [(a.invoice_id, a.amount) for a in exact.allocations] == [
        (second.id, 15000),
        (third.id, 20000),
    ]
    assert (exact.advance, exact.balance) == (0, 0)
    assert fresh(third).status == "paid"
    payment = db.session.get(Payment, exact.payment.id)
    assert (payment.customer_id, payment.invoice_id, payment.method) == (customer.id, None, "upi")
    assert run_checks(db.session).ok


def test_overpayment_is_an_advance_the_next_credit_sale_uses(admin: User) -> None:
    customer = make_customer(db.session, admin, credit_limit="1000")
    product = make_product(db.session, price="100.00")
    first = credit_sale(admin, customer, product, qty=2)  # 200
    result = pay(admin, customer, "500")
    assert result.advance == 30000
    assert result.balance == -30000
    assert fresh(first).status == "paid"
    # The next credit sale of 200 is paid from the advance at once.
    second = credit_sale(admin, customer, product, qty=2)
    assert (second.paid, second.status, second.balance_due) == (20000, "paid", 0)
    assert [(a.payment_id, a.amount) for a in second.allocations] == [(result.payment.id, 20000)]
    # 100 of advance is left; a credit sale of 300 uses it and owes 200.
    third = credit_sale(admin, customer, product, qty=3)
    assert (third.paid, third.status, third.balance_due) == (10000, "partial", 20000)
    assert ledger.balance(db.session, customer.id) == 20000
    assert ledger.advance_money(db.session, customer.id) == []
    assert run_checks(db.session).ok


def test_advance_also_covers_credit_beyond_the_limit_of_zero(admin: User, cashier: User) -> None:
    customer = make_customer(db.session, admin)  # limit 0
    product = make_product(db.session, price="100.00")
    pay(admin, customer, "150")
    invoice = credit_sale(admin, customer, product)
    assert invoice.status == "paid"
    with pytest.raises(ApprovalRequired):
        credit_sale(cashier, customer, product)  # only 50 advance left


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"amount": "0", "method": "cash"}, "amount"),
        ({"amount": "-5", "method": "cash"}, "amount"),
        ({"amount": "1.005", "method": "cash"}, "amount"),
        ({"amount": "10", "method": "credit"}, "method"),
        ({"amount": "10"}, "method"),
        ({"amount": "10", "method": "cash", "note": "x" * 201}, "note"),
        ({"method": "upi"}, "amount"),
    ],
)
@pytest.mark.servers_first_case(
    "validation in Python; the first case shows a refused write leaves nothing"
)
def test_bad_payments_are_field_errors_and_write_nothing(
    admin: User, payload: dict, field: str
) -> None:
    customer = make_customer(db.session, admin)
    with pytest.raises(ValidationError) as info:
        ledger.record_payment(db.session, customer.id, payload, admin)
    assert field in info.value.fields
    assert count(Payment) == 0 and count(LedgerEntry) == 0


def test_payments_need_a_known_active_customer(admin: User) -> None:
    with pytest.raises(NotFound):
        ledger.record_payment(db.session, 999, {"amount": "1", "method": "cash"}, admin)
    customer = make_customer(db.session, admin)
    customers.update_customer(db.session, customer.id, {"archived": True}, admin)
    with pytest.raises(Conflict):
        pay(admin, customer, "10")


# ---------------------------------------------------------------- adjustments, history


def test_adjustments_are_admin_only_with_a_reason(admin: User, cashier: User) -> None:
    customer = make_customer(db.session, admin, opening_balance="300")
    with pytest.raises(Forbidden):
        ledger.add_adjustment(db.session, customer.id, {"amount": "-50", "reason": "x"}, cashier)
    with pytest.raises(ValidationError) as info:
        ledger.add_adjustment(db.session, customer.id, {"amount": "-50", "reason": " "}, admin)
    assert "reason" in info.value.fields
    entry = ledger.add_adjustment(
        db.session, customer.id, {"amount": "-50.00", "reason": "Damaged goods"}, admin
    )
    assert (entry.kind, entry.amount, entry.note) == ("adjustment", -5000, "Damaged goods")
    assert ledger.balance(db.session, customer.id) == 25000


def test_ledger_entries_are_immutable(admin: User) -> None:
    customer = make_customer(db.session, admin, opening_balance="10")
    entry = db.session.scalar(select(LedgerEntry))
    with pytest.raises(RuntimeError, match="immutable"), write_transaction(db.session):
        entry.amount = 0
    db.session.expire_all()
    entry = db.session.scalar(select(LedgerEntry))
    with pytest.raises(RuntimeError, match="immutable"), write_transaction(db.session):
        db.session.delete(entry)
    assert ledger.balance(db.session, customer.id) == 1000


def test_ledger_pages_carry_the_running_balance(admin: User) -> None:
    customer = make_customer(db.session, admin, opening_balance="100", credit_limit="10000")
    product = make_product(db.session, price="10.00")
    for _ in range(4):
        credit_sale(admin, customer, product)
    pay(admin, customer, "25")
    lines, total = ledger_views.ledger_page(db.session, customer.id, page=1, per_page=3)
    assert total == 6
    assert [(line.entry.kind, line.running) for line in lines] == [
        ("opening", 10000),
        ("credit_sale", 11000),
        ("credit_sale", 12000),
    ]
    assert lines[1].invoice_number is not None and lines[1].username == "admin"
    lines, _ = ledger_views.ledger_page(db.session, customer.id, page=2, per_page=3)
    assert [line.running for line in lines] == [13000, 14000, 11500]
    lines, _ = ledger_views.ledger_page(
        db.session, customer.id, page=1, per_page=2, newest_first=True
    )
    assert [(line.entry.kind, line.running) for line in lines] == [
        ("payment", 11500),
        ("credit_sale", 14000),
    ]


def _backdate(customer: Customer, days: int, amount: int, user: User) -> None:
    """Insert an old ledger entry (as an import from a paper khata would)."""
    with write_transaction(db.session):
        db.session.add(
            LedgerEntry(
                customer_id=customer.id,
                kind="opening",
                amount=amount,
                user_id=user.id,
                created_at=utcnow() - timedelta(days=days),
            )
        )


def test_aging_dues_and_statement(admin: User) -> None:
    old = make_customer(db.session, admin, name="Old debt")
    big = make_customer(db.session, admin, name="Big debt")
    even = make_customer(db.session, admin, name="Settled")
    _backdate(old, 95, 10000, admin)
    _backdate(old, 45, 5000, admin)
    _backdate(big, 3, 90000, admin)
    _backdate(even, 50, 7000, admin)
    pay(admin, even, "70")
    assert ledger_views.aging(db.session, old.id) == {
        "0_30": 0,
        "31_60": 5000,
        "61_90": 0,
        "90_plus": 10000,
    }
    by_amount = ledger_views.dues(db.session, "amount")
    assert [r.customer.id for r in by_amount.rows] == [big.id, old.id]
    assert (by_amount.total, by_amount.over_30, by_amount.over_30_count) == (105000, 15000, 1)
    by_age = ledger_views.dues(db.session, "age")
    assert [r.customer.id for r in by_age.rows] == [old.id, big.id]
    assert by_age.rows[0].age_days(ledger.local_today()) in (94, 95, 96)
    assert ledger_views.overdue_count(db.session) == 1
    with pytest.raises(ValidationError):
        ledger_views.dues(db.session, "name")
    # A payment settles the oldest debt first: the 95-day item goes, the 45-day one stays.
    pay(admin, old, "100")
    assert ledger_views.aging(db.session, old.id)["90_plus"] == 0
    assert ledger_views.dues(db.session, "age").rows[0].customer.id == old.id
    today = ledger.local_today()
    stmt = ledger_views.statement(db.session, old, today - timedelta(days=60), today)
    assert stmt.opening == 10000
    assert [(line.entry.kind, line.running) for line in stmt.lines] == [
        ("opening", 15000),
        ("payment", 5000),
    ]
    assert stmt.closing == 5000
    with pytest.raises(ValidationError):
        ledger_views.statement(db.session, old, today, today - timedelta(days=1))


def test_check_reports_a_broken_invariant(admin: User) -> None:
    customer = make_customer(db.session, admin, credit_limit="1000")
    product = make_product(db.session, price="100.00")
    invoice = credit_sale(admin, customer, product)
    pay(admin, customer, "40")
    assert run_checks(db.session).ok
    with write_transaction(db.session):
        db.session.execute(update(Invoice).where(Invoice.id == invoice.id).values(paid=5000))
    problems = run_checks(db.session).problems
    assert any("payments and allocations" in p for p in problems)


# ---------------------------------------------------------------- concurrency


def test_concurrent_payments_and_credit_sales_keep_the_ledger_exact(
    app: Flask, admin: User, cashier: User
) -> None:
    """Six tills sell on credit and take payments for one customer at once (file database)."""
    customer = make_customer(db.session, admin, credit_limit="500")
    product = make_product(db.session, price="70.00", opening_stock="1000")
    # A cashier sells (an admin's own sale would be its own approval over the limit).
    customer_id, product_id, user_id, seller_id = customer.id, product.id, admin.id, cashier.id
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(6)
    peak: list[int] = []

    def till(seed: int) -> None:
        rng = random.Random(seed)
        with app.app_context():
            user = db.session.get(User, user_id)
            seller = db.session.get(User, seller_id)
            start.wait()
            for _ in range(12):
                try:
                    if rng.random() < 0.7:
                        checkout.checkout(
                            db.session,
                            checkout.parse_checkout(
                                {
                                    "customer_id": customer_id,
                                    "items": [{"product_id": product_id, "quantity": 1}],
                                    "payments": [{"method": "credit", "amount": "70"}],
                                }
                            ),
                            seller,
                        )
                        outcome = "sale"
                    else:
                        ledger.record_payment(
                            db.session,
                            customer_id,
                            {"amount": f"{rng.randint(1, 120)}.50", "method": "upi"},
                            user,
                        )
                        outcome = "payment"
                except ApprovalRequired:
                    outcome = "refused"
                db.session.rollback()
                current = ledger.balance(db.session, customer_id)
                with lock:
                    outcomes.append(outcome)
                    peak.append(current)
            db.session.remove()

    threads = [threading.Thread(target=till, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 72
    assert outcomes.count("sale") > 0 and outcomes.count("refused") > 0
    db.session.rollback()
    balance = ledger.balance(db.session, customer_id)
    assert balance <= 50000 and max(peak) <= 50000
    sales = count(Invoice)
    assert sales == outcomes.count("sale")
    paid_in = db.session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(Payment.customer_id.is_not(None))
    )
    assert balance == sales * 7000 - paid_in
    allocated = db.session.scalar(select(func.coalesce(func.sum(PaymentAllocation.amount), 0)))
    invoice_paid = db.session.scalar(select(func.sum(Invoice.paid)))
    assert allocated == invoice_paid
    assert run_checks(db.session).ok
