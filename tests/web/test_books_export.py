"""The books' export page: admins download Tally XML or CSV; bad dates re-show the form."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import AuditLog
from posapp.models.base import write_transaction
from posapp.services import books
from posapp.services.books import cr, dr


def exports_logged() -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditLog).where(AuditLog.action == "export.create")
    )


@pytest.fixture
def entries(admin_client: FlaskClient) -> None:
    with write_transaction(db.session):
        for day, amount in ((date(2026, 11, 2), 10500), (date(2026, 12, 1), 700)):
            books.post(
                db.session, day=day, source_kind="sale", source_id=1, reference=f"INV/{amount}",
                narration="Sale", lines=[dr("cash", amount), cr("sales", amount)],
            )  # fmt: skip


def test_the_page_offers_both_downloads_for_this_month(admin_client: FlaskClient) -> None:
    page = admin_client.get("/books/export/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    today = books.business_day()
    assert f'value="{today.replace(day=1).isoformat()}"' in html
    assert f'value="{today.isoformat()}"' in html
    assert 'name="format" value="xml"' in html and 'name="format" value="csv"' in html


def test_tally_xml_of_the_range_downloads(admin_client: FlaskClient, entries: None) -> None:
    got = admin_client.get("/books/export/download?from=2026-11-01&to=2026-11-30&format=xml")
    assert got.status_code == 200 and got.mimetype == "application/xml"
    assert 'filename="tally-20261101-20261130.xml"' in got.headers["Content-Disposition"]
    root = ET.fromstring(got.data)  # noqa: S314 (our own export)
    assert [v.findtext("VOUCHERNUMBER") for v in root.iter("VOUCHER")] == ["INV/10500"]
    assert root.findtext(".//SVCURRENTCOMPANY") == "My Shop"
    assert exports_logged() == 1


def test_csv_of_the_range_downloads(admin_client: FlaskClient, entries: None) -> None:
    got = admin_client.get("/books/export/download?from=2026-12-01&to=2026-12-01&format=csv")
    assert got.status_code == 200 and got.mimetype == "text/csv"
    text = got.get_data(as_text=True).removeprefix("\ufeff")
    lines = text.strip().splitlines()
    assert lines[0].startswith("date,voucher_type,voucher_number")
    assert lines[1:] == [
        "2026-12-01,Sales,INV/700,Sale,1100,Cash in drawer,,7.00,",
        "2026-12-01,Sales,INV/700,Sale,4100,Sales,,,7.00",
    ]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=2026-11-31&to=2026-11-30&format=xml", "from", "Dates are YYYY-MM-DD."),
        ("from=2026-11-01&to=&format=csv", "to", "Give a day (YYYY-MM-DD)."),
        ("from=2026-11-05&to=2026-11-01&format=xml", "to", "The first day is after the last."),
        ("from=2026-11-01&to=2026-11-30&format=pdf", "format", "Choose Tally XML or CSV."),
        ("from=%EF%BC%92026-11-01&to=2026-11-30&format=xml", "from", "Dates are YYYY-MM-DD."),
    ],
)
def test_bad_input_re_shows_the_form_and_exports_nothing(
    admin_client: FlaskClient, query: str, field: str, message: str
) -> None:
    got = admin_client.get(f"/books/export/download?{query}")
    html = got.get_data(as_text=True)
    assert got.status_code == 422 and got.mimetype == "text/html"
    assert message in html and 'id="export-error"' in html
    if field != "format":
        assert f'id="{field}-error"' in html
    assert exports_logged() == 0


def test_cashiers_may_not_export(cashier_client: FlaskClient) -> None:
    assert cashier_client.get("/books/export/").status_code == 403
    query = "from=2026-11-01&to=2026-11-30&format=xml"
    assert cashier_client.get(f"/books/export/download?{query}").status_code == 403
