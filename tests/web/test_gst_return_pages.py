"""The GST return pages: GSTR-1 tables and ZIP, GSTR-3B and its JSON, refusals, the index."""

from __future__ import annotations

import io
import json
import zipfile
from decimal import Decimal

from flask.testing import FlaskClient

from posapp.extensions import db
from posapp.models import AuditLog, User
from tests.gstr_data import SHOP_GSTIN, seed_month

NOVEMBER = "month=2026-11"


def test_gstr1_shows_each_table_and_downloads_one_zip(
    admin_client: FlaskClient, admin: User
) -> None:
    seed_month(db.session, admin)
    page = admin_client.get(f"/reports/gst/gstr1?{NOVEMBER}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "GSTR-1 for Nov 2026" in html and "return period 112026" in html
    for key in ("b2b", "b2cl", "b2cs", "cdnr", "cdnur", "exemp", "hsn_b2b", "hsn_b2c", "docs"):
        assert f'data-table="{key}"' in html
    assert "INV2026-000005" in html and "CN2026-000003" in html and "24-Gujarat" in html
    assert 'value="2026-11"' in html

    before = db.session.query(AuditLog).filter_by(action="export.create").count()
    download = admin_client.get(f"/reports/gst/gstr1?{NOVEMBER}&format=zip")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert f"GSTR1_{SHOP_GSTIN}_112026.zip" in download.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(download.get_data())) as archive:
        assert "hsn(b2c).csv" in archive.namelist() and "b2b.csv" in archive.namelist()
        data = json.loads(archive.read(f"GSTR1_{SHOP_GSTIN}_112026.json"), parse_float=Decimal)
    assert data["fp"] == "112026" and data["b2cl"][0]["inv"][0]["val"] == Decimal("141836")
    assert db.session.query(AuditLog).filter_by(action="export.create").count() == before + 1


def test_gstr3b_page_and_json(admin_client: FlaskClient, admin: User) -> None:
    seed_month(db.session, admin)
    html = admin_client.get(f"/reports/gst/gstr3b?{NOVEMBER}").get_data(as_text=True)
    assert "3.1(a) Outward taxable supplies" in html and "4(A)(5) All other ITC" in html
    assert "1,21,450.00" in html  # the month's taxable value, net of credit notes
    download = admin_client.get(f"/reports/gst/gstr3b?{NOVEMBER}&format=json")
    assert download.status_code == 200 and download.mimetype == "application/json"
    data = json.loads(download.get_data(), parse_float=Decimal)
    assert data["sup_details"]["osup_det"]["txval"] == Decimal("121450.00")
    assert data["inter_sup"]["unreg_details"] == [
        {"pos": "24", "txval": Decimal("120100"), "iamt": Decimal("21618")}
    ]


def test_a_shop_without_gstin_gets_a_message_and_nothing_else(admin_client: FlaskClient) -> None:
    for url in ("/reports/gst/gstr1", "/reports/gst/gstr3b"):
        page = admin_client.get(url)
        html = page.get_data(as_text=True)
        assert page.status_code == 409 and "need the shop&#39;s GSTIN" in html
        assert "data-download" not in html
    assert admin_client.get("/reports/gst/gstr1?format=zip").status_code == 409
    assert admin_client.get("/reports/gst/gstr3b?format=json").status_code == 409


def test_bad_months_are_refused_with_the_form_again(admin_client: FlaskClient) -> None:
    for raw in ("2026-13", "2016-12", "<script>", "2026-11&format=zip"):
        page = admin_client.get("/reports/gst/gstr1", query_string={"month": raw, "format": "zip"})
        assert page.status_code == 422 and page.mimetype == "text/html"
        assert 'name="month"' in page.get_data(as_text=True)


def test_cashiers_are_kept_out(cashier_client: FlaskClient) -> None:
    assert cashier_client.get("/reports/gst/gstr1").status_code == 403
    assert cashier_client.get("/reports/gst/gstr3b?format=json").status_code == 403


def test_the_index_lists_the_returns_and_the_old_reports_are_gone(
    admin_client: FlaskClient,
) -> None:
    html = admin_client.get("/reports/").get_data(as_text=True)
    assert "GST returns" in html
    assert 'href="/reports/gst/gstr1"' in html and 'href="/reports/gst/gstr3b"' in html
    for old in ("hsn-summary", "gstr1-b2c-invoices", "gstr1-b2cs"):
        assert admin_client.get(f"/reports/{old}").status_code == 404
