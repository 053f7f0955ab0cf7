"""The sales side of the books: every sale, void, return, payment on account and khata entry
posts its entry in the event's own transaction, with amounts worked out by hand here.

After each event: receivable equals the customers' khata (per customer and in total), the
inventory account equals the stock's book value, every entry balances (`books_checks`).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.models import (
    Customer,
    Invoice,
    JournalEntry,
    JournalLine,
    LedgerEntry,
    Payment,
    Product,
    User,
)
from posapp.models.base import write_transaction
from posapp.services import (
    books,
    books_checks,
    books_sales,
    checkout,
    customers,
    ledger,
    returns,
)
from posapp.services.approvals import ApprovalRequired
from posapp.services.settings import save_settings
from tests.factories import make_customer, make_product


def sell(
    user: User, items: list[tuple[Product, str]], payments: list[tuple[str, str]], **extra: Any
) -> Invoice:
    return checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {
                "items": [{"product_id": p.id, "quantity": q} for p, q in items],
                "payments": [{"method": m, "amount": a} for m, a in payments],
                **extra,
            }
        ),
        user,
    )


def posted(kind: str, source_id: int) -> dict[Any, int]:
    """The one entry an event posted, as {system key (or (key, customer)): debit - credit}."""
    entries = books.entries_of(db.session, kind, source_id)
    assert len(entries) == 1, f"{kind} {source_id}: {len(entries)} entries"
    keys = {v: k for k, v in books.system_ids(db.session).items()}
    found: dict[Any, int] = {}
    for line in db.session.scalars(
        select(JournalLine).where(JournalLine.entry_id == entries[0].id)
    ):
        key: Any = keys[line.account_id]
        if line.customer_id is not None:
            key = (key, line.customer_id)
        found[key] = found.get(key, 0) + line.debit - line.credit
    return found


def entry_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(JournalEntry)) or 0)


def stock_value(product: Product) -> int:
    return int(db.session.scalar(select(Product.stock_value).where(Product.id == product.id)))


def assert_books_agree() -> None:
    """Receivable = the khata (each customer and in total), inventory = Σ stock value, every
    entry balances and every event posted once (the books' part of `app.py check`)."""
    db.session.expire_all()
    customer_ids = list(db.session.scalars(select(Customer.id)))
    khata = ledger.balances(db.session, customer_ids)
    assert books.balance(db.session, "receivable") == sum(khata.values())
    for customer_id, owed in khata.items():
        assert books.balance(db.session, "receivable", customer_id=customer_id) == owed
    total_value = db.session.scalar(select(func.coalesce(func.sum(Product.stock_value), 0)))
    assert books.balance(db.session, "inventory") == total_value
    _checked, problems = books_checks.check_problems(db.session)
    assert problems == []


@pytest.fixture
def goods(admin: User) -> tuple[Product, Product]:
    """Prices include tax: A 105.00 at 5 % (cost 80.00), B 118.00 at 18 % (cost 70.00)."""
    a = make_product(
        db.session, name="Atta", price="105.00", tax_rate="5", cost="80.00", opening_stock="50"
    )
    b = make_product(
        db.session, name="Biscuits", price="118.00", tax_rate="18", cost="70.00", opening_stock="50"
    )
    return a, b


def test_a_cash_sale_in_two_tax_rates(admin: User, goods: tuple[Product, Product]) -> None:
    a, b = goods
    value_a, value_b = stock_value(a), stock_value(b)
    invoice = sell(admin, [(a, "2"), (b, "1")], [("cash", "500")])
    # 2 × 105 = 210 = 200 + 5 + 5; 118 = 100 + 9 + 9; change is not money received.
    assert posted("sale", invoice.id) == {
        "cash": 32800,
        "sales": -30000,
        "output_cgst": -1400,
        "output_sgst": -1400,
        "cogs": 2 * 8000 + 7000,
        "inventory": -23000,
    }
    entry = books.entries_of(db.session, "sale", invoice.id)[0]
    assert entry.reference == invoice.number and entry.user_id == admin.id
    assert entry.day == books.business_day(invoice.created_at)
    assert stock_value(a) == value_a - 16000 and stock_value(b) == value_b - 7000
    assert_books_agree()


def test_prices_without_tax_a_bill_discount_round_off_and_a_split_tender(admin: User) -> None:
    with write_transaction(db.session):
        save_settings(db.session, prices_include_tax=False, round_off=True)
    c = make_product(db.session, name="Chai", price="100.00", tax_rate="12", cost="60.00")
    invoice = sell(admin, [(c, "3")], [("cash", "200"), ("upi", "125")], discount="10")
    # 300 - 10 = 290 taxable; 12 % = 34.80 (17.40 + 17.40); 324.80 rounds to 325.00.
    assert (invoice.total, invoice.round_off) == (32500, 20)
    assert posted("sale", invoice.id) == {
        "cash": 20000,
        "bank": 12500,
        "sales": -29000,
        "output_cgst": -1740,
        "output_sgst": -1740,
        "round_off": -20,
        "cogs": 18000,
        "inventory": -18000,
    }
    assert_books_agree()


def test_a_credit_sale_paid_in_two_parts_later(admin: User, goods: tuple[Product, Product]) -> None:
    _a, b = goods
    customer = make_customer(db.session, admin, credit_limit="1000")
    invoice = sell(admin, [(b, "2")], [("credit", "236")], customer_id=customer.id)
    assert posted("sale", invoice.id) == {
        ("receivable", customer.id): 23600,
        "sales": -20000,
        "output_cgst": -1800,
        "output_sgst": -1800,
        "cogs": 14000,
        "inventory": -14000,
    }
    assert_books_agree()
    first = ledger.record_payment(
        db.session, customer.id, {"amount": "100", "method": "cash"}, admin
    )
    assert posted("payment", first.payment.id) == {
        "cash": 10000,
        ("receivable", customer.id): -10000,
    }
    assert_books_agree()
    second = ledger.record_payment(
        db.session, customer.id, {"amount": "136", "method": "upi"}, admin
    )
    assert posted("payment", second.payment.id) == {
        "bank": 13600,
        ("receivable", customer.id): -13600,
    }
    assert books.balance(db.session, "receivable", customer_id=customer.id) == 0
    assert_books_agree()


def test_part_cash_part_credit_sale(admin: User, goods: tuple[Product, Product]) -> None:
    a, _b = goods
    customer = make_customer(db.session, admin, credit_limit="1000")
    invoice = sell(admin, [(a, "1")], [("cash", "5"), ("credit", "100")], customer_id=customer.id)
    assert posted("sale", invoice.id) == {
        "cash": 500,
        ("receivable", customer.id): 10000,
        "sales": -10000,
        "output_cgst": -250,
        "output_sgst": -250,
        "cogs": 8000,
        "inventory": -8000,
    }
    assert_books_agree()


def test_a_return_to_cash_restocked(admin: User, goods: tuple[Product, Product]) -> None:
    a, b = goods
    invoice = sell(admin, [(a, "2"), (b, "1")], [("cash", "328")])
    before = stock_value(a)
    line = next(line for line in invoice.lines if line.product_id == a.id)
    note = returns.create_return(
        db.session,
        invoice.id,
        {
            "lines": [{"line_id": line.id, "quantity": "1"}],
            "refund_method": "cash",
            "restock": True,
        },
        admin,
    )
    assert posted("return", note.id) == {
        "sales_returns": 10000,
        "output_cgst": 250,
        "output_sgst": 250,
        "cash": -10500,
        "inventory": 8000,
        "cogs": -8000,
    }
    assert stock_value(a) == before + 8000
    assert_books_agree()


def test_a_return_off_the_dues_not_restocked(admin: User, goods: tuple[Product, Product]) -> None:
    _a, b = goods
    customer = make_customer(db.session, admin, credit_limit="1000")
    invoice = sell(admin, [(b, "2")], [("credit", "236")], customer_id=customer.id)
    before = stock_value(b)
    note = returns.create_return(
        db.session,
        invoice.id,
        {
            "lines": [{"line_id": invoice.lines[0].id, "quantity": "1"}],
            "refund_method": "cash",
            "restock": False,
        },
        admin,
    )
    assert (note.applied, note.refund) == (11800, 0)
    assert posted("return", note.id) == {
        "sales_returns": 10000,
        "output_cgst": 900,
        "output_sgst": 900,
        ("receivable", customer.id): -11800,
    }
    assert stock_value(b) == before  # damaged goods stay out of stock and out of the books
    assert_books_agree()


def test_a_full_return_of_a_paid_bill_to_store_credit(admin: User) -> None:
    with write_transaction(db.session):
        save_settings(db.session, round_off=True)
    d = make_product(db.session, name="Dal", price="99.60", tax_rate="0", cost="50.00")
    customer = make_customer(db.session, admin, credit_limit="1000")
    invoice = sell(admin, [(d, "1")], [("cash", "100")], customer_id=customer.id)
    assert invoice.round_off == 40
    note = returns.create_return(
        db.session,
        invoice.id,
        {
            "lines": [{"line_id": invoice.lines[0].id, "quantity": "1"}],
            "refund_method": "credit",
            "restock": True,
        },
        admin,
    )
    # The whole bill came back, so its round-off does too; the money goes on account.
    assert (note.total, note.refund, note.round_off) == (10000, 10000, 40)
    assert posted("return", note.id) == {
        "sales_returns": 9960,
        "round_off": 40,
        ("receivable", customer.id): -10000,
        "inventory": 5000,
        "cogs": -5000,
    }
    assert books.balance(db.session, "receivable", customer_id=customer.id) == -10000
    assert_books_agree()


def test_a_void_reverses_the_sale_and_puts_the_value_back(
    admin: User, goods: tuple[Product, Product]
) -> None:
    a, b = goods
    customer = make_customer(db.session, admin, credit_limit="1000")
    values = stock_value(a), stock_value(b)
    invoice = sell(
        admin, [(a, "1"), (b, "1")], [("upi", "23"), ("credit", "200")], customer_id=customer.id
    )
    paid = ledger.record_payment(db.session, customer.id, {"amount": "50", "method": "cash"}, admin)
    sale = posted("sale", invoice.id)
    returns.void_invoice(db.session, invoice.id, {"reason": "Wrong customer"}, admin)
    assert posted("void", invoice.id) == {key: -amount for key, amount in sale.items()}
    void = books.entries_of(db.session, "void", invoice.id)[0]
    assert void.reverses_id == books.entries_of(db.session, "sale", invoice.id)[0].id
    assert (stock_value(a), stock_value(b)) == values
    # The 50 paid on account is the customer's advance now: their payment's entry stands.
    assert posted("payment", paid.payment.id) == {"cash": 5000, ("receivable", customer.id): -5000}
    assert books.balance(db.session, "receivable", customer_id=customer.id) == -5000
    assert_books_agree()


def test_opening_balance_and_adjustments_of_the_khata(admin: User) -> None:
    customer = customers.create_customer(
        db.session, {"name": "Old friend", "phone": "9876500001", "opening_balance": "500"}, admin
    )
    opening = db.session.scalar(select(LedgerEntry).where(LedgerEntry.kind == "opening"))
    assert posted("ledger", opening.id) == {("receivable", customer.id): 50000, "opening": -50000}
    lower = ledger.add_adjustment(
        db.session, customer.id, {"amount": "-100", "reason": "Settled"}, admin
    )
    assert posted("ledger", lower.id) == {"discounts": 10000, ("receivable", customer.id): -10000}
    raise_ = ledger.add_adjustment(
        db.session, customer.id, {"amount": "25.50", "reason": "Missed"}, admin
    )
    assert posted("ledger", raise_.id) == {("receivable", customer.id): 2550, "discounts": -2550}
    assert books.balance(db.session, "receivable", customer_id=customer.id) == 42550
    assert_books_agree()


def test_a_refused_sale_writes_no_entry(
    cashier: User, admin: User, goods: tuple[Product, Product]
) -> None:
    a, _b = goods
    scarce = make_product(db.session, name="Scarce", price="10.00", cost="5.00", opening_stock="1")
    before, value = entry_count(), stock_value(scarce)
    with pytest.raises(ApprovalRequired):
        sell(cashier, [(scarce, "2")], [("cash", "20")])
    with pytest.raises(ValidationError):
        sell(cashier, [(a, "1")], [("card", "500")])  # card may not exceed the total
    with pytest.raises(ValidationError):
        sell(cashier, [(a, "1")], [("credit", "105")])  # credit without a customer
    assert entry_count() == before and stock_value(scarce) == value
    assert_books_agree()


def test_the_rules_replay_from_stored_rows_alone(
    admin: User, goods: tuple[Product, Product]
) -> None:
    """What the lead's history replay relies on: posting a stored sale again (in a throwaway
    transaction) gives the very lines the till posted."""
    a, b = goods
    customer = make_customer(db.session, admin, credit_limit="1000")
    invoice = sell(
        admin, [(a, "1"), (b, "3")], [("cash", "100"), ("credit", "359")], customer_id=customer.id
    )
    live = posted("sale", invoice.id)
    db.session.expire_all()
    stored = db.session.get(Invoice, invoice.id)
    assert stored is not None
    again = books_sales.post_sale(db.session, stored)  # in the session's own transaction
    assert again is not None
    keys = {v: k for k, v in books.system_ids(db.session).items()}
    replayed: dict[Any, int] = {}
    for line in db.session.scalars(select(JournalLine).where(JournalLine.entry_id == again)):
        key: Any = keys[line.account_id]
        key = (key, line.customer_id) if line.customer_id else key
        replayed[key] = replayed.get(key, 0) + line.debit - line.credit
    db.session.rollback()
    assert replayed == live
    # Payments that are not on account post nothing of their own.
    tender = db.session.scalars(select(Payment).where(Payment.invoice_id == invoice.id)).first()
    assert tender is not None and books_sales.post_customer_payment(db.session, tender) is None


_tender_methods = st.sampled_from(["cash", "upi", "card", "credit"])


@settings(
    max_examples=25,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    cart=st.lists(
        st.tuples(st.integers(0, 4), st.integers(1000, 5000), st.integers(0, 30)),
        min_size=1,
        max_size=5,
    ),
    bill_discount=st.integers(0, 20),
    include_tax=st.booleans(),
    round_off=st.booleans(),
    split=st.lists(st.tuples(_tender_methods, st.integers(1, 100)), min_size=1, max_size=3),
)
def test_any_cart_posts_a_balanced_entry_that_settles_its_total(
    app: Flask,
    cart: list[tuple[int, int, int]],
    bill_discount: int,
    include_tax: bool,
    round_off: bool,
    split: list[tuple[str, int]],
) -> None:
    admin = db.session.scalar(select(User).where(User.username == "prop-admin"))
    if admin is None:
        from tests.factories import make_user

        admin = make_user(db.session, "prop-admin", "admin")
        rates = ["0", "5", "12", "18", "28"]
        for i, rate in enumerate(rates):
            make_product(
                db.session,
                name=f"Prop {rate}",
                code=f"PROP{i}",
                price=f"{37 + i * 19}.{i}5",
                tax_rate=rate,
                cost=f"{20 + i}.33",
                unit="kg",
                opening_stock="100000",
            )
        make_customer(
            db.session, admin, name="Prop customer", phone="9876512345", credit_limit="10000000"
        )
    customer = db.session.scalar(select(Customer).where(Customer.name == "Prop customer"))
    assert customer is not None
    with write_transaction(db.session):
        save_settings(db.session, prices_include_tax=include_tax, round_off=round_off)
    products = {
        p.code: p for p in db.session.scalars(select(Product).where(Product.code.like("PROP%")))
    }
    items = [
        {
            "product_id": products[f"PROP{i}"].id,
            "quantity": f"{qty / 1000:.3f}",
            **({"discount": f"0.{disc:02d}"} if disc else {}),
        }
        for i, qty, disc in cart
    ]
    request = {"items": items, "customer_id": customer.id}
    if bill_discount:
        request["discount"] = f"{bill_discount}%"
    total = checkout.preview(db.session, checkout.parse_checkout(request)).priced.total
    # Split the total over the tenders in the drawn proportions; the last one takes the rest.
    weights = sum(w for _m, w in split)
    tenders: list[tuple[str, int]] = []
    left = total
    for n, (method, weight) in enumerate(split):
        amount = left if n == len(split) - 1 else total * weight // weights
        left -= amount
        tenders.append((method, amount))
    merged: dict[str, int] = {}
    for method, amount in tenders:
        merged[method] = merged.get(method, 0) + amount
    request["payments"] = [
        {"method": m, "amount": f"{a // 100}.{a % 100:02d}"} for m, a in merged.items() if a
    ]
    invoice = checkout.checkout(db.session, checkout.parse_checkout(request), admin)
    lines = posted("sale", invoice.id)
    assert sum(lines.values()) == 0  # balanced
    received = sum(
        amount
        for key, amount in lines.items()
        if key in ("cash", "bank") or (isinstance(key, tuple) and key[0] == "receivable")
    )
    assert received == invoice.total
    assert lines.get(("receivable", customer.id), 0) == merged.get("credit", 0)
    assert -lines.get("sales", 0) == sum(line.taxable for line in invoice.lines)
    assert_books_agree()
