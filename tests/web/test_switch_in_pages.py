"""Pages of posapp/web/switch_in.py: upload -> preview (map columns) -> import, and templates."""

from __future__ import annotations

import io
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import Customer, LedgerEntry
from posapp.services import ledger
from tests.switch_in_data import customers_200, write_xlsx


def _customers() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Customer)) or 0)


def _upload(client: FlaskClient, raw: bytes, name: str, kind: str = "customers", **form: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/import/{kind}",
        data={"file": (io.BytesIO(raw), name), **form},
        content_type="multipart/form-data",
    )


def test_an_xlsx_of_200_customers_is_mapped_by_hand_fixed_and_imported(
    admin_client: FlaskClient, tmp_path: Path
) -> None:
    data = customers_200()
    data.rows[149][1] = "9000000149"
    data.rows[76][1] = "9000000076"
    raw = write_xlsx(data, tmp_path / "parties.xlsx").read_bytes()
    response = _upload(admin_client, raw, "parties.xlsx")
    assert response.status_code == 302, response.get_data(as_text=True)
    preview_url = response.headers["Location"]
    html = admin_client.get(preview_url).get_data(as_text=True)
    assert "No column gives the phone" in html and "data-confirm-import" not in html
    assert "Excel workbook, sheet &#39;Parties&#39;" in html
    assert _customers() == 0

    response = admin_client.post(
        preview_url + "/columns",
        data={
            "map-0": "name",
            "map-1": "phone",
            "map-2": "address",
            "map-3": "balance",
            "map-4": "balance_type",
            "map-5": "note",
            "as_of": "2026-01-31",
        },
    )
    assert response.status_code == 302
    html = admin_client.get(preview_url).get_data(as_text=True)
    assert "data-creates>200<" in html and "data-bad>0<" in html
    assert "chosen by you" in html and "data-confirm-import" in html
    assert '<td class="font-monospace text-nowrap">1250 Dr</td>' in html  # the rules
    assert _customers() == 0

    response = admin_client.post(preview_url)
    assert response.status_code == 302 and response.headers["Location"].endswith("/customers/dues")
    assert _customers() == 200
    ids = list(db.session.scalars(select(Customer.id)))
    owed = sum(b for b in ledger.balances(db.session, ids).values() if b > 0)
    dues = admin_client.get("/customers/dues").get_data(as_text=True)
    assert "Imported from parties.xlsx: 200 added" in dues
    assert owed > 0
    assert admin_client.get(preview_url).status_code == 404  # the upload is gone


def test_bad_rows_are_listed_escaped_and_nothing_is_written(admin_client: FlaskClient) -> None:
    raw = b'name,phone,balance\n<script>alert(1)</script>,98765,10 Dr\nAsha,9123456780,"2,5"\n'
    response = _upload(admin_client, raw, "c.csv")
    html = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "data-bad>2<" in html and "<script>alert(1)</script>" not in html
    assert "data-confirm-import" not in html
    assert admin_client.post(response.headers["Location"]).status_code == 422
    assert (_customers(), db.session.scalar(select(func.count(LedgerEntry.id)))) == (0, 0)
    errors = admin_client.get(response.headers["Location"] + "/errors.csv")
    assert errors.mimetype == "text/csv" and b"line,problem" in errors.data


def test_an_upload_without_a_file_or_with_a_future_day_reshows_the_form(
    admin_client: FlaskClient,
) -> None:
    response = admin_client.post("/import/customers", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose a CSV or Excel file" in response.get_data(True)
    response = _upload(admin_client, b"name,phone\nA,9123456780\n", "c.csv", as_of="2999-01-01")
    assert response.status_code == 422 and "future" in response.get_data(as_text=True)


def test_templates_download_as_csv_and_xlsx_and_read_back(admin_client: FlaskClient) -> None:
    for kind in ("customers", "suppliers", "stock"):
        csv = admin_client.get(f"/import/{kind}/template.csv")
        assert csv.status_code == 200 and csv.mimetype == "text/csv"
        xlsx = admin_client.get(f"/import/{kind}/template.xlsx")
        assert xlsx.status_code == 200 and xlsx.data.startswith(b"PK")
    assert admin_client.get("/import/customers/template.pdf").status_code == 404
    raw = admin_client.get("/import/customers/template.xlsx").data
    response = _upload(admin_client, raw, "t.xlsx")
    html = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "data-creates>2<" in html and "data-bad>0<" in html


def test_the_pages_are_for_admins_only(cashier_client: FlaskClient) -> None:
    assert cashier_client.get("/import/").status_code == 403
    assert cashier_client.get("/import/customers").status_code == 403
    assert cashier_client.get("/import/customers/template.csv").status_code == 403


def test_an_unknown_kind_or_token_is_a_404(admin_client: FlaskClient) -> None:
    assert admin_client.get("/import/widgets").status_code == 404
    assert admin_client.get("/import/customers/" + "0" * 32).status_code == 404
    assert admin_client.get("/import/").status_code == 200
