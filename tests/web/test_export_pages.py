"""CSV of every table and "Export everything" (CSVs and the workbook): BOM, ISO dates, plain
decimals, injection, audit."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import AuditLog
from posapp.services import exports
from tests.factories import make_customer, make_product
from tests.sales_data import seed
from tests.web.helpers import AuthActions


@pytest.fixture
def admin_client(client: FlaskClient, auth: AuthActions, admin, cashier) -> FlaskClient:  # type: ignore[no-untyped-def]
    seed(db.session, admin, cashier)
    make_customer(db.session, admin, name="=SUM(A1:A9)", address="@evil")
    make_product(db.session, name="+44 calc", opening_stock="1")
    auth.login("admin")
    return client


def _rows(raw: bytes) -> list[list[str]]:
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM first, for Excel"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


@pytest.mark.parametrize("table", list(exports.TABLES))
def test_every_table_downloads_as_excel_ready_csv(admin_client: FlaskClient, table: str) -> None:
    response = admin_client.get(f"/exports/{table}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = _rows(response.get_data())
    assert rows[0] and all(len(r) == len(rows[0]) for r in rows)
    for row in rows[1:]:
        for cell in row:
            # Only a plain negative amount ("-1", a sale's stock change) may start with "-".
            assert not cell.startswith(("=", "+", "@")), (table, cell)
            assert not cell.startswith("-") or re.fullmatch(r"-\d+(\.\d+)?", cell), (table, cell)


def test_values_are_iso_and_plain_decimals(admin_client: FlaskClient) -> None:
    rows = _rows(admin_client.get("/exports/invoices.csv").get_data())
    head = rows[0]
    first = dict(zip(head, rows[1], strict=True))
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$", first["created_at"])
    assert (
        first["total"] == "210.00" and first["tax"] == "16.30"
    )  # 7.14 + 9.16 (tests/sales_data.py)
    lines = _rows(admin_client.get("/exports/invoice_lines.csv").get_data())
    rice = dict(zip(lines[0], lines[1], strict=True))
    assert (rice["quantity"], rice["unit_cost"], rice["tax_rate"]) == ("2.500", "45.50", "5.00")
    customers = admin_client.get("/exports/customers.csv").get_data().decode("utf-8-sig")
    assert "'=SUM(A1:A9)" in customers and "'@evil" in customers
    products = admin_client.get("/exports/products.csv").get_data().decode("utf-8-sig")
    assert "'+44 calc" in products


def test_everything_as_a_zip_and_audited(admin_client: FlaskClient) -> None:
    response = admin_client.post("/exports/all.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    names = archive.namelist()
    assert len(names) == len(exports.TABLES) + 1
    folder = names[0].split("/")[0]
    assert re.match(r"^TillBook-export-\d{4}-\d{2}-\d{2}-\d{4}$", folder)
    assert {n.split("/")[1] for n in names} == {f"{t}.csv" for t in exports.TABLES} | {
        f"{folder}.xlsx"
    }
    assert names[-1] == f"{folder}/{folder}.xlsx"  # written last, from the same rows
    book = load_workbook(io.BytesIO(archive.read(names[-1])), read_only=True)
    assert book.sheetnames == ["README", *exports.TABLES]
    book.close()
    assert archive.read(f"{folder}/payments.csv").startswith(b"\xef\xbb\xbf")
    actions = db.session.scalars(select(AuditLog.action)).all()
    assert "export.create" in actions


def test_everything_to_a_folder_table_by_table(admin_client: FlaskClient, tmp_path: Path) -> None:
    name = exports.folder_name()
    for table in [*exports.TABLES, exports.WORKBOOK]:
        response = admin_client.post(
            "/exports/folder", json={"folder": str(tmp_path), "name": name, "table": table}
        )
        assert response.status_code == 200, response.get_json()
    assert response.get_json()["written"] == str(tmp_path / name / f"{name}.xlsx")
    written = sorted(p.name for p in (tmp_path / name).iterdir())
    assert written == sorted([*(f"{t}.csv" for t in exports.TABLES), f"{name}.xlsx"])
    book = load_workbook(tmp_path / name / f"{name}.xlsx", read_only=True)
    assert book.sheetnames == ["README", *exports.TABLES]
    book.close()
    unknown = admin_client.post(
        "/exports/folder", json={"folder": str(tmp_path), "name": name, "table": "users"}
    )
    assert unknown.status_code == 422
    bad = admin_client.post(
        "/exports/folder",
        json={"folder": str(tmp_path / "gone"), "name": name, "table": "invoices"},
    )
    assert bad.status_code == 422 and "USB" in bad.get_json()["error"]
    sneaky = admin_client.post(
        "/exports/folder", json={"folder": str(tmp_path), "name": "../../etc", "table": "invoices"}
    )
    assert sneaky.status_code == 422
    remote = admin_client.post(
        "/exports/folder",
        json={"folder": str(tmp_path), "name": name, "table": "invoices"},
        environ_base={"REMOTE_ADDR": "192.168.1.20"},
    )
    assert remote.status_code == 403


def test_the_export_page_offers_the_zip_and_each_table(admin_client: FlaskClient) -> None:
    html = admin_client.get("/exports/").get_data(as_text=True)
    assert "/exports/all.zip" in html and "/exports/ledger.csv" in html
    assert "data-choose-folder" in html
    assert f'data-workbook="{exports.WORKBOOK}"' in html and ".xlsx" in html
    assert "/products/import" in html  # another TillBook takes the export back


def test_the_customers_csv_says_no_limit_in_words(admin_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    make_customer(db.session, admin, name="Open Book", credit_limit=None)
    make_customer(db.session, admin, name="Cash Only", credit_limit="0")
    rows = list(
        csv.DictReader(
            io.StringIO(admin_client.get("/exports/customers.csv").get_data().decode("utf-8-sig"))
        )
    )
    limits = {row["name"]: row["credit_limit"] for row in rows}
    assert (limits["Open Book"], limits["Cash Only"]) == ("no limit", "0.00")
