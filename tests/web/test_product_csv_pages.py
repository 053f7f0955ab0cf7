"""Pages of posapp/web/product_csv.py: upload -> preview -> confirm, export, template."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from posapp.extensions import db
from posapp.models import Product
from tests.factories import PASSWORD, make_product, make_user
from tests.web.helpers import login


def products() -> int:
    return db.session.scalar(select(func.count()).select_from(Product))


def upload(client: FlaskClient, raw: bytes, name: str = "items.csv", **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/products/import",
        data={"file": (io.BytesIO(raw), name)},
        content_type="multipart/form-data",
        headers=headers,
    )


def test_upload_preview_confirm(admin_client: FlaskClient) -> None:
    raw = b"sku;name;price;qty\nA1;Poha 500g;32,50;12\n;Sugar;44;3\n"
    response = upload(admin_client, raw)
    assert response.status_code == 302
    preview = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert products() == 0  # nothing written at preview
    assert "data-creates>2<" in preview and "data-bad>0<" in preview
    assert "semicolon-separated" in preview and "sku → code" in preview
    response = admin_client.post(response.headers["Location"])
    assert response.status_code == 302
    assert products() == 2
    page = admin_client.get("/products/").get_data(as_text=True)
    assert "Imported. New products: 2; updated: 0; stock movements: 2." in page
    assert db.session.scalar(select(Product.price).where(Product.code == "A1")) == 3250


def test_bad_rows_are_listed_escaped_and_cannot_be_confirmed(admin_client: FlaskClient) -> None:
    raw = b"code,name,price\nX1,<script>alert(1)</script>,abc\nX2,Fine,1\n"
    response = upload(admin_client, raw)
    html = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "data-bad>1<" in html
    assert "<script>alert(1)</script>" not in html
    assert "price: Amount must be a number" in html
    assert "data-confirm-import" not in html  # no import button
    errors = admin_client.get(response.headers["Location"] + "/errors.csv")
    assert errors.mimetype == "text/csv"
    assert '2,"price: Amount must be a number' in errors.get_data(as_text=True)
    response = admin_client.post(response.headers["Location"])
    assert response.status_code == 422
    assert "nothing was imported" in response.get_data(as_text=True)
    assert products() == 0


def test_upload_errors_reshow_the_form(admin_client: FlaskClient) -> None:
    response = admin_client.post("/products/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose a CSV file" in response.get_data(as_text=True)
    response = upload(admin_client, b"\x00\x01\x02binary")
    assert response.status_code == 422
    assert "not a CSV text file" in response.get_data(as_text=True)
    response = upload(admin_client, b"colour\nred\n", **{"X-Requested-With": "fetch"})
    assert response.status_code == 422
    assert "name or a code column" in response.get_json()["error"]


def test_the_upload_answers_json_to_the_page_script(admin_client: FlaskClient) -> None:
    response = upload(admin_client, b"name,price\nA,1\n", **{"X-Requested-With": "fetch"})
    assert response.status_code == 200
    assert response.get_json()["next"].startswith("/products/import/")


def test_another_login_cannot_use_an_upload(admin_client: FlaskClient, app) -> None:  # type: ignore[no-untyped-def]
    target = upload(admin_client, b"name,price\nA,1\n").headers["Location"]
    other = app.test_client()
    login(other, "admin")
    assert other.get(target).status_code == 404
    assert other.post(target).status_code == 404
    assert admin_client.get("/products/import/not-a-token").status_code == 404
    assert products() == 0


def test_export_and_template_downloads(admin_client: FlaskClient) -> None:
    make_product(db.session, name="=1+1", code="C1")
    response = admin_client.get("/products/export.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.splitlines()[1].startswith("C1,'=1+1,")
    template = admin_client.get("/products/import/template.csv").get_data(as_text=True)
    assert template.lstrip("\ufeff").startswith("code,name,category,unit,price")


def test_only_a_checked_upload_is_kept_until_it_is_imported(admin_client: FlaskClient, app) -> None:  # type: ignore[no-untyped-def]
    folder = Path(app.config["DATA_DIR"]) / "imports"

    def kept() -> list[str]:
        return sorted(p.suffix for p in folder.iterdir()) if folder.exists() else []

    assert upload(admin_client, b"colour\nred\n").status_code == 422
    assert kept() == []  # a refused file is not left behind
    raw = b"name,price\nTea,1\n"
    target = upload(admin_client, raw).headers["Location"]
    assert kept() == [".csv", ".json"]
    assert next(folder.glob("*.csv")).read_bytes() == raw
    assert "(automatic)</span> Tea</li>" in admin_client.get(target).get_data(as_text=True)
    assert admin_client.post(target).status_code == 302
    assert kept() == [] and products() == 1


# --- Sizes, with the app exactly as shipped (CSRF reads the form before any view runs) --------


@pytest.fixture
def shipped_admin(csrf_app: Flask) -> FlaskClient:
    """A client of the CSRF-protected app, logged in as an admin through the real form."""
    make_user(db.session, "admin", "admin")
    client = csrf_app.test_client()
    response = client.post(
        "/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token_of(client, "/login")},
    )
    assert response.status_code == 302
    return client


def token_of(client: FlaskClient, page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).get_data(as_text=True))
    assert match
    return match.group(1)


def multipart(fields: dict) -> dict:
    """A multipart body encoded in memory: werkzeug's test client spools bodies over 500 KB
    to a temporary file it never closes (a ResourceWarning, an error in this suite)."""
    files = {
        key: FileStorage(value[0], filename=value[1]) if isinstance(value, tuple) else value
        for key, value in fields.items()
    }
    boundary, body = encode_multipart(files)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def test_a_9_mb_csv_imports_through_the_shipped_app(shipped_admin: FlaskClient) -> None:
    """Over the app-wide 8 MB: before, CSRF's form parse answered 413 before the view ran."""
    notes = "n" * 9000  # an ignored column makes the file big without slowing the import
    rows = [f"C{number},Item {number},{number % 90 + 10}.50,2,{notes}" for number in range(1050)]
    raw = ("code,name,price,qty,notes\n" + "\n".join(rows) + "\n").encode()
    assert len(raw) > 9 * 1024 * 1024
    token = token_of(shipped_admin, "/products/import")
    response = shipped_admin.post(
        "/products/import",
        **multipart({"file": (io.BytesIO(raw), "big.csv"), "csrf_token": token}),
    )
    assert response.status_code == 302, response.status_code
    preview = response.headers["Location"]
    assert "data-creates>1050<" in shipped_admin.get(preview).get_data(as_text=True)
    confirm = shipped_admin.post(preview, data={"csrf_token": token})
    assert confirm.status_code == 302
    assert products() == 1050


