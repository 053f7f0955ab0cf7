"""Stock reports: valuation, movements, dead stock, reorder suggestions, CSV rows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.models import StockMovement, User
from posapp.models.base import to_local, utcnow, write_transaction
from posapp.services import checkout, report_framework, reports
from tests.factories import make_product


def test_stock_on_hand_values_at_cost_and_price(admin: User) -> None:
    make_product(
        db.session, name="Rice", unit="kg", price="60", cost="45.50", opening_stock="2.500"
    )
    make_product(db.session, name="Soap", price="30", cost="20", opening_stock="3")
    report = reports.stock_on_hand(db.session)
    assert report.totals == {"Value at cost": 11375 + 6000, "Value at price": 15000 + 9000}
    rows = list(report_framework.report_rows(report))
    assert rows[1][:4] == [rows[1][0], "Rice", "", "2.500"]
    assert rows[-1][0] == "Total" and rows[-1][5] == "173.75"


def test_movements_dead_stock_and_reorder(admin: User) -> None:
    tea = make_product(db.session, name="Tea", opening_stock="20", low_stock_threshold="15")
    make_product(db.session, name="Old Stock", opening_stock="4", cost="10")
    for _ in range(3):
        checkout.checkout(
            db.session,
            checkout.parse_checkout({"items": [{"product_id": tea.id, "quantity": 2}]}),
            admin,
        )
    today = to_local(utcnow()).date()
    report = reports.movements(db.session, today, today, "sale")
    assert [r[2] for r in report.rows] == ["Tea", "Tea", "Tea"]
    assert (
        reports.movements(db.session, today - timedelta(days=9), today - timedelta(days=1)).rows
        == []
    )
    dead = reports.dead_stock(db.session, 60)
    assert [r[1] for r in dead.rows] == ["Old Stock"] and dead.totals["Value at cost"] == 4000
    assert reports.dead_stock_count(db.session, 60) == 1  # the dashboard's number agrees
    # a sale 90 days ago still counts as dead after 60 days
    with write_transaction(db.session):
        for m in db.session.query(StockMovement).filter_by(product_id=tea.id, reason="sale"):
            m.created_at = utcnow() - timedelta(days=90)
    assert {r[1] for r in reports.dead_stock(db.session, 60).rows} == {"Old Stock", "Tea"}
    assert reports.dead_stock_count(db.session, 60) == 2
    assert reports.dead_stock_count(db.session, 120) == 1  # within 120 days Tea did sell
    with write_transaction(db.session):
        for m in db.session.query(StockMovement).filter_by(product_id=tea.id, reason="sale"):
            m.created_at = utcnow() - timedelta(days=1)
    reorder = reports.reorder_suggestions(db.session)
    titles = [c for c, _ in reorder.columns]
    row = next(dict(zip(titles, r, strict=True)) for r in reorder.rows if r[1] == "Tea")
    assert row["Avg daily sales (30 d)"] == (200, "pcs")  # 6 sold / 30 days
    assert row["Days of cover"] == "70.0"  # 14 / 0.2
    assert row["Suggested order"] == (7000, "pcs")  # 6 + 15 - 14


def _stock_reports() -> dict[str, object]:
    today = to_local(utcnow()).date()
    return {
        "stock": lambda **kw: reports.stock_on_hand(db.session, **kw),
        "movements": lambda **kw: reports.movements(db.session, today, today, **kw),
        "dead": lambda **kw: reports.dead_stock(db.session, 30, **kw),
        "reorder": lambda **kw: reports.reorder_suggestions(db.session, **kw),
    }


@pytest.mark.parametrize("name", ["stock", "movements", "dead", "reorder"])
def test_catalog_long_reports_page_and_stream_the_same_rows(admin: User, name: str) -> None:
    for i, name_ in enumerate(["Salt", "Atta", "Dal", "Ghee"]):
        make_product(
            db.session, name=name_, cost=f"{i + 1}.25", opening_stock=f"{i + 1}.5",
            unit="kg", low_stock_threshold="9",
        )  # fmt: skip
    build = _stock_reports()[name]
    whole = build()  # type: ignore[operator]
    assert len(whole.rows) == 4 and whole.count is None
    page = build(limit=3)  # type: ignore[operator]
    assert page.rows == whole.rows[:3]
    assert page.row_count == 4 and page.totals == whole.totals
    streamed = build(stream=True)  # type: ignore[operator]
    assert not isinstance(streamed.rows, list)
    assert list(report_framework.report_rows(streamed)) == list(report_framework.report_rows(whole))


def test_bad_ranges_are_refused() -> None:
    with pytest.raises(ValidationError):
        report_framework.parse_range("2026-13-01", None)
    with pytest.raises(ValidationError):
        report_framework.parse_range("2026-02-01", "2026-01-01")
