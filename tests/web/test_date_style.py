"""One date style everywhere, from the shop's locale: DD-MM-YYYY in India, the locale's elsewhere.

The pages, the report tables and the charts' labels follow the locale setting; an issued
receipt keeps the style it was issued with; the CSV files keep ISO dates for machines.
"""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient

from posapp.dates import date_format, date_time_format, day_month_format, month_label
from posapp.extensions import db
from posapp.models.base import to_local, write_transaction
from posapp.services.ledger import local_today
from posapp.services.settings import save_settings
from tests.sales_data import seed
from tests.web.helpers import AuthActions

DAY = date(2026, 3, 7)


@pytest.mark.parametrize(
    ("locale", "day", "short", "month"),
    [
        ("en_IN", "07-03-2026", "07-03", "Mar 2026"),
        ("hi_IN", "07-03-2026", "07-03", None),  # Hindi month names: checked below
        ("ta_IN", "07-03-2026", "07-03", None),
        ("en_US", "03/07/2026", "03/07", "Mar 2026"),
        ("en_GB", "07/03/2026", "07/03", "Mar 2026"),
        ("de_DE", "07.03.2026", "07.03", None),
        ("ja_JP", "2026/03/07", "03/07", "2026年3月"),
        ("sv_SE", "2026-03-07", "03-07", None),
        ("xx_QQ", "07-03-2026", "07-03", None),  # unknown locale: India's style
    ],
)
def test_the_locale_decides_order_and_separator_never_the_padding(
    locale: str, day: str, short: str, month: str | None
) -> None:
    assert DAY.strftime(date_format(locale)) == day
    assert DAY.strftime(day_month_format(locale)) == short
    assert date_time_format(locale) == date_format(locale) + " %H:%M"
    if month is not None:
        assert month_label("2026-03", locale) == month


def test_month_labels_are_words_and_bad_months_pass_through() -> None:
    assert month_label("2026-11", "hi_IN").endswith("2026")
    assert not month_label("2026-11", "hi_IN").startswith("2026-")
    assert month_label("2026-13", "en_IN") == "2026-13"
    assert month_label("", "en_IN") == ""


@pytest.fixture
def admin_client(client: FlaskClient, auth: AuthActions, admin, cashier) -> FlaskClient:  # type: ignore[no-untyped-def]
    seed(db.session, admin, cashier)
    auth.login("admin")
    return client


def _use(locale: str) -> None:
    with write_transaction(db.session):
        save_settings(db.session, locale=locale)


def test_pages_reports_and_charts_follow_the_locale_setting(admin_client: FlaskClient) -> None:
    today = local_today()
    india, america = today.strftime("%d-%m-%Y"), today.strftime("%m/%d/%Y")
    invoice_list = admin_client.get("/invoices/").get_data(as_text=True)
    by_day = admin_client.get("/reports/sales-by-day").get_data(as_text=True)
    assert india in invoice_list and india in by_day
    if india != america:  # on the 1st–12th of a month when day == month the two coincide
        assert america not in invoice_list

    _use("en_US")
    invoice_list = admin_client.get("/invoices/").get_data(as_text=True)
    by_day = admin_client.get("/reports/sales-by-day").get_data(as_text=True)
    assert america in invoice_list and america in by_day
    if india != america:
        assert india not in invoice_list and india not in by_day
    # The chart's labels are the table's, and the CSV keeps ISO whatever the locale.
    assert f'"labels": ["{america}"]' in by_day.replace("\\/", "/")
    csv = admin_client.get("/reports/sales-by-day?format=csv").get_data(as_text=True)
    assert today.isoformat() in csv and america not in csv
    stats = admin_client.get("/api/dashboard/stats").get_json()
    assert stats["daily"][-1]["label"] == today.strftime("%m/%d")


def test_an_issued_receipt_keeps_the_date_style_it_was_issued_with(
    admin_client: FlaskClient,
) -> None:
    from posapp.models import Invoice

    invoice = db.session.query(Invoice).order_by(Invoice.id).first()
    assert invoice is not None
    issued = to_local(invoice.created_at).strftime("%d-%m-%Y %H:%M")
    assert issued in admin_client.get(f"/pos/receipt/{invoice.id}").get_data(as_text=True)
    _use("en_US")
    page = admin_client.get(f"/pos/receipt/{invoice.id}").get_data(as_text=True)
    assert issued in page
    # The invoice's page (not the document) is today's style.
    detail = admin_client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert to_local(invoice.created_at).strftime("%m/%d/%Y") in detail
