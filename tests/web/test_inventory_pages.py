"""Pages of posapp/web/inventory.py: receive stock, adjust, count, expiring, stock settings."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import Product, Purchase, StockMovement
from posapp.models.base import write_transaction
from posapp.services.settings import load_settings, save_settings
from tests.factories import make_product


def movement_count() -> int:
    return db.session.scalar(select(func.count()).select_from(StockMovement))


def stock(product: Product) -> int:
    db.session.expire_all()
    return db.session.get(Product, product.id).stock_milli


def receive_form(*lines: tuple[str, str, str, str, str], **extra: str) -> dict:
    data: dict = {"supplier": "Metro", "reference": "B-1", "note": ""}
    data.update(extra)
    for name, index in (
        ("code", 0),
        ("quantity", 1),
        ("unit_cost", 2),
        ("expiry", 3),
        ("batch", 4),
    ):
        data[name] = [line[index] for line in lines]
    return data


def test_receive_stock_adds_stock_and_shows_the_purchase(admin_client: FlaskClient) -> None:
    rice = make_product(db.session, name="Rice", unit="kg", opening_stock="10", cost="40")
    page = admin_client.get(f"/inventory/receive?code={rice.code}").get_data(as_text=True)
    assert f'value="{rice.code}"' in page
    response = admin_client.post(
        "/inventory/receive",
        data=receive_form((rice.code, "30", "48", "2027-01-31", "L7"), ("", "", "", "", "")),
    )
    assert response.status_code == 302
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "PUR-000001" in page and "31-01-2027" in page and "L7" in page
    assert stock(rice) == 40_000
    assert db.session.get(Product, rice.id).cost == 4600


def test_receive_stock_errors_reshow_the_form_and_write_nothing(admin_client: FlaskClient) -> None:
    salt = make_product(db.session, name="Salt")
    before = movement_count()
    response = admin_client.post(
        "/inventory/receive",
        data=receive_form((salt.code, "2.5", "10", "", ""), ("<b>nope</b>", "1", "1", "", "")),
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Line 1 (Salt): Pieces are counted in whole numbers." in html
    assert "no product with the code or name &lt;b&gt;nope&lt;/b&gt;" in html
    assert 'value="2.5"' in html  # what was typed stays
    assert movement_count() == before
    assert db.session.scalar(select(func.count()).select_from(Purchase)) == 0
    response = admin_client.post("/inventory/receive", data=receive_form(("", "", "", "", "")))
    assert response.status_code == 422
    assert "Add at least one line." in response.get_data(as_text=True)


def test_receive_stock_records_the_supplier_gstin_and_input_tax(
    admin_client: FlaskClient,
) -> None:
    with write_transaction(db.session):
        save_settings(db.session, state_code="27")
    oil = make_product(db.session, name="Oil", tax_rate="18")
    page = admin_client.get("/inventory/receive").get_data(as_text=True)
    assert "Unit cost" in page and "(before tax)" in page and 'name="supplier_gstin"' in page
    assert '<option value="18.00">' in page and "29 – Karnataka" in page
    response = admin_client.post(
        "/inventory/receive",
        data=receive_form(
            (oil.code, "3", "10.01", "", ""),
            supplier_gstin="29AAGCB7383J1Z4",
            bill_date="2026-11-30",
            tax_rate=["18"],
        ),
    )
    assert response.status_code == 302
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "29AAGCB7383J1Z4" in page and "29 – Karnataka" in page and "30-11-2026" in page
    # 3 × 10.01 = 30.03 taxable; IGST 18 % = 5.41; the bill 35.44
    assert re.search(r"data-purchase-taxable>₹30.03<", page)
    assert re.search(r"data-purchase-igst>₹5.41<", page)
    assert re.search(r"data-purchase-bill-total>₹35.44<", page)
    listing = admin_client.get("/inventory/").get_data(as_text=True)
    assert "29AAGCB7383J1Z4" in listing and "₹5.41" in listing and "₹35.44" in listing


def test_receive_stock_refuses_a_bad_gstin_and_keeps_what_was_typed(
    admin_client: FlaskClient,
) -> None:
    oil = make_product(db.session, name="Oil")
    before = movement_count()
    response = admin_client.post(
        "/inventory/receive",
        data=receive_form(
            (oil.code, "1", "5", "", ""),
            supplier_gstin="27AAPFU0939F1ZW",
            bill_date="2999-12-31",
            tax_rate=["120"],
        ),
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "check character is wrong" in html
    assert "cannot be in the future" in html
    assert "Line 1 (Oil): Percentage must be between 0 and 100." in html
    assert 'value="27AAPFU0939F1ZW"' in html and 'value="120"' in html
    assert movement_count() == before
    assert db.session.scalar(select(func.count()).select_from(Purchase)) == 0


def test_adjust_stock_page(admin_client: FlaskClient) -> None:
    milk = make_product(db.session, name="Milk", opening_stock="10")
    url = f"/inventory/adjust/{milk.id}"
    assert "Adjust stock of Milk" in admin_client.get(url).get_data(as_text=True)
    response = admin_client.post(
        url, data={"reason": "adjust_damage", "direction": "remove", "quantity": "2", "note": "x"}
    )
    assert response.status_code == 302
    assert stock(milk) == 8000
    response = admin_client.post(
        url, data={"reason": "adjust_damage", "direction": "add", "quantity": "2"}
    )
    assert response.status_code == 422
    assert "must be negative" in response.get_data(as_text=True)
    response = admin_client.post(
        url, data={"reason": "adjust_loss", "direction": "remove", "quantity": "20"}
    )
    assert response.status_code == 409
    assert "Not enough stock of Milk" in response.get_data(as_text=True)
    response = admin_client.post(
        url, data={"reason": "adjust_count", "direction": "add", "quantity": "abc"}
    )
    assert response.status_code == 422
    assert re.search(
        r'id="f-quantity-error">Quantity must be a number', response.get_data(as_text=True)
    )
    assert stock(milk) == 8000


def test_stock_count_page_books_differences(admin_client: FlaskClient) -> None:
    rice = make_product(db.session, name="Rice", unit="kg", opening_stock="10", category="Grains")
    salt = make_product(db.session, name="Salt", opening_stock="7")
    page = admin_client.get("/inventory/count?category=Grains").get_data(as_text=True)
    assert "Rice" in page and "Salt" not in page
    response = admin_client.post(
        "/inventory/count", data={f"count-{rice.id}": "9.5", f"count-{salt.id}": "1.5"}
    )
    assert response.status_code == 422
    assert "Salt: Pieces are counted in whole numbers." in response.get_data(as_text=True)
    assert stock(rice) == 10_000
    response = admin_client.post(
        "/inventory/count",
        data={f"count-{rice.id}": "9.5", f"count-{salt.id}": "", "note": "shelf 1"},
        follow_redirects=True,
    )
    assert "differences: 1." in response.get_data(as_text=True)
    assert stock(rice) == 9500 and stock(salt) == 7000


def test_expiring_page_lists_batches_in_stock(admin_client: FlaskClient) -> None:
    curd = make_product(db.session, name="Curd", opening_stock="0")
    admin_client.post(
        "/inventory/receive", data=receive_form((curd.code, "4", "20", "2000-01-01", "OLD"))
    )
    html = admin_client.get("/inventory/expiring").get_data(as_text=True)
    assert "Curd" in html and "Expired" in html and "OLD" in html
    assert "Nothing in stock expires" not in html


def test_stock_settings_validate_and_save(admin_client: FlaskClient) -> None:
    form = {
        "stock_policy": "warn",
        "low_stock_default": "3",
        "expiry_warning_days": "15",
        "dead_stock_days": "90",
    }
    bad = {**form, "expiry_warning_days": "0", "low_stock_default": "-1", "stock_policy": "x"}
    response = admin_client.post("/inventory/settings", data=bad)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "A whole number of days from 1 to 365." in html
    assert "cannot be negative" in html
    assert 'Choose "block" or "warn"' in html or "Choose &#34;block&#34; or &#34;warn&#34;" in html
    assert load_settings(db.session).expiry_warning_days == 30
    assert admin_client.post("/inventory/settings", data=form).status_code == 302
    saved = load_settings(db.session)
    assert saved.stock_policy == "warn" and saved.allow_negative_stock is True
    assert (saved.low_stock_default_milli, saved.expiry_warning_days) == (3000, 15)
    assert saved.dead_stock_days == 90
    admin_client.post("/inventory/settings", data={**form, "stock_policy": "block"})
    assert load_settings(db.session).stock_policy == "block"


def test_low_stock_badge_in_the_navbar(admin_client: FlaskClient) -> None:
    make_product(db.session, name="Tea", opening_stock="1", low_stock_threshold="5")
    html = admin_client.get("/inventory/").get_data(as_text=True)
    assert re.search(r"data-low-stock-badge[^>]*>\s*<span[^>]*>1 low<", html)
