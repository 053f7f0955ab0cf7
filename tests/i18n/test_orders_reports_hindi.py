"""Reports and orders in Hindi: report totals, charts and CSV headings find their columns in
any language; and the reports index, a report and the orders board speak Hindi to a Hindi
browser."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import flask_babel
import pytest
from flask.testing import FlaskClient

from posapp import i18n
from posapp.extensions import db
from posapp.models import User
from posapp.services import order_reports, report_framework
from posapp.services.report_framework import collect, report_rows
from posapp.web.reports import chart_data
from tests.factories import make_product
from tests.web.helpers import login

ROOT = Path(__file__).resolve().parents[2]
HINDI = {"Accept-Language": "hi"}


@pytest.fixture
def shouting(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], str]:
    """A stand-in second language (English in capitals), so the keying is tested without
    depending on a filled catalog."""

    def upper(message: str) -> str:
        return message.upper()

    monkeypatch.setattr(i18n, "_gettext", upper)
    return upper


def test_totals_find_their_columns_in_another_language(shouting: Callable[[str], str]) -> None:
    orders_title, estimate = order_reports.ORDERS, order_reports.ESTIMATE
    report = collect(
        i18n.lazy("Orders by state"),
        [(i18n.lazy("State"), "text"), (orders_title, "number"), (estimate, "money")],
        [["a", 1, 500], ["b", 2, 250]],
        totals=(orders_title, estimate),
    )
    assert report.totals[orders_title] == 3 and report.totals[estimate] == 750
    rows = list(report_rows(report))
    assert rows[0] == ["STATE", "ORDERS", "ESTIMATE"]
    assert rows[-1] == ["TOTAL", "3", "7.50"]


def test_a_chart_finds_its_columns_by_their_english_titles(shouting: Callable[[str], str]) -> None:
    from posapp.services import sales_reports

    columns = [(sales_reports.MONTH, "month"), *sales_reports.SUMMARY_COLUMNS]
    row = ["2026-11", 1, 1000, 0, 1000, 0, 100, 900, 600, 300]
    report = report_framework.Report(i18n.lazy("Sales by month"), columns, [row])
    chart = chart_data("sales-by-month", report, "en_IN")
    assert chart is not None
    assert [s["label"] for s in chart["series"]] == ["NET SALES", "GROSS PROFIT"]
    assert [s["data"] for s in chart["series"]] == [["10.00"], ["3.00"]]


def test_english_pages_stay_as_they_were(client: FlaskClient, admin: User) -> None:
    login(client, "admin")
    page = client.get("/reports/sales-by-day").get_data(as_text=True)
    assert "Sales by day" in page and "Download CSV" in page
    orders = client.get("/orders/reports").get_data(as_text=True)
    assert "Orders by state" in orders and "Time from order to delivery" in orders


def _hindi(client: FlaskClient, url: str) -> str:
    # The tests' app context outlives each request, and Flask-Babel keeps the locale it chose
    # there: forget it so this request's Accept-Language decides.
    flask_babel.refresh()
    response = client.get(url, headers=HINDI)
    flask_babel.refresh()
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_reports_and_the_orders_board_speak_hindi(client: FlaskClient, admin: User) -> None:
    make_product(db.session, name="Atta 5 kg", opening_stock="10")
    login(client, "admin")
    index = _hindi(client, "/reports/")
    assert "रिपोर्ट" in index and "दिन के हिसाब से बिक्री" in index
    report = _hindi(client, "/reports/profit-and-loss")
    assert "लाभ-हानि" in report and "रकम" in report and "शुद्ध बिक्री" in report
    assert "CSV डाउनलोड करें" in report
    board = _hindi(client, "/orders/")
    assert "नया ऑर्डर" in board and "पेंडिंग" in board
