"""Sales, profit and tax reports against the hand-computed shop of tests/sales_data.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.models import User
from posapp.services import expenses, report_framework, sales_reports, summaries
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
    # bills, gross sales, returns, net sales, discounts, tax, net revenue, cost, gross profit
    assert day.rows == [[today, 3, 31550, 0, 31550, 1050, 2864, 28686, 22175, 6511]]
    month = sales_reports.sales_by_month(db.session, today, today)
    assert month.rows == [
        [today.strftime("%Y-%m"), 3, 31550, 0, 31550, 1050, 2864, 28686, 22175, 6511]
    ]
    method = _by_first(sales_reports.sales_by_method(db.session, today, today))
    assert method == {"cash": [23600], "card": [4950], "upi": [0], "credit": [3000]}


def test_sales_by_product_category_and_cashier(shop) -> None:  # type: ignore[no-untyped-def]
    today = local_today()
    product = sales_reports.sales_by_product(db.session, today, today)
    assert [row[1:] for row in product.rows] == [
        ["Rice", (2500, "kg"), 15000, 14286, 11375, 2911],
        ["Pen", (8000, "pcs"), 8300, 7410, 4800, 2610],
        ["Soap", (3000, "pcs"), 8250, 6990, 6000, 990],
    ]
    assert product.totals["Net sales"] == 31550 and product.totals["Gross profit"] == 6511
    category = _by_first(sales_reports.sales_by_category(db.session, today, today))
    assert category == {
        "Grocery": [1, 15000, 14286, 11375, 2911],
        "Uncategorised": [1, 8300, 7410, 4800, 2610],
        "Personal care": [1, 8250, 6990, 6000, 990],
    }
    cashier = _by_first(sales_reports.sales_by_cashier(db.session, today, today))
    # bills, gross sales, returns, net sales, discounts
    assert cashier == {"admin": [2, 26600, 0, 26600, 0], "cashier": [1, 4950, 0, 4950, 1050]}


def test_profit_and_loss_with_expenses(shop, admin: User) -> None:  # type: ignore[no-untyped-def]
    today = local_today()
    expenses.add_expense(
        db.session, {"day": today.isoformat(), "category": "rent", "amount": "40.00"}, admin.id
    )
    pnl = _by_first(sales_reports.profit_and_loss(db.session, today, today))
    # Lines that include tax carry no percentage (it would exceed 100 % of revenue).
    assert pnl["Gross sales (bill totals)"] == [31550, ""]
    assert pnl["less returns (credit notes)"] == [0, ""]
    assert pnl["Net sales"] == [31550, ""]
    assert pnl["less tax collected (net of returns)"] == [2864, ""]
    assert pnl["Net revenue (excl. tax)"] == [28686, "100.00"]
    assert pnl["Cost of goods sold"] == [22175, "77.30"]
    assert pnl["Gross profit"] == [6511, "22.70"]  # the margin
    assert pnl["Expense: rent"] == [4000, "13.94"]
    assert pnl["Net profit"] == [2511, "8.75"]
    assert pnl["Voided bills (1, not counted above)"] == [6300, ""]


def test_tax_by_rate(shop) -> None:  # type: ignore[no-untyped-def]
    today = local_today()
    tax = sales_reports.tax_by_rate(db.session, today, today)
    # The stored halves, equal line by line: 12 %: 145 (B) + 300 (C); 18 %: 458 (A) + 172 (B)
    assert tax.rows == [
        ["5.00", 14286, 714, 357, 357, 0],
        ["12.00", 7410, 890, 445, 445, 0],
        ["18.00", 6990, 1260, 630, 630, 0],
    ]
    assert tax.totals == {
        "Taxable value": 28686,
        "Tax": 2864,
        "CGST": 1432,
        "SGST": 1432,
        "IGST": 0,
    }


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
    # Day figures: 31550 - 6000 - 899 sales; net 28686 - 5714 - 803; tax 2864 - 286 - 96;
    # cost 22175 - 4550 (only the restocked rice); discounts and bill count do not change.
    day = sales_reports.sales_by_day(db.session, today, today)
    # Gross 31550, returns 6000 + 899 = 6899, net sales 24651.
    assert day.rows == [[today, 3, 31550, 6899, 24651, 1050, 2482, 22169, 17625, 4544]]
    method = _by_first(sales_reports.sales_by_method(db.session, today, today))
    assert method == {"cash": [16701], "card": [4950], "upi": [0], "credit": [3000]}

    product = sales_reports.sales_by_product(db.session, today, today)
    assert [row[1:] for row in product.rows] == [
        ["Rice", (1500, "kg"), 9000, 8572, 6825, 1747],
        ["Soap", (3000, "pcs"), 8250, 6990, 6000, 990],
        ["Pen", (7000, "pcs"), 7401, 6607, 4800, 1807],
    ]
    # The line reports and the daily summary tell the same story.
    assert product.totals["Net sales"] == 24651
    assert product.totals["Net revenue (excl. tax)"] == 22169
    assert product.totals["Cost of goods"] == 17625 and product.totals["Gross profit"] == 4544
    category = _by_first(sales_reports.sales_by_category(db.session, today, today))
    assert category == {
        "Grocery": [1, 9000, 8572, 6825, 1747],
        "Personal care": [1, 8250, 6990, 6000, 990],
        "Uncategorised": [1, 7401, 6607, 4800, 1807],
    }

    # Tax: the notes' stored halves come off (5 %: 143 + 143; 12 %: 48 + 48).
    tax = sales_reports.tax_by_rate(db.session, today, today)
    assert tax.rows == [
        ["5.00", 8572, 428, 214, 214, 0],
        ["12.00", 6607, 794, 397, 397, 0],
        ["18.00", 6990, 1260, 630, 630, 0],
    ]
    assert tax.totals == {
        "Taxable value": 22169,
        "Tax": 2482,
        "CGST": 1241,
        "SGST": 1241,
        "IGST": 0,
    }

    # A returns the admin's 60.00 of rice, B the cashier's 8.99 pen: each off their seller.
    cashier = _by_first(sales_reports.sales_by_cashier(db.session, today, today))
    assert cashier == {
        "admin": [2, 26600, 6000, 20600, 0],
        "cashier": [1, 4950, 899, 4051, 1050],
    }

    pnl = _by_first(sales_reports.profit_and_loss(db.session, today, today))
    assert pnl["Gross sales (bill totals)"] == [31550, ""]
    assert pnl["less returns (credit notes)"] == [6899, ""]
    assert pnl["Net sales"] == [24651, ""]
    assert pnl["less tax collected (net of returns)"] == [2482, ""]
    assert pnl["Net revenue (excl. tax)"] == [22169, "100.00"]
    assert pnl["Cost of goods sold"] == [17625, "79.50"]
    assert pnl["Gross profit"] == [4544, "20.50"]
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
    assert product.totals["Net sales"] == 31550 and product.totals["Gross profit"] == 6511
    assert [
        row[1:] for row in sales_reports.sales_by_product(db.session, tomorrow, tomorrow).rows
    ] == [
        ["Pen", (-1000, "pcs"), -899, -803, 0, -803],
        ["Rice", (-1000, "kg"), -6000, -5714, -4550, -1164],
    ]
    assert sales_reports.tax_by_rate(db.session, tomorrow, tomorrow).rows == [
        ["5.00", -5714, -286, -143, -143, 0],
        ["12.00", -803, -96, -48, -48, 0],
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


def test_every_sales_report_gives_the_same_net_sales(shop, admin: User) -> None:  # type: ignore[no-untyped-def]
    from posapp.models import CreditNote
    from posapp.models.base import write_transaction

    give_back(db.session, shop, admin)
    with write_transaction(db.session):  # the goods come back tomorrow: a day of returns only
        for note in db.session.query(CreditNote):
            note.created_at += timedelta(days=1)
        db.session.flush()
        summaries.rebuild(db.session)  # the day summary as it would have been kept
    today = local_today()
    tomorrow = today + timedelta(days=1)
    # Gross 31550 (today's bills), returns 6000 + 899 = 6899 (tomorrow, see give_back), net 24651.
    for start, end, gross, returns in (
        (today, tomorrow, 31550, 6899),
        (tomorrow, tomorrow, 0, 6899),
        (today, today, 31550, 0),
    ):
        net = gross - returns
        day = sales_reports.sales_by_day(db.session, start, end).totals
        month = sales_reports.sales_by_month(db.session, start, end).totals
        cashier = sales_reports.sales_by_cashier(db.session, start, end).totals
        for totals in (day, month, cashier):
            assert (totals["Gross sales"], totals["Returns"], totals["Net sales"]) == (
                gross,
                returns,
                net,
            )
        method = sales_reports.sales_by_method(db.session, start, end)
        assert sum(row[1] for row in method.rows) == net
        product = sales_reports.sales_by_product(db.session, start, end).totals
        category = sales_reports.sales_by_category(db.session, start, end).totals
        assert product["Net sales"] == category["Net sales"] == net
        pnl = _by_first(sales_reports.profit_and_loss(db.session, start, end))
        assert pnl["Gross sales (bill totals)"][0] == gross
        assert pnl["less returns (credit notes)"][0] == returns
        assert pnl["Net sales"][0] == net
        # Net revenue agrees with the line reports too (no round-off in this shop).
        assert pnl["Net revenue (excl. tax)"][0] == product["Net revenue (excl. tax)"]
        assert pnl["Net revenue (excl. tax)"][0] == day["Net revenue (excl. tax)"]
    # The day of returns only is listed, not dropped.
    rows = sales_reports.sales_by_day(db.session, tomorrow, tomorrow).rows
    assert rows == [[tomorrow, 0, 0, 6899, -6899, 0, -382, -6517, -4550, -1967]]
