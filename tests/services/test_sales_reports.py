"""Sales, profit and tax reports against the hand-computed shop of tests/sales_data.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.models import User
from posapp.services import expenses, report_framework, sales_reports
from posapp.services.ledger import local_today
from tests.sales_data import give_back, seed


@pytest.fixture
def shop(admin: User, cashier: User):  # type: ignore[no-untyped-def]
    return seed(db.session, admin, cashier)


def _by_first(report: report_framework.Report) -> dict[str, list]:  # type: ignore[type-arg]
    return {row[0]: row[1:] for row in report.rows}


def test_sales_by_day_month_and_method(shop) -> None:  # type: ignore[no-untyped-def]
    today = local_today()
    day = sales_reports.sales_by_day(db.session, today, today)
    assert day.rows == [[today, 3, 31550, 1050, 2861, 28689, 22175, 6514]]
    month = sales_reports.sales_by_month(db.session, today, today)
    assert month.rows == [[today.strftime("%Y-%m"), 3, 31550, 1050, 2861, 28689, 22175, 6514]]
    method = _by_first(sales_reports.sales_by_method(db.session, today, today))
    assert method == {"cash": [23600], "card": [4950], "upi": [0], "credit": [3000]}


def test_sales_by_product_category_and_cashier(shop) -> None:  # type: ignore[no-untyped-def]
    today = local_today()
    product = sales_reports.sales_by_product(db.session, today, today)
    assert [row[1:] for row in product.rows] == [
        ["Rice", (2500, "kg"), 15000, 14286, 11375, 2911],
        ["Pen", (8000, "pcs"), 8300, 7411, 4800, 2611],
        ["Soap", (3000, "pcs"), 8250, 6992, 6000, 992],
    ]
    assert product.totals["Sales"] == 31550 and product.totals["Gross profit"] == 6514
    category = _by_first(sales_reports.sales_by_category(db.session, today, today))
    assert category == {
        "Grocery": [1, 15000, 14286, 11375, 2911],
        "Uncategorised": [1, 8300, 7411, 4800, 2611],
        "Personal care": [1, 8250, 6992, 6000, 992],
    }
    cashier = _by_first(sales_reports.sales_by_cashier(db.session, today, today))
    assert cashier == {"admin": [2, 26600, 0], "cashier": [1, 4950, 1050]}


def test_profit_and_loss_with_expenses(shop, admin: User) -> None:  # type: ignore[no-untyped-def]
    today = local_today()
    expenses.add_expense(
        db.session, {"day": today.isoformat(), "category": "rent", "amount": "40.00"}, admin.id
    )
    pnl = _by_first(sales_reports.profit_and_loss(db.session, today, today))
    assert pnl["Sales (bill totals)"] == [31550, "109.97"]
    assert pnl["less tax collected"] == [2861, "9.97"]
    assert pnl["Revenue (net of tax)"] == [28689, "100.00"]
    assert pnl["Cost of goods sold"] == [22175, "77.29"]
    assert pnl["Gross profit"] == [6514, "22.71"]  # the margin
    assert pnl["Expense: rent"] == [4000, "13.94"]
    assert pnl["Net profit"] == [2514, "8.76"]
    assert pnl["Voided bills (1, not counted above)"] == [6300, ""]


def test_tax_by_rate(shop) -> None:  # type: ignore[no-untyped-def]
    today = local_today()
    tax = sales_reports.tax_by_rate(db.session, today, today)
    # CGST takes the odd paisa bill by bill: 18 %: 915 -> 458 + 343 -> 172; 12 %: 289 -> 145 + 300
    assert tax.rows == [
        ["5.00", 14286, 714, 357, 357],
        ["12.00", 7411, 889, 445, 444],
        ["18.00", 6992, 1258, 630, 628],
    ]
    assert tax.totals == {"Taxable value": 28689, "Tax": 2861, "CGST": 1432, "SGST": 1429}


def test_bad_expenses_and_ranges_are_refused(admin: User) -> None:
    with pytest.raises(ValidationError) as caught:
        expenses.add_expense(
            db.session, {"day": "soon", "category": "yachts", "amount": "1.234"}, admin.id
        )
    assert set(caught.value.fields) == {"day", "category", "amount"}
    with pytest.raises(ValidationError):
        report_framework.parse_range("2026-02-01", "2026-01-01")


def test_returns_come_off_every_report_on_the_day_they_are_made(shop, admin: User) -> None:  # type: ignore[no-untyped-def]
    give_back(db.session, shop, admin)
    today = local_today()
    # Day figures: 31550 - 6000 - 900 sales; net 28689 - 5714 - 804; tax 2861 - 286 - 96;
    # cost 22175 - 4550 (only the restocked rice); discounts and bill count do not change.
    day = sales_reports.sales_by_day(db.session, today, today)
    assert day.rows == [[today, 3, 24650, 1050, 2479, 22171, 17625, 4546]]
    method = _by_first(sales_reports.sales_by_method(db.session, today, today))
    assert method == {"cash": [16700], "card": [4950], "upi": [0], "credit": [3000]}

    product = sales_reports.sales_by_product(db.session, today, today)
    assert [row[1:] for row in product.rows] == [
        ["Rice", (1500, "kg"), 9000, 8572, 6825, 1747],
        ["Soap", (3000, "pcs"), 8250, 6992, 6000, 992],
        ["Pen", (7000, "pcs"), 7400, 6607, 4800, 1807],
    ]
    # The line reports and the daily summary tell the same story.
    assert product.totals["Sales"] == 24650 and product.totals["Net of tax"] == 22171
    assert product.totals["Cost of goods"] == 17625 and product.totals["Gross profit"] == 4546
    category = _by_first(sales_reports.sales_by_category(db.session, today, today))
    assert category == {
        "Grocery": [1, 9000, 8572, 6825, 1747],
        "Personal care": [1, 8250, 6992, 6000, 992],
        "Uncategorised": [1, 7400, 6607, 4800, 1807],
    }

    # Tax: the notes' halves are taken note by note (5 %: 286 -> 143; 12 %: 96 -> 48).
    tax = sales_reports.tax_by_rate(db.session, today, today)
    assert tax.rows == [
        ["5.00", 8572, 428, 214, 214],
        ["12.00", 6607, 793, 397, 396],
        ["18.00", 6992, 1258, 630, 628],
    ]
    assert tax.totals == {"Taxable value": 22171, "Tax": 2479, "CGST": 1241, "SGST": 1238}

    pnl = _by_first(sales_reports.profit_and_loss(db.session, today, today))
    assert pnl["Sales (bill totals)"] == [24650, "111.18"]
    assert pnl["less tax collected"] == [2479, "11.18"]
    assert pnl["Revenue (net of tax)"] == [22171, "100.00"]
    assert pnl["Cost of goods sold"] == [17625, "79.50"]
    assert pnl["Gross profit"] == [4546, "20.50"]
    assert pnl["Voided bills (1, not counted above)"] == [6300, ""]


def test_a_return_counts_on_the_day_it_is_made_not_the_sale_day(shop, admin: User) -> None:  # type: ignore[no-untyped-def]
    from posapp.models import CreditNote
    from posapp.models.base import write_transaction

    give_back(db.session, shop, admin)
    with write_transaction(db.session):  # as if the goods came back tomorrow
        for note in db.session.query(CreditNote):
            note.created_at += timedelta(days=1)
    today = local_today()
    tomorrow = today + timedelta(days=1)
    product = sales_reports.sales_by_product(db.session, today, today)
    assert product.totals["Sales"] == 31550 and product.totals["Gross profit"] == 6514
    assert [
        row[1:] for row in sales_reports.sales_by_product(db.session, tomorrow, tomorrow).rows
    ] == [
        ["Pen", (-1000, "pcs"), -900, -804, 0, -804],
        ["Rice", (-1000, "kg"), -6000, -5714, -4550, -1164],
    ]
    assert sales_reports.tax_by_rate(db.session, tomorrow, tomorrow).rows == [
        ["5.00", -5714, -286, -143, -143],
        ["12.00", -804, -96, -48, -48],
    ]


@pytest.mark.parametrize("name", ["sales_by_product"])
def test_long_reports_page_and_stream_the_same_rows(shop, admin: User, name: str) -> None:  # type: ignore[no-untyped-def]
    give_back(db.session, shop, admin)  # the streamed sums must see the returns too
    today = local_today()
    build = getattr(sales_reports, name)
    whole = build(db.session, today, today)
    assert len(whole.rows) >= 3 and whole.count is None
    page = build(db.session, today, today, limit=2)
    assert page.rows == whole.rows[:2]
    assert page.row_count == len(whole.rows) and page.totals == whole.totals
    streamed = build(db.session, today, today, stream=True)
    assert not isinstance(streamed.rows, list)
    assert list(report_framework.report_rows(streamed)) == list(report_framework.report_rows(whole))
