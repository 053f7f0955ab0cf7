"""The daily sales summary: kept by checkout, taken back by a void, rebuilt, checked."""

from __future__ import annotations

from sqlalchemy import select

from posapp.extensions import db
from posapp.models import DailySales, User
from posapp.models.base import write_transaction
from posapp.services import summaries
from posapp.services.integrity import run_checks
from tests.sales_data import seed


def test_checkout_keeps_the_summary_and_a_void_takes_its_bill_out(
    admin: User, cashier: User
) -> None:
    shop = seed(db.session, admin, cashier)
    assert (shop.a.total, shop.b.total, shop.c.total, shop.d.total) == (21000, 4950, 5600, 6300)
    assert [line.taxable for line in shop.a.lines] == [14286, 5084]
    assert [line.taxable for line in shop.b.lines] == [1906, 2410]
    [row] = db.session.scalars(select(DailySales)).all()
    assert (row.invoices, row.sales, row.net, row.tax, row.cost) == (3, 31550, 28686, 2864, 22175)
    assert row.discount == 1050
    assert (row.cash, row.card, row.upi, row.credit) == (23600, 4950, 0, 3000)
    assert list(summaries.differences(db.session)) == []
    assert run_checks(db.session).ok


def test_rebuild_restores_a_damaged_summary_and_check_notices(admin: User, cashier: User) -> None:
    seed(db.session, admin, cashier)
    with write_transaction(db.session):
        row = db.session.scalars(select(DailySales)).one()
        row.sales += 1
    report = run_checks(db.session)
    assert any(p.startswith("daily_sales") and "sales" in p for p in report.problems)
    with write_transaction(db.session):
        assert summaries.rebuild(db.session) == 1
    assert run_checks(db.session).ok
    assert db.session.scalars(select(DailySales)).one().sales == 31550


def test_the_rebuild_command(admin: User, cashier: User, app) -> None:  # type: ignore[no-untyped-def]
    seed(db.session, admin, cashier)
    with write_transaction(db.session):
        db.session.execute(DailySales.__table__.delete())
    runner = app.test_cli_runner()
    from posapp.cli import main

    result = runner.invoke(
        main, ["--data-dir", app.config["DATA_DIR"], "rebuild-summaries"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "summary: 1 day." in result.output
    db.session.expire_all()
    assert db.session.scalars(select(DailySales)).one().invoices == 3


def test_returns_and_voids_leave_the_day_they_happen(admin: User) -> None:
    """A return takes its money off its day (cash refund off cash); a void takes the bill out."""
    from posapp.services import checkout, returns
    from tests.factories import make_product

    tea = make_product(db.session, admin.id, name="Tea 250g", price="120.00", cost="90.00")
    sold = checkout.checkout(
        db.session,
        checkout.parse_checkout({"items": [{"product_id": tea.id, "quantity": 3}]}),
        admin,
    )
    other = checkout.checkout(
        db.session,
        checkout.parse_checkout({"items": [{"product_id": tea.id, "quantity": 1}]}),
        admin,
    )
    (day,) = db.session.scalars(select(DailySales)).all()
    assert (day.invoices, day.sales, day.cash, day.cost) == (2, 48000, 48000, 36000)

    payload = {"lines": [{"line_id": sold.lines[0].id, "quantity": 1}], "refund_method": "cash"}
    note = returns.create_return(db.session, sold.id, {**payload, "restock": True}, admin)
    db.session.refresh(day)
    assert note.total == 12000
    assert (day.invoices, day.sales, day.cash, day.cost) == (2, 36000, 36000, 27000)

    returns.void_invoice(db.session, other.id, {"reason": "Rang up twice"}, admin)
    db.session.refresh(day)
    assert (day.invoices, day.sales, day.cash, day.cost) == (1, 24000, 24000, 18000)
    assert list(summaries.differences(db.session)) == []
    assert run_checks(db.session).ok
