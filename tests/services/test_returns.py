"""Returns and voids: pro-rata credit notes, stock, refunds, the ledger; `check` stays green."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from posapp.errors import Conflict, Forbidden, ValidationError
from posapp.extensions import db
from posapp.models import (
    CreditNote,
    Invoice,
    LedgerEntry,
    Payment,
    PaymentAllocation,
    Product,
    StockMovement,
    User,
)
from posapp.services import checkout, invoices, ledger, returns
from posapp.services.integrity import run_checks
from posapp.services.pricing import BillDiscount, LineInput, price_cart
from tests.factories import make_customer, make_product, make_user


def sell(user: User, items: list[tuple[Product, object]], **extra: object) -> Invoice:
    payload: dict[str, object] = {
        "items": [{"product_id": p.id, "quantity": q} for p, q in items],
        **extra,
    }
    return checkout.checkout(db.session, checkout.parse_checkout(payload), user)


def give_back(invoice: Invoice, user: User, lines: list[tuple[int, object]], **extra: object):
    payload = {
        "lines": [{"line_id": lid, "quantity": q} for lid, q in lines],
        "refund_method": "cash",
        "restock": True,
        **extra,
    }
    return returns.create_return(db.session, invoice.id, payload, user)


def assert_checks_pass() -> None:
    report = run_checks(db.session)
    assert report.ok, report.problems


# ---------------------------------------------------------------- the pure rule


def _added(done: returns.ReturnedSoFar, qty: int, share: returns.ReturnShare):  # type: ignore[no-untyped-def]
    """What has come back of a line after one more part."""
    return returns.ReturnedSoFar(
        done.qty_milli + qty,
        done.taxable + share.taxable,
        done.tax + share.tax,
        done.cgst + share.cgst,
        done.sgst + share.sgst,
        done.igst + share.igst,
        done.cess + share.cess,
    )


@given(
    taxable=st.integers(0, 10**9),
    half=st.integers(0, 10**8),
    odd=st.integers(0, 1),
    igst=st.integers(0, 10**8),
    sold=st.integers(1, 10**6),
    data=st.data(),
)
def test_partial_returns_never_exceed_the_line_and_the_last_takes_the_rest(
    taxable: int, half: int, odd: int, igst: int, sold: int, data: st.DataObject
) -> None:
    # Equal halves (tax_rule 2), or a legacy line whose CGST took the odd paisa; IGST too,
    # though no real line has both: each head is priced on its own.
    line = returns.ReturnShare(taxable, cgst=half + odd, sgst=half, igst=igst)
    done = returns.ReturnedSoFar()
    while done.qty_milli < sold:
        qty = data.draw(st.integers(1, sold - done.qty_milli))
        share = returns.return_share(line, sold, done, qty)
        assert min(share.taxable, share.cgst, share.sgst, share.igst, share.cess) >= 0
        if not odd:
            assert share.cgst == share.sgst
        assert share.tax == share.cgst + share.sgst + share.igst + share.cess
        done = _added(done, qty, share)
        assert done.taxable <= taxable and done.tax <= line.tax
        assert done.cgst <= line.cgst and done.sgst <= line.sgst and done.igst <= line.igst
        if data.draw(st.booleans()) and done.qty_milli < sold:
            break
    if done.qty_milli == sold:
        assert (done.taxable, done.cgst, done.sgst, done.igst) == (
            taxable,
            line.cgst,
            line.sgst,
            igst,
        )


@given(
    prices=st.lists(st.integers(1, 100_000), min_size=1, max_size=5),
    rates=st.lists(st.sampled_from([0, 500, 1200, 1800, 2800]), min_size=5, max_size=5),
    qtys=st.lists(st.integers(1, 20), min_size=5, max_size=5),
    inclusive=st.booleans(),
    discount=st.integers(0, 50),
    split=st.sampled_from(["cgst_sgst", "igst", "none"]),
)
def test_returning_every_unit_gives_back_each_line_total_exactly(
    prices: list[int],
    rates: list[int],
    qtys: list[int],
    inclusive: bool,
    discount: int,
    split: str,
) -> None:
    lines = [
        LineInput(price, qty * 1000, rate, 0)
        for price, rate, qty in zip(prices, rates, qtys, strict=False)
    ]
    cart = price_cart(
        lines,
        BillDiscount(percent_bp=discount * 100),
        prices_include_tax=inclusive,
        tax_split=split,
    )
    for line, qty in zip(cart.lines, qtys, strict=False):
        done = returns.ReturnedSoFar()
        for _ in range(qty):
            share = returns.return_share(line, qty * 1000, done, 1000)
            assert share.cgst == share.sgst  # every priced line has equal halves
            done = _added(done, 1000, share)
            assert done.taxable + done.tax <= line.total
        assert done.taxable + done.tax == line.total
        assert (done.cgst, done.sgst, done.igst, done.tax) == (
            line.cgst,
            line.sgst,
            line.igst,
            line.tax,
        )


def test_a_partial_return_by_hand() -> None:
    # A line of 3 units: taxable 10000, CGST = SGST = 45 (tax 90). Return 1, then 1, then 1:
    #   taxable 10000/3 = 3333.3 -> 3333; 6666.7 -> 6667 less 3333 = 3334; the rest 3333
    #   half      45/3 = 15; 30 less 15 = 15; the rest 15: each note CGST 15 + SGST 15
    line = returns.ReturnShare(10000, cgst=45, sgst=45)
    done = returns.ReturnedSoFar()
    parts = []
    for _ in range(3):
        share = returns.return_share(line, 3000, done, 1000)
        parts.append((share.taxable, share.cgst, share.sgst, share.tax))
        done = _added(done, 1000, share)
    assert parts == [(3333, 15, 15, 30), (3334, 15, 15, 30), (3333, 15, 15, 30)]
    # An odd half: 5 over 2 units; half up gives 3 then the rest 2 (CGST = SGST each time).
    line = returns.ReturnShare(1000, cgst=5, sgst=5)
    first = returns.return_share(line, 2000, returns.ReturnedSoFar(), 1000)
    assert (first.cgst, first.sgst, first.tax) == (3, 3, 6)
    second = returns.return_share(line, 2000, _added(returns.ReturnedSoFar(), 1000, first), 1000)
    assert (second.cgst, second.sgst, second.tax) == (2, 2, 4)


def test_split_settlement_reduces_the_debt_first() -> None:
    assert returns.split_settlement(500, 300) == (300, 200)
    assert returns.split_settlement(200, 300) == (200, 0)
    assert returns.split_settlement(200, 0) == (0, 200)


# ---------------------------------------------------------------- returns


def test_partial_return_restocks_refunds_cash_and_numbers_the_note(app, admin) -> None:  # type: ignore[no-untyped-def]
    soap = make_product(db.session, admin.id, price="33.33", tax_rate="18", opening_stock="10")
    invoice = sell(admin, [(soap, 3)])
    line = invoice.lines[0]
    first = give_back(invoice, admin, [(line.id, 1)])
    assert first.number.startswith("CN") and first.number.endswith("-000001")
    assert first.total == first.refund and first.applied == 0
    assert first.lines[0].total <= line.total
    db.session.refresh(soap)
    assert soap.stock_milli == 8000
    refunds = db.session.scalars(select(Payment).where(Payment.credit_note_id == first.id)).all()
    assert [(p.method, p.amount) for p in refunds] == [("cash", -first.total)]

    second = give_back(invoice, admin, [(line.id, 2)])
    assert second.number.endswith("-000002")
    assert first.total + second.total == line.total == invoice.total
    refreshed = invoices.load_invoice(db.session, invoice.id)
    assert refreshed.status == "returned"
    assert refreshed.paid == 0 and refreshed.balance_due == 0
    assert_checks_pass()


def test_over_return_is_a_conflict_and_writes_nothing(app, admin) -> None:  # type: ignore[no-untyped-def]
    soap = make_product(db.session, admin.id, opening_stock="10")
    invoice = sell(admin, [(soap, 2)])
    give_back(invoice, admin, [(invoice.lines[0].id, 1)])
    with pytest.raises(Conflict) as caught:
        give_back(invoice, admin, [(invoice.lines[0].id, 2)])
    assert caught.value.code == "over_return"
    assert caught.value.details["returnable"] == "1"
    assert db.session.scalar(select(func.count()).select_from(CreditNote)) == 1
    assert_checks_pass()


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([], "lines"),
        ([("x", 1)], "lines.0.line_id"),
        ([(999, 1)], "lines.0.line_id"),
        ([(None, "1.5")], "lines.0.quantity"),
        ([(None, 0)], "lines.0.quantity"),
    ],
)
@pytest.mark.servers_first_case(
    "validation in Python; the first case shows a refused write leaves nothing"
)
def test_bad_return_requests_are_validation_errors(app, admin, lines, field) -> None:  # type: ignore[no-untyped-def]
    soap = make_product(db.session, admin.id)
    invoice = sell(admin, [(soap, 2)])
    real = [(invoice.lines[0].id if lid is None else lid, q) for lid, q in lines]
    with pytest.raises(ValidationError) as caught:
        give_back(invoice, admin, real)
    assert field in caught.value.fields
    assert db.session.scalar(select(func.count()).select_from(CreditNote)) == 0


def test_damaged_goods_are_not_restocked(app, admin) -> None:  # type: ignore[no-untyped-def]
    soap = make_product(db.session, admin.id, opening_stock="10")
    invoice = sell(admin, [(soap, 2)])
    note = give_back(invoice, admin, [(invoice.lines[0].id, 1)], restock=False)
    assert note.restock is False
    db.session.refresh(soap)
    assert soap.stock_milli == 8000
    assert not db.session.scalars(
        select(StockMovement).where(StockMovement.reason == "return")
    ).all()
    assert_checks_pass()


def test_return_on_a_credit_sale_reduces_what_is_owed_first(app, admin) -> None:  # type: ignore[no-untyped-def]
    customer = make_customer(db.session, admin, credit_limit="1000")
    rice = make_product(db.session, admin.id, price="100.00", opening_stock="10")
    invoice = sell(
        admin,
        [(rice, 3)],
        customer_id=customer.id,
        payments=[{"method": "cash", "amount": "100"}, {"method": "credit", "amount": "200"}],
    )
    assert ledger.balance(db.session, customer.id) == 20000
    note = give_back(invoice, admin, [(invoice.lines[0].id, 1)])
    assert (note.applied, note.refund) == (10000, 0)
    assert ledger.balance(db.session, customer.id) == 10000
    refreshed = invoices.load_invoice(db.session, invoice.id)
    assert refreshed.balance_due == 10000 and refreshed.status == "partial"
    # Two more units: 100 more clears the debt, the last 100 comes back in cash.
    note2 = give_back(invoice, admin, [(invoice.lines[0].id, 2)])
    assert (note2.applied, note2.refund) == (10000, 10000)
    assert ledger.balance(db.session, customer.id) == 0
    refreshed = invoices.load_invoice(db.session, invoice.id)
    assert refreshed.status == "returned" and refreshed.paid == 0
    assert_checks_pass()


def test_refund_to_credit_becomes_an_advance_for_the_next_credit_sale(app, admin) -> None:  # type: ignore[no-untyped-def]
    customer = make_customer(db.session, admin, credit_limit="1000")
    rice = make_product(db.session, admin.id, price="100.00", opening_stock="10")
    invoice = sell(admin, [(rice, 2)], customer_id=customer.id)
    note = give_back(invoice, admin, [(invoice.lines[0].id, 1)], refund_method="credit")
    assert note.refund == 10000
    assert ledger.balance(db.session, customer.id) == -10000
    entry = db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "return")).one()
    assert entry.amount == -10000 and entry.payment_id is not None
    later = sell(
        admin,
        [(rice, 1)],
        customer_id=customer.id,
        payments=[{"method": "credit", "amount": "100"}],
    )
    assert later.status == "paid"
    assert ledger.balance(db.session, customer.id) == 0
    assert_checks_pass()


def test_refund_to_credit_needs_a_customer(app, admin) -> None:  # type: ignore[no-untyped-def]
    soap = make_product(db.session, admin.id)
    invoice = sell(admin, [(soap, 1)])
    with pytest.raises(ValidationError) as caught:
        give_back(invoice, admin, [(invoice.lines[0].id, 1)], refund_method="credit")
    assert "refund_method" in caught.value.fields


def test_round_off_comes_back_with_the_last_part(app, admin) -> None:  # type: ignore[no-untyped-def]
    from posapp.models.base import write_transaction
    from posapp.services.settings import save_settings

    with write_transaction(db.session):
        save_settings(db.session, round_off=True)
    pen = make_product(db.session, admin.id, price="10.30", opening_stock="10")
    invoice = sell(admin, [(pen, 2)])
    assert invoice.round_off != 0
    first = give_back(invoice, admin, [(invoice.lines[0].id, 1)])
    second = give_back(invoice, admin, [(invoice.lines[0].id, 1)])
    assert first.round_off == 0 and second.round_off == invoice.round_off
    assert first.total + second.total == invoice.total
    assert_checks_pass()


def test_cashiers_return_only_their_own_invoices(app, admin) -> None:  # type: ignore[no-untyped-def]
    cashier = make_user(db.session, "cash1", "cashier")
    soap = make_product(db.session, admin.id)
    invoice = sell(admin, [(soap, 1)])
    with pytest.raises(Forbidden):
        give_back(invoice, cashier, [(invoice.lines[0].id, 1)])


# ---------------------------------------------------------------- voids


def test_void_restores_stock_reverses_credit_and_keeps_the_number(app, admin) -> None:  # type: ignore[no-untyped-def]
    customer = make_customer(db.session, admin, credit_limit="1000")
    rice = make_product(db.session, admin.id, price="100.00", opening_stock="10")
    invoice = sell(admin, [(rice, 2)], customer_id=customer.id)
    voided = returns.void_invoice(db.session, invoice.id, {"reason": "wrong customer"}, admin)
    assert voided.status == "void" and voided.void_reason == "wrong customer"
    assert voided.number == invoice.number
    db.session.refresh(rice)
    assert rice.stock_milli == 10000
    assert ledger.balance(db.session, customer.id) == 0
    with pytest.raises(Conflict):
        returns.void_invoice(db.session, invoice.id, {"reason": "again"}, admin)
    with pytest.raises(Conflict):
        give_back(voided, admin, [(voided.lines[0].id, 1)])
    assert_checks_pass()


def test_void_rules(app, admin) -> None:  # type: ignore[no-untyped-def]
    cashier = make_user(db.session, "cash1", "cashier")
    soap = make_product(db.session, admin.id)
    invoice = sell(cashier, [(soap, 2)])
    with pytest.raises(Forbidden):
        returns.void_invoice(db.session, invoice.id, {"reason": "x"}, cashier)
    with pytest.raises(ValidationError):
        returns.void_invoice(db.session, invoice.id, {"reason": "  "}, admin)
    give_back(invoice, cashier, [(invoice.lines[0].id, 1)])
    with pytest.raises(Conflict) as caught:
        returns.void_invoice(db.session, invoice.id, {"reason": "x"}, admin)
    assert caught.value.code == "has_returns"


def test_void_releases_what_an_account_payment_paid_as_an_advance(app, admin) -> None:  # type: ignore[no-untyped-def]
    customer = make_customer(db.session, admin, credit_limit="1000")
    rice = make_product(db.session, admin.id, price="100.00", opening_stock="10")
    invoice = sell(
        admin,
        [(rice, 1)],
        customer_id=customer.id,
        payments=[{"method": "credit", "amount": "100"}],
    )
    paid = ledger.record_payment(
        db.session, customer.id, {"amount": "100", "method": "cash"}, admin
    )
    assert [a.invoice_id for a in paid.allocations] == [invoice.id]
    assert ledger.balance(db.session, customer.id) == 0
    returns.void_invoice(db.session, invoice.id, {"reason": "wrong bill"}, admin)
    # The 100 paid is the customer's again: an advance, as a refund to credit would be.
    assert ledger.balance(db.session, customer.id) == -10000
    assert ledger.advance_money(db.session, customer.id) == [(paid.payment.id, 10000)]
    assert db.session.scalar(select(func.count()).select_from(PaymentAllocation)) == 0
    assert_checks_pass()
    # ...and it pays the next credit sale.
    later = sell(
        admin,
        [(rice, 1)],
        customer_id=customer.id,
        payments=[{"method": "credit", "amount": "100"}],
    )
    assert later.status == "paid"
    assert ledger.balance(db.session, customer.id) == 0
    assert_checks_pass()


def test_void_moves_released_money_to_the_customers_other_open_bill(app, admin) -> None:  # type: ignore[no-untyped-def]
    customer = make_customer(db.session, admin, credit_limit="1000")
    rice = make_product(db.session, admin.id, price="100.00", opening_stock="10")
    credit = [{"method": "credit", "amount": "100"}]
    first = sell(admin, [(rice, 1)], customer_id=customer.id, payments=credit)
    ledger.record_payment(db.session, customer.id, {"amount": "100", "method": "upi"}, admin)
    second = sell(admin, [(rice, 1)], customer_id=customer.id, payments=credit)
    returns.void_invoice(db.session, first.id, {"reason": "duplicate"}, admin)
    assert invoices.load_invoice(db.session, second.id).status == "paid"
    assert ledger.balance(db.session, customer.id) == 0
    assert_checks_pass()


def test_check_reports_an_allocation_left_on_a_void_invoice(app, admin) -> None:  # type: ignore[no-untyped-def]
    from posapp.models.base import write_transaction

    customer = make_customer(db.session, admin, credit_limit="1000")
    rice = make_product(db.session, admin.id, price="100.00", opening_stock="10")
    invoice = sell(
        admin,
        [(rice, 1)],
        customer_id=customer.id,
        payments=[{"method": "credit", "amount": "100"}],
    )
    paid = ledger.record_payment(
        db.session, customer.id, {"amount": "100", "method": "cash"}, admin
    )
    # What the old void did: the bill goes void, the allocation and the money stay on it.
    with write_transaction(db.session):
        row = db.session.get(Invoice, invoice.id)
        assert row is not None
        row.status = "void"
    problems = run_checks(db.session).problems
    assert any("still pays" in p and invoice.number in p for p in problems), problems
    assert paid.payment.id


def test_check_reports_a_customer_whose_allocations_disagree_with_the_ledger(app, admin) -> None:  # type: ignore[no-untyped-def]
    from posapp.models.base import write_transaction

    customer = make_customer(db.session, admin, credit_limit="1000")
    rice = make_product(db.session, admin.id, price="100.00", opening_stock="10")
    sell(
        admin,
        [(rice, 1)],
        customer_id=customer.id,
        payments=[{"method": "credit", "amount": "100"}],
    )
    ledger.record_payment(db.session, customer.id, {"amount": "100", "method": "cash"}, admin)
    assert_checks_pass()
    with write_transaction(db.session):
        db.session.execute(PaymentAllocation.__table__.delete())
    problems = run_checks(db.session).problems
    assert any("allocations disagree" in p for p in problems), problems


def test_a_return_dated_before_its_invoice_is_refused(app, admin) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from posapp.models.base import clock_at

    rice = make_product(db.session, admin.id, price="100.00", opening_stock="10")
    invoice = sell(admin, [(rice, 1)])
    with clock_at(invoice.created_at - timedelta(minutes=5)), pytest.raises(Conflict) as caught:
        give_back(invoice, admin, [(invoice.lines[0].id, 1)])
    assert caught.value.code == "before_invoice"
    assert db.session.scalar(select(func.count()).select_from(CreditNote)) == 0
    db.session.refresh(rice)
    assert rice.stock_milli == 9000


def test_check_reports_returns_and_payments_dated_before_their_invoice(app, admin) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from posapp.models.base import write_transaction

    customer = make_customer(db.session, admin, credit_limit="1000")
    rice = make_product(db.session, admin.id, price="100.00", opening_stock="10")
    invoice = sell(
        admin,
        [(rice, 2)],
        customer_id=customer.id,
        payments=[{"method": "credit", "amount": "200"}],
    )
    ledger.record_payment(db.session, customer.id, {"amount": "100", "method": "cash"}, admin)
    note = give_back(invoice, admin, [(invoice.lines[0].id, 1)])
    assert_checks_pass()
    earlier = invoice.created_at - timedelta(hours=1)
    with write_transaction(db.session):
        db.session.execute(CreditNote.__table__.update().values(created_at=earlier))
        db.session.execute(PaymentAllocation.__table__.update().values(created_at=earlier))
    problems = run_checks(db.session).problems
    assert any(f"credit note {note.number} is dated before" in p for p in problems), problems
    assert any("before it was sold" in p for p in problems), problems