def test_too_large_uploads_get_a_clear_413_and_other_pages_keep_the_small_limit(
    shipped_admin: FlaskClient,
) -> None:
    token = token_of(shipped_admin, "/products/import")
    page = "/products/import"
    assert "up to 64 MB" in shipped_admin.get(page).get_data(as_text=True)
    huge = b"code,name\n" + b"x" * (64 * 1024 * 1024)
    response = shipped_admin.post(
        page, **multipart({"file": (io.BytesIO(huge), "huge.csv"), "csrf_token": token})
    )
    assert response.status_code == 413
    assert "this page takes files up to 64 MB" in response.get_data(as_text=True)
    assert "<html" in response.get_data(as_text=True)  # the app's page, not a bare error
    # The page's own script asks for JSON: the API error envelope.
    response = shipped_admin.post(
        page,
        **multipart({"file": (io.BytesIO(huge), "huge.csv"), "csrf_token": token}),
        headers={"X-Requested-With": "fetch", "Accept": "application/json"},
    )
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["code"] == "payload_too_large" and "up to 64 MB" in error["message"]
    # Any other form keeps the app-wide 8 MB.
    response = shipped_admin.post(
        "/products/new", **multipart({"name": "x" * (9 * 1024 * 1024), "csrf_token": token})
    )
    assert response.status_code == 413 and "up to 8 MB" in response.get_data(as_text=True)
    assert products() == 0


def test_an_import_whose_files_are_gone_says_so(admin_client: FlaskClient, app: Flask) -> None:
    response = upload(admin_client, b"name;price\nPoha;32\n")
    preview_url = response.headers["Location"]
    for path in (Path(app.config["DATA_DIR"]) / "imports").iterdir():
        path.unlink()  # what the day-old clean-up does
    for url in (preview_url, f"{preview_url}/errors.csv"):
        response = admin_client.get(url)
        assert response.status_code == 404
        assert "This import has expired; upload the file again." in response.get_data(as_text=True)
    response = admin_client.post(preview_url)
    assert response.status_code == 404 and products() == 0
