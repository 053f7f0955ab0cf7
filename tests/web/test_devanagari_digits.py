"""The setting `devanagari_digits` on the pages: Hindi and Marathi screens write ०-९, English
screens and every value sent back (form fields, data attributes, the API) keep 0-9; the
settings page and the API set it, audited."""

from __future__ import annotations

import json
import re

from flask.testing import FlaskClient
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import AuditLog, Product, User
from posapp.models.base import write_transaction
from posapp.services import checkout
from posapp.services.settings import load_settings, save_settings
from posapp.services.shop_settings import form_values
from tests.factories import make_product

HINDI = {"Accept-Language": "hi"}
MARATHI = {"Accept-Language": "mr"}
DEVANAGARI = set("०१२३४५६७८९")


def configure_shop(**values: object) -> None:
    with write_transaction(db.session):
        save_settings(db.session, **values)


def fridge() -> Product:
    return make_product(
        db.session, price="125000.00", unit="kg", opening_stock="2.5", tax_rate="18"
    )


def page(client: FlaskClient, url: str, headers: dict[str, str] | None = None) -> str:
    response = client.get(url, headers=headers or {})
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_a_hindi_page_with_the_setting_on_writes_devanagari_digits(
    admin_client: FlaskClient,
) -> None:
    configure_shop(devanagari_digits=True)
    product = fridge()
    html = page(admin_client, f"/products/{product.id}", HINDI)
    assert "₹१,२५,०००.००" in html and "₹1,25,000.00" not in html
    assert "२.५००" in html  # the stock, a quantity
    assert re.search(r"[०-९]{2}-[०-९]{2}-[०-९]{4} [०-९]{2}:[०-९]{2}", html)  # a stock move's time
    assert not re.search(r"[0-9]{2}-[0-9]{2}-[0-9]{4}", html)
    assert 'data-digits="deva"' in html  # the page's scripts write ०-९ too


def test_a_marathi_page_too(admin_client: FlaskClient) -> None:
    configure_shop(devanagari_digits=True)
    product = fridge()
    assert "₹१,२५,०००.००" in page(admin_client, f"/products/{product.id}", MARATHI)


def test_with_the_setting_off_a_hindi_page_keeps_0_to_9(admin_client: FlaskClient) -> None:
    product = fridge()
    html = page(admin_client, f"/products/{product.id}", HINDI)
    assert "₹1,25,000.00" in html and "₹१,२५,०००.००" not in html
    assert "data-digits" not in html


def test_an_english_page_never_changes(admin_client: FlaskClient) -> None:
    configure_shop(devanagari_digits=True)
    product = fridge()
    html = page(admin_client, f"/products/{product.id}")
    assert "₹1,25,000.00" in html and "data-digits" not in html
    assert not DEVANAGARI & set(html)


def test_form_fields_keep_0_to_9_on_a_devanagari_page(admin_client: FlaskClient) -> None:
    configure_shop(devanagari_digits=True)
    product = fridge()
    html = page(admin_client, f"/products/{product.id}/edit", HINDI)
    assert 'value="125000.00"' in html


def test_amounts_typed_in_devanagari_digits_are_read_as_0_to_9(
    admin_client: FlaskClient,
) -> None:
    data = {**form_values(load_settings(db.session)), "new_customer_credit_limit": "२५००.५०"}
    assert admin_client.post("/settings/", data=data, headers=HINDI).status_code == 302
    db.session.expire_all()
    assert load_settings(db.session).new_customer_credit_limit == 250050
    # The form shows it back as typed values are shown: 0-9.
    assert 'value="2500.50"' in page(admin_client, "/settings/", HINDI)


def sell(user: User) -> int:
    product = fridge()
    payload = {
        "items": [{"product_id": product.id, "quantity": "1"}],
        "payments": [{"method": "cash", "amount": "125000.00"}],
    }
    return checkout.checkout(db.session, checkout.parse_checkout(payload), user).id


def receipt_of(html: str) -> str:
    return html[html.index("<article") : html.index("</article>")]


def test_a_hindi_receipt_writes_devanagari_digits_whatever_the_screen(
    admin_client: FlaskClient, admin: User
) -> None:
    configure_shop(documents_language="hi", devanagari_digits=True, tax_number="29ABCDE1234F1ZW")
    invoice_id = sell(admin)
    html = page(admin_client, f"/pos/receipt/{invoice_id}")
    receipt = receipt_of(html)
    assert "₹१,२५,०००.००" in receipt and "₹1,25,000.00" not in receipt
    assert "<td>१८%</td>" in receipt  # the tax rate row, through |percent
    assert "29ABCDE1234F1ZW" in receipt  # the GSTIN is an identifier: 0-9
    assert "data-digits" not in html  # the screen is English: its scripts write 0-9


def test_an_english_receipt_on_a_devanagari_screen_keeps_0_to_9(
    admin_client: FlaskClient, admin: User
) -> None:
    configure_shop(devanagari_digits=True)
    invoice_id = sell(admin)
    html = page(admin_client, f"/pos/receipt/{invoice_id}", HINDI)
    receipt = receipt_of(html)
    assert "₹1,25,000.00" in receipt
    assert not DEVANAGARI & set(receipt)


def test_the_settings_page_saves_it_audited(admin_client: FlaskClient, admin: User) -> None:
    html = page(admin_client, "/settings/")
    assert 'name="devanagari_digits"' in html
    data = {**form_values(load_settings(db.session)), "devanagari_digits": "1"}
    assert admin_client.post("/settings/", data=data).status_code == 302
    db.session.expire_all()
    assert load_settings(db.session).devanagari_digits is True
    (entry,) = db.session.scalars(select(AuditLog).where(AuditLog.action == "settings.change"))
    assert entry.user_id == admin.id
    assert json.loads(entry.before) == {"devanagari_digits": "0"}
    assert json.loads(entry.after) == {"devanagari_digits": "1"}
    assert 'name="devanagari_digits" value="1" checked' in page(admin_client, "/settings/")


def test_the_settings_page_refuses_a_bad_value_and_writes_nothing(
    admin_client: FlaskClient,
) -> None:
    data = {**form_values(load_settings(db.session)), "devanagari_digits": "maybe"}
    response = admin_client.post("/settings/", data=data)
    assert response.status_code == 422
    db.session.expire_all()
    assert load_settings(db.session).devanagari_digits is False


def test_the_api_sets_it_audited_and_a_cashier_reads_it(
    client: FlaskClient, admin_headers: dict[str, str], cashier_headers: dict[str, str]
) -> None:
    assert (
        client.get("/api/settings", headers=cashier_headers).get_json()["devanagari_digits"]
        is False
    )
    response = client.put(
        "/api/settings", headers=admin_headers, json={"devanagari_digits": "sometimes"}
    )
    assert response.status_code == 422
    assert "devanagari_digits" in response.get_json()["error"]["details"]["fields"]
    response = client.put("/api/settings", headers=admin_headers, json={"devanagari_digits": True})
    assert response.status_code == 200 and response.get_json()["devanagari_digits"] is True
    db.session.expire_all()
    assert load_settings(db.session).devanagari_digits is True
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "settings.change"))
    # The API's amounts stay plain decimals whatever the setting.
    product = fridge()
    body = client.get(f"/api/products/{product.id}", headers={**cashier_headers, **HINDI})
    assert body.get_json()["price"] == "125000.00"


def test_the_till_tells_its_scripts(cashier_client: FlaskClient) -> None:
    configure_shop(devanagari_digits=True)
    assert 'data-digits="deva"' in page(cashier_client, "/pos/", HINDI)
    assert "data-digits" not in page(cashier_client, "/pos/")
