"""Pages of posapp/web/settings.py: the shop settings form, its errors, the logo, the effects."""

from __future__ import annotations

import io
import json
from pathlib import Path

from flask.testing import FlaskClient
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select
from werkzeug.test import EnvironBuilder

from posapp.extensions import db
from posapp.models import AuditLog
from posapp.services import checkout
from posapp.services.settings import load_settings
from posapp.services.shop_settings import LOGO_MAX_BYTES, form_values
from tests.factories import make_product
from tests.web.helpers import login


def current_form(**changes: str) -> dict[str, str]:
    db.session.expire_all()
    return {**form_values(load_settings(db.session)), **changes}


def png(size: tuple[int, int] = (800, 200), kind: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "navy").save(buffer, format=kind)
    return buffer.getvalue()


def upload(client: FlaskClient, content: bytes, name: str = "logo.png"):  # type: ignore[no-untyped-def]
    builder = EnvironBuilder(
        path="/settings/logo", method="POST", data={"logo": (io.BytesIO(content), name)}
    )
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        # The test client never closes a large body's spooled temp file itself.
        environ["wsgi.input"].close()
        builder.close()


def pdf_image_sizes(pdf: bytes) -> list[tuple[int, int]]:
    """The pixel sizes of the image XObjects on the PDF's first page."""
    resources = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]
    images = [x.get_object() for x in resources.get("/XObject", {}).values()]
    return [(int(i["/Width"]), int(i["/Height"])) for i in images if i["/Subtype"] == "/Image"]


def settings_audits() -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == "settings.change")))


