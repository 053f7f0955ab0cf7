"""Cash sessions: float, cash in and out, blind count, the required setting, voids, Z-report."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posapp.documents.z_report_pdf import render_z_report_pdf
from posapp.errors import Conflict, NotFound, ValidationError
from posapp.extensions import db
from posapp.models import Invoice, Product, User
from posapp.services import cash_sessions, checkout, ledger, returns
from posapp.services.integrity import run_checks
from posapp.services.settings import load_settings, save_settings
from tests.factories import make_customer, make_product, make_user
from tests.services.test_invoice_pdf import pdf_text


def sell(user: User, product: Product, qty: object = 1, payments: list | None = None) -> Invoice:
    payload: dict[str, object] = {"items": [{"product_id": product.id, "quantity": qty}]}
    if payments is not None:
        payload["payments"] = payments
    return checkout.checkout(db.session, checkout.parse_checkout(payload), user)


def open_drawer(user: User, opening: str = "500.00") -> int:
    return cash_sessions.open_session(db.session, {"opening_float": opening}, user).id


@pytest.fixture
def product(app: Flask, admin: User) -> Product:
    return make_product(db.session, admin.id, price="100.00", opening_stock="1000")


def test_expected_cash_adds_float_sales_net_of_change_refunds_and_movements(
    admin: User, cashier: User, product: Product
) -> None:
    sid = open_drawer(cashier, "500.00")
    sell(cashier, product, 1, [{"method": "cash", "amount": "150.00"}])  # 50 change
    sell(cashier, product, 2, [{"method": "card", "amount": "200.00"}])
    sold = sell(cashier, product, 1)  # cash 100
    returns.create_return(
        db.session,
        sold.id,
        {"lines": [{"line_id": sold.lines[0].id, "quantity": 1}], "refund_method": "cash"},
        cashier,
    )
    cash_sessions.add_movement(
        db.session, sid, {"kind": "pay_in", "amount": "20.00", "reason": "change"}, cashier
    )
    cash_sessions.add_movement(
        db.session, sid, {"kind": "pay_out", "amount": "30.00", "reason": "tea"}, cashier
    )
    customer = make_customer(db.session, admin, credit_limit="1000.00")
    credit = checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {
                "items": [{"product_id": product.id, "quantity": 1}],
                "customer_id": customer.id,
                "payments": [{"method": "credit", "amount": "100.00"}],
            }
        ),
        cashier,
    )
    ledger.record_payment(db.session, customer.id, {"amount": "40.00", "method": "cash"}, cashier)
    # 500 float + 100 + 100 - 100 refund + 20 - 30 + 40 on account
    assert cash_sessions.expected_cash(db.session, sid) == 63000
    assert credit.cash_session_id == sid

    closed = cash_sessions.close_session(db.session, sid, {"counted": "625.00"}, cashier)
    assert (closed.counted, closed.expected, closed.over_short) == (62500, 63000, -500)
    assert closed.closed_by_id == cashier.id
    report = cash_sessions.z_report(db.session, closed)
    assert report.methods == {"card": 20000, "cash": 14000}
    assert report.sales_count == 4 and report.sales_total == 50000
    assert report.returns_count == 1 and report.returns_total == 10000
    assert run_checks(db.session).ok, run_checks(db.session).problems


def test_blind_count_by_denomination(cashier: User, product: Product) -> None:
    sid = open_drawer(cashier, "0")
    sell(cashier, product, 3)
    closed = cash_sessions.close_session(
        db.session,
        sid,
        {"mode": "denominations", "d200": "1", "d50": "2", "d1": "3", "coins": "1.50"},
        cashier,
    )
    assert closed.counted == 30450
    assert closed.over_short == 450  # 304.50 counted, 300.00 expected
    assert json.loads(closed.denominations or "{}") == {"200": 1, "50": 2, "1": 3, "coins": 150}


@pytest.mark.parametrize(
    "payload",
    [
        {"counted": "abc"},
        {"counted": "-1"},
        {"mode": "denominations", "d500": "x"},
        {"mode": "denominations", "d500": "-2"},
    ],
)
@pytest.mark.servers_first_case(
    "validation in Python; the first case shows a refused write leaves nothing"
)
def test_bad_counts_are_refused_and_session_stays_open(cashier: User, payload: dict) -> None:
    sid = open_drawer(cashier)
    with pytest.raises(ValidationError):
        cash_sessions.close_session(db.session, sid, payload, cashier)
    assert cash_sessions.open_session_id(db.session, cashier.id) == sid


def test_one_open_session_per_user_and_validation(admin: User, cashier: User) -> None:
    sid = open_drawer(cashier)
    with pytest.raises(Conflict):
        open_drawer(cashier)
    open_drawer(admin)  # another user may open their own
    with pytest.raises(ValidationError):
        cash_sessions.open_session(
            db.session, {"opening_float": "-5"}, make_user(db.session, "c2", "cashier")
        )
    for bad in (
        {"kind": "pay_in", "amount": "0", "reason": "x"},
        {"kind": "pay_in", "amount": "5", "reason": "  "},
        {"kind": "steal", "amount": "5", "reason": "x"},
    ):
        with pytest.raises(ValidationError):
            cash_sessions.add_movement(db.session, sid, bad, cashier)
    other = make_user(db.session, "c3", "cashier")
    with pytest.raises(NotFound):
        cash_sessions.add_movement(
            db.session, sid, {"kind": "pay_in", "amount": "5", "reason": "x"}, other
        )
    cash_sessions.close_session(db.session, sid, {"counted": "500"}, cashier)
    with pytest.raises(Conflict):
        cash_sessions.close_session(db.session, sid, {"counted": "500"}, cashier)
    open_drawer(cashier)  # a new shift after closing


def test_required_setting_refuses_cash_without_a_session(
    admin: User, cashier: User, product: Product
) -> None:
    save_settings(db.session, cash_session_required=True)
    db.session.commit()
    assert load_settings(db.session).cash_session_required
    with pytest.raises(Conflict) as refused:
        sell(cashier, product, 1)
    assert refused.value.status == 409
    assert "Open the cash drawer session first" in refused.value.message
    card = sell(cashier, product, 1, [{"method": "card", "amount": "100.00"}])
    assert card.cash_session_id is None
    with pytest.raises(Conflict):
        returns.create_return(
            db.session,
            card.id,
            {"lines": [{"line_id": card.lines[0].id, "quantity": 1}], "refund_method": "cash"},
            cashier,
        )
    sid = open_drawer(cashier)
    assert sell(cashier, product, 1).cash_session_id == sid


def test_void_only_within_the_open_session(admin: User, cashier: User, product: Product) -> None:
    sid = open_drawer(cashier)
    first = sell(cashier, product, 1)
    second = sell(cashier, product, 1)
    returns.void_invoice(db.session, first.id, {"reason": "mistake"}, admin)
    report = cash_sessions.z_report(db.session, cash_sessions.load_session(db.session, sid, admin))
    assert (report.voids_count, report.voids_total) == (1, 10000)
    # the voided sale's cash went back: only the second sale is in the drawer
    assert cash_sessions.expected_cash(db.session, sid) == 50000 + 10000
    cash_sessions.close_session(db.session, sid, {"counted": "600"}, cashier)
    with pytest.raises(Conflict) as refused:
        returns.void_invoice(db.session, second.id, {"reason": "late"}, admin)
    assert refused.value.code == "session_closed"
    outside = sell(cashier, product, 1)  # no session: today's sale may still be voided
    returns.void_invoice(db.session, outside.id, {"reason": "today"}, admin)


def test_z_report_figures_and_pdf(admin: User, cashier: User) -> None:
    plain = make_product(db.session, admin.id, price="100.00")
    taxed = make_product(db.session, admin.id, price="105.00", tax_rate="5")
    sid = open_drawer(cashier, "100.00")
    a = sell(cashier, plain, 1)
    sell(cashier, taxed, 2, [{"method": "upi", "amount": "210.00"}])
    b = sell(cashier, plain, 1)
    returns.void_invoice(db.session, b.id, {"reason": "dup"}, admin)
    cash_sessions.add_movement(
        db.session, sid, {"kind": "pay_out", "amount": "10.00", "reason": "Milk & <sugar>"}, cashier
    )
    cash = cash_sessions.close_session(db.session, sid, {"counted": "190.00"}, cashier)
    report = cash_sessions.z_report(db.session, cash)
    assert (report.sales_count, report.sales_total) == (2, 31000)
    assert (report.voids_count, report.voids_total) == (1, 10000)
    assert [(t.rate_bp, t.taxable, t.tax) for t in report.taxes] == [
        (0, 10000, 0),
        (500, 20000, 1000),
    ]
    assert report.methods == {"cash": 10000, "upi": 21000}
    assert (report.pay_ins, report.pay_outs) == (0, 1000)
    assert report.first_invoice == a.number and report.last_invoice == b.number
    assert (cash.expected, cash.over_short) == (19000, 0)
    pdf = render_z_report_pdf(report, load_settings(db.session))
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Z-REPORT" in text and a.number in text and "Milk & <sugar>" in text
    assert "190.00" in text


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    opening=st.integers(0, 100_000),
    sales=st.lists(st.tuples(st.integers(1, 3), st.integers(0, 5_000)), max_size=4),
    moves=st.lists(
        st.tuples(st.sampled_from(["pay_in", "pay_out"]), st.integers(1, 9_999)), max_size=4
    ),
)
def test_expected_cash_property(
    app: Flask, product: Product, opening: int, sales: list, moves: list
) -> None:
    user = make_user(db.session, f"p{db.session.query(User).count()}", "cashier")
    sid = open_drawer(user, f"{opening / 100:.2f}")
    want = opening
    for qty, extra in sales:
        due = qty * 10000
        sell(user, product, qty, [{"method": "cash", "amount": f"{(due + extra) / 100:.2f}"}])
        want += due  # change never stays in the drawer
    for kind, amount in moves:
        cash_sessions.add_movement(
            db.session, sid, {"kind": kind, "amount": f"{amount / 100:.2f}", "reason": "r"}, user
        )
        want += amount if kind == "pay_in" else -amount
    assert cash_sessions.expected_cash(db.session, sid) == want
    closed = cash_sessions.close_session(db.session, sid, {"counted": "0"}, user)
    assert closed.over_short == -want


def test_sessions_report_per_session_figures(admin: User, cashier: User, product: Product) -> None:
    from datetime import timedelta

    from posapp.services.ledger import local_today

    sid = open_drawer(cashier, "500.00")
    sell(cashier, product, 2)  # 200.00 cash
    sell(cashier, product, 1, [{"method": "card", "amount": "100.00"}])
    voided = sell(cashier, product, 1)  # 100.00 cash, then voided: counts nowhere
    returns.void_invoice(db.session, voided.id, {"reason": "mistake"}, admin)
    cash_sessions.add_movement(
        db.session, sid, {"kind": "pay_out", "amount": "50", "reason": "milk"}, cashier
    )
    # expected 500 + 200 - 50 = 650.00; counted 640.00: 10.00 short
    cash_sessions.close_session(db.session, sid, {"counted": "640.00"}, cashier)
    open_drawer(admin, "100.00")
    sell(admin, product, 1, [{"method": "upi", "amount": "100.00"}])

    today = local_today()
    report = cash_sessions.sessions_report(db.session, today, today)
    titles = [title for title, _ in report.columns]
    rows = [dict(zip(titles, row, strict=True)) for row in report.rows]
    closed, still_open = rows
    assert closed["Opened by"] == "cashier" and closed["Closed by"] == "cashier"
    assert (closed["Float"], closed["Expected"], closed["Counted"], closed["Over/short"]) == (
        50000,
        65000,
        64000,
        -1000,
    )
    assert (closed["Bills"], closed["Sales"]) == (2, 30000)
    assert (closed["Cash"], closed["Card"], closed["UPI"]) == (20000, 10000, 0)
    # An open session shows what its drawer should hold now, and nothing counted yet.
    assert still_open["Closed"] is None and still_open["Closed by"] == "(open)"
    assert (still_open["Float"], still_open["Expected"], still_open["Counted"]) == (
        10000,
        10000,
        None,
    )
    assert (still_open["Bills"], still_open["UPI"]) == (1, 10000)
    assert report.totals["Over/short"] == -1000 and report.totals["Sales"] == 40000
    assert report.totals["Counted"] == 64000 and "Expected" not in report.totals
    # Sessions opened outside the range are not listed.
    yesterday = today - timedelta(days=1)
    assert cash_sessions.sessions_report(db.session, yesterday, yesterday).rows == []


def test_closing_a_drawer_anchors_the_audit_log_and_the_z_report_names_its_entry(
    cashier: User,
) -> None:
    from sqlalchemy import func, select

    from posapp.models import AuditLog
    from posapp.services import audit

    sid = open_drawer(cashier)
    closed = cash_sessions.close_session(db.session, sid, {"counted": "500.00"}, cashier)
    entry_id, digest = db.session.execute(
        select(AuditLog.id, AuditLog.hash).where(AuditLog.action == "cash_session.close")
    ).one()
    seal = audit.seal_of(db.session)
    assert seal is not None
    anchor, problem = seal.read()
    assert problem is None and anchor is not None
    assert (anchor.last_id, anchor.hash) == (entry_id, digest)
    assert anchor.count == db.session.scalar(select(func.count()).select_from(AuditLog))
    report = cash_sessions.z_report(db.session, closed)
    assert (report.audit_entry, report.audit_hash) == (entry_id, digest)