def test_the_form_shows_the_saved_settings(admin_client: FlaskClient) -> None:
    response = admin_client.get("/settings/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="shop_name"' in html and 'value="My Shop"' in html
    assert "₹1,23,456.50" in html
    assert "nothing is renumbered" in html
    assert 'href="/settings/"' in html  # the navbar link


def test_a_cashier_gets_403(client: FlaskClient, cashier) -> None:  # type: ignore[no-untyped-def]
    login(client, "cashier")
    assert client.get("/settings/").status_code == 403
    assert client.post("/settings/", data=current_form(shop_name="Mine")).status_code == 403
    assert 'href="/settings/"' not in client.get("/pos/").get_data(as_text=True)


def test_saving_changes_the_settings_and_audits_before_after(
    admin_client: FlaskClient, admin
) -> None:  # type: ignore[no-untyped-def]
    response = admin_client.post(
        "/settings/", data=current_form(shop_name="Sharma Store", currency="USD", locale="en_US")
    )
    assert response.status_code == 302
    html = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Settings saved." in html and "$123,456.50" in html
    settings = load_settings(db.session)
    assert (settings.shop_name, settings.currency, settings.locale) == (
        "Sharma Store",
        "USD",
        "en_US",
    )
    (entry,) = settings_audits()
    assert entry.user_id == admin.id
    assert json.loads(entry.before) == {
        "shop_name": "My Shop",
        "currency": "INR",
        "locale": "en_IN",
    }
    assert json.loads(entry.after) == {
        "shop_name": "Sharma Store",
        "currency": "USD",
        "locale": "en_US",
    }


def test_errors_reshow_the_form_and_write_nothing(admin_client: FlaskClient) -> None:
    response = admin_client.post(
        "/settings/",
        data=current_form(
            shop_name="Typed <b>name</b>", email="nope", invoice_prefix="bad prefix!"
        ),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "nothing was saved" in html
    assert "Type an email address" in html and "1 to 10 characters" in html
    assert 'value="Typed &lt;b&gt;name&lt;/b&gt;"' in html  # what was typed, escaped
    assert load_settings(db.session).shop_name == "My Shop"
    assert settings_audits() == []


def test_an_empty_post_is_a_422_not_a_500(admin_client: FlaskClient) -> None:
    assert admin_client.post("/settings/", data={}).status_code == 422


def test_the_receipt_and_money_follow_the_settings(admin_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    admin_client.post(
        "/settings/",
        data=current_form(
            receipt_width_mm="58",
            receipt_footer="Shukriya, phir aana",
            currency="USD",
            locale="en_US",
        ),
    )
    soap = make_product(db.session, name="Soap", price="1234.50", tax_rate="0")
    invoice = checkout.checkout(
        db.session,
        checkout.parse_checkout({"items": [{"product_id": soap.id, "quantity": 1}]}),
        admin,
    )
    html = admin_client.get(f"/pos/receipt/{invoice.id}").get_data(as_text=True)
    assert 'data-width-mm="58"' in html and "58mm" in html
    assert "Shukriya, phir aana" in html
    assert "$1,234.50" in html
    assert "data-receipt-logo" not in html


def test_logo_upload_shows_on_page_receipt_and_pdf(
    admin_client: FlaskClient, admin, data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    response = upload(admin_client, png((800, 200)))
    assert response.status_code == 302
    assert "Logo saved (400 × 100 pixels)." in admin_client.get("/settings/").get_data(as_text=True)
    assert len(list((data_dir / "logos").glob("*.png"))) == 1

    soap = make_product(db.session, name="Soap", price="10", tax_rate="0")
    invoice = checkout.checkout(
        db.session,
        checkout.parse_checkout({"items": [{"product_id": soap.id, "quantity": 1}]}),
        admin,
    )
    receipt = admin_client.get(f"/pos/receipt/{invoice.id}").get_data(as_text=True)
    assert "data-receipt-logo" in receipt and "data:image/png;base64," in receipt

    pdf = admin_client.get(f"/invoices/{invoice.id}/pdf")
    assert pdf.status_code == 200
    assert (400, 100) in pdf_image_sizes(pdf.data)

    response = admin_client.post("/settings/logo/remove")
    assert response.status_code == 302
    # The invoice was issued with the logo and keeps it; the next one has none.
    pdf = admin_client.get(f"/invoices/{invoice.id}/pdf")
    assert (400, 100) in pdf_image_sizes(pdf.data)
    receipt = admin_client.get(f"/pos/receipt/{invoice.id}").get_data(as_text=True)
    assert "data-receipt-logo" in receipt
    later = checkout.checkout(
        db.session,
        checkout.parse_checkout({"items": [{"product_id": soap.id, "quantity": 1}]}),
        admin,
    )
    pdf = admin_client.get(f"/invoices/{later.id}/pdf")
    assert (400, 100) not in pdf_image_sizes(pdf.data)
    receipt = admin_client.get(f"/pos/receipt/{later.id}").get_data(as_text=True)
    assert "data-receipt-logo" not in receipt


def test_a_jpeg_logo_is_accepted(admin_client: FlaskClient, data_dir: Path) -> None:
    assert upload(admin_client, png((300, 300), "JPEG"), "shop.jpg").status_code == 302
    [path] = (data_dir / "logos").glob("*.png")
    with Image.open(path) as stored:
        assert stored.format == "PNG" and stored.size == (200, 200)


def test_a_text_file_named_logo_png_is_refused(admin_client: FlaskClient, data_dir: Path) -> None:
    response = upload(admin_client, b"just some text, not an image")
    assert response.status_code == 422
    assert "not a PNG or JPEG image" in response.get_data(as_text=True)
    assert not (data_dir / "logos").exists()
    assert settings_audits() == []


def test_an_oversize_logo_is_refused_clearly(admin_client: FlaskClient, data_dir: Path) -> None:
    response = upload(admin_client, png((10, 10)) + b"\0" * LOGO_MAX_BYTES)
    assert response.status_code == 422
    assert "larger than 2 MB" in response.get_data(as_text=True)
    assert not (data_dir / "logos").exists()


def test_uploading_without_a_file_says_so(admin_client: FlaskClient) -> None:
    response = admin_client.post("/settings/logo", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose a PNG or JPEG file" in response.get_data(as_text=True)


def test_a_bad_gstin_is_reshown_with_the_reason_and_nothing_saved(
    admin_client: FlaskClient,
) -> None:
    response = admin_client.post(
        "/settings/", data=current_form(tax_number="hello", shop_name="Renamed")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A GSTIN has 15 characters." in html and 'value="hello"' in html
    assert "nothing was saved" in html
    settings = load_settings(db.session)
    assert (settings.shop_name, settings.tax_number) == ("My Shop", "")
    assert settings_audits() == []


def test_a_gstin_is_saved_with_its_state(admin_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    page = admin_client.get("/settings/").get_data(as_text=True)
    assert 'name="state_code"' in page and "27 – Maharashtra" in page
    assert 'name="composition_scheme"' in page and "Bills of Supply" in page
    response = admin_client.post(
        "/settings/",
        data=current_form(tax_number="27aapfu0939f1zv", state_code="", composition_scheme="1"),
    )
    assert response.status_code == 302
    settings = load_settings(db.session)
    assert (settings.tax_number, settings.state_code, settings.composition_scheme) == (
        "27AAPFU0939F1ZV",
        "27",
        True,
    )
    (entry,) = settings_audits()
    assert json.loads(entry.after) == {
        "tax_number": "27AAPFU0939F1ZV",
        "state_code": "27",
        "composition_scheme": "1",
    }
    html = admin_client.get("/settings/").get_data(as_text=True)
    assert '<option value="27" selected>' in html


def test_a_state_contradicting_the_gstin_is_refused(admin_client: FlaskClient) -> None:
    response = admin_client.post(
        "/settings/", data=current_form(tax_number="29AAGCB7383J1Z4", state_code="27")
    )
    assert response.status_code == 422
    assert "29 – Karnataka" in response.get_data(as_text=True)
    assert load_settings(db.session).tax_number == ""


def test_the_credit_limit_for_new_customers_is_set_on_the_page(admin_client: FlaskClient) -> None:
    html = admin_client.get("/settings/").get_data(as_text=True)
    assert "Credit limit for new customers" in html
    assert 'name="new_customer_credit_limit"' in html and 'value="2000.00"' in html
    # Bad amounts re-show the page with the reason and save nothing.
    for bad in ("", "-1", "1,000", "abc"):
        response = admin_client.post("/settings/", data=current_form(new_customer_credit_limit=bad))
        assert response.status_code == 422
        assert 'id="f-new_customer_credit_limit"' in response.get_data(as_text=True)
    assert load_settings(db.session).new_customer_credit_limit == 200_000
    assert settings_audits() == []
    admin_client.post(
        "/settings/",
        data=current_form(new_customer_credit_limit="0", new_customer_no_credit_limit="1"),
    )
    db.session.expire_all()
    saved = load_settings(db.session)
    assert (saved.new_customer_credit_limit, saved.new_customer_no_credit_limit) == (0, True)
    assert settings_audits()[-1].after is not None
