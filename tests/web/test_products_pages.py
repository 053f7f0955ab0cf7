"""Pages of posapp/web/products.py: list, add, edit, archive/restore, detail with its QR code."""

from __future__ import annotations

import io
import re

import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import Product
from posapp.money import is_valid_ean13
from tests.factories import make_product

FORM = {
    "name": "Tata Salt 1kg",
    "code": "",
    "category": "Grocery",
    "unit": "pcs",
    "price": "28.00",
    "mrp": "30.00",
    "cost": "24.50",
    "tax_rate": "5",
    "hsn": "2501",
    "opening_stock": "10",
    "low_stock_threshold": "3",
    "supplier": "Metro Wholesale",
    "location": "Aisle 2",
    "color": "Blue",
    "aliases": "Namak, salt",
}
ALL_FIELDS = [*FORM, "perishable", "another"]


def product_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Product))


def field_error(html: str, name: str) -> str:
    """Return the message shown under a form field, or '' when it has none."""
    match = re.search(rf'id="f-{name}-error">([^<]*)<', html)
    return match.group(1) if match else ""


# --- who may see them -------------------------------------------------------------------------


def test_cashiers_get_403_on_product_pages(cashier_client: FlaskClient) -> None:
    product = make_product(db.session)
    for url in (
        "/products/",
        "/products/new",
        f"/products/{product.id}",
        f"/products/{product.id}/edit",
    ):
        assert cashier_client.get(url).status_code == 403, url
    for url in ("/products/new", f"/products/{product.id}/archive"):
        assert cashier_client.post(url, data=FORM).status_code == 403, url
    assert product_count() == 1
    assert db.session.get(Product, product.id).archived is False


def test_cashiers_may_fetch_qr_codes(cashier_client: FlaskClient) -> None:
    product = make_product(db.session)
    assert cashier_client.get(f"/products/{product.id}/qr.png").status_code == 200


# --- list -------------------------------------------------------------------------------------


def test_list_search_and_archived_tab(admin_client: FlaskClient) -> None:
    make_product(db.session, name="Tata Salt 1kg", code="8904043901015")
    make_product(db.session, name="Amul Butter 100g")
    old = make_product(db.session, name="Old Soap")
    admin_client.post(f"/products/{old.id}/archive")

    html = admin_client.get("/products/").get_data(as_text=True)
    table = html.split("<tbody>")[1]
    assert "Tata Salt 1kg" in table
    assert "Amul Butter 100g" in table
    assert "Old Soap" not in table
    assert "2 products." in html

    html = admin_client.get("/products/?q=tata").get_data(as_text=True)
    assert "Tata Salt 1kg" in html
    assert "Amul Butter" not in html

    html = admin_client.get("/products/?q=890404").get_data(as_text=True)
    assert "Tata Salt 1kg" in html

    html = admin_client.get("/products/?archived=1").get_data(as_text=True)
    assert "Old Soap" in html
    assert "Tata Salt" not in html


def test_empty_list_invites_the_first_product(admin_client: FlaskClient) -> None:
    html = admin_client.get("/products/").get_data(as_text=True)
    assert "No products yet." in html
    assert 'href="/products/new"' in html


def test_list_escapes_names(admin_client: FlaskClient) -> None:
    make_product(db.session, name="<script>alert(1)</script>")
    html = admin_client.get("/products/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- add --------------------------------------------------------------------------------------


def test_new_form_has_every_field(admin_client: FlaskClient) -> None:
    make_product(db.session, name="Milk", category="Dairy")
    html = admin_client.get("/products/new").get_data(as_text=True)
    for name in ALL_FIELDS:
        assert f'name="{name}"' in html, name
    assert 'name="csrf_token"' in html
    for unit in ("pcs", "kg", "g", "l", "ml", "m"):
        assert f'<option value="{unit}"' in html
    assert '<option value="pcs" selected>' in html
    datalist = html.split('id="tax-presets"')[1].split("</datalist>")[0]
    assert re.findall(r'<option value="([\d.]+)">', datalist) == ["0", "0.25", "3", "5", "18", "40"]
    assert '<option value="Dairy">' in html.split('id="category-list"')[1]
    assert "Save and add another" in html


def test_create_with_a_blank_code_gets_an_internal_ean13(admin_client: FlaskClient) -> None:
    response = admin_client.post("/products/new", data=FORM)
    product = db.session.scalar(select(Product))
    assert product is not None
    assert response.status_code == 302
    assert response.headers["Location"] == f"/products/{product.id}"
    assert is_valid_ean13(product.code)
    assert product.code.startswith("200")
    assert (product.price, product.mrp, product.cost) == (2800, 3000, 2450)
    assert (product.tax_rate_bp, product.stock_milli, product.low_stock_milli) == (500, 10000, 3000)
    assert (product.hsn, product.supplier, product.location, product.color) == (
        "2501",
        "Metro Wholesale",
        "Aisle 2",
        "Blue",
    )
    assert product.category_name == "Grocery"
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Added Tata Salt 1kg ({product.code})." in page


def test_save_and_add_another_returns_to_an_empty_form(admin_client: FlaskClient) -> None:
    response = admin_client.post("/products/new", data={**FORM, "another": "1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/products/new"
    html = admin_client.get("/products/new").get_data(as_text=True)
    assert "Added Tata Salt 1kg" in html
    assert 'value="Tata Salt 1kg"' not in html


def test_measured_units_take_three_decimals(admin_client: FlaskClient) -> None:
    data = {
        **FORM,
        "name": "Basmati Rice",
        "unit": "kg",
        "price": "120",
        "mrp": "",
        "opening_stock": "12.5",
    }
    assert admin_client.post("/products/new", data=data).status_code == 302
    assert db.session.scalar(select(Product)).stock_milli == 12500


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("12.345", "at most 2 decimals"),
        ("0", "more than zero"),
        ("abc", "must be a number"),
        ("", "Required."),
    ],
)
def test_bad_price_re_shows_the_form_and_writes_nothing(
    admin_client: FlaskClient, price: str, message: str
) -> None:
    response = admin_client.post("/products/new", data={**FORM, "price": price})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message.lower() in field_error(html, "price").lower()
    assert 'id="f-price"' in html
    assert "is-invalid" in html
    assert 'value="Tata Salt 1kg"' in html  # what was typed stays
    assert product_count() == 0


def test_every_field_error_is_shown_at_once(admin_client: FlaskClient) -> None:
    data = {**FORM, "name": "", "tax_rate": "101", "unit": "dozen", "opening_stock": "1.5"}
    response = admin_client.post("/products/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(html, "name") == "Name is required."
    assert "between 0 and 100" in field_error(html, "tax_rate")
    assert "Unit must be one of" in field_error(html, "unit")
    assert "data-form-error" in html
    assert product_count() == 0


def test_mrp_below_price_and_wrong_check_digit_are_refused(admin_client: FlaskClient) -> None:
    data = {**FORM, "mrp": "20.00", "code": "8901234567891"}
    html = admin_client.post("/products/new", data=data).get_data(as_text=True)
    assert "MRP cannot be below the selling price." in field_error(html, "mrp")
    assert "check digit" in field_error(html, "code")
    assert product_count() == 0


def test_duplicate_name_is_a_409_with_the_field_marked(admin_client: FlaskClient) -> None:
    make_product(db.session, name="Tata Salt 1kg")
    response = admin_client.post("/products/new", data=FORM)
    assert response.status_code == 409
    assert field_error(response.get_data(as_text=True), "name") == "This name is taken."
    assert product_count() == 1


# --- edit, archive, restore, detail -----------------------------------------------------------


def test_edit_form_is_filled_and_has_no_opening_stock(admin_client: FlaskClient) -> None:
    product = make_product(db.session, name="Amul Butter 100g", price="58.00", tax_rate="12")
    html = admin_client.get(f"/products/{product.id}/edit").get_data(as_text=True)
    assert 'value="Amul Butter 100g"' in html
    assert 'value="58.00"' in html
    assert 'value="12"' in html
    assert 'name="opening_stock"' not in html
    assert "Save and add another" not in html
    assert f'action="/products/{product.id}/edit"' in html


def test_edit_saves_and_bad_input_changes_nothing(admin_client: FlaskClient) -> None:
    product = make_product(db.session, name="Amul Butter 100g", price="58.00")
    values = {"name": "Amul Butter 100g", "unit": "pcs", "price": "60.00", "tax_rate": "12"}
    response = admin_client.post(f"/products/{product.id}/edit", data=values)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/products/{product.id}"
    db.session.expire_all()
    assert (product.price, product.tax_rate_bp) == (6000, 1200)

    bad = admin_client.post(f"/products/{product.id}/edit", data={**values, "price": "6.005"})
    assert bad.status_code == 422
    assert "at most 2 decimals" in field_error(bad.get_data(as_text=True), "price")
    db.session.expire_all()
    assert product.price == 6000


def test_aliases_are_saved_shown_and_checked(admin_client: FlaskClient) -> None:
    assert admin_client.post("/products/new", data=FORM).status_code == 302
    salt = db.session.scalar(select(Product).where(Product.name == "Tata Salt 1kg"))
    assert salt.aliases == "namak,salt"
    edit = admin_client.get(f"/products/{salt.id}/edit").get_data(as_text=True)
    assert 'value="namak, salt"' in edit
    detail = admin_client.get(f"/products/{salt.id}").get_data(as_text=True)
    assert re.search(r"<dd[^>]*data-aliases>namak, salt</dd>", detail)

    values = {**FORM, "aliases": ", ".join(f"word{n}" for n in range(13))}
    values.pop("opening_stock")
    bad = admin_client.post(f"/products/{salt.id}/edit", data=values)
    assert bad.status_code == 422
    assert (
        field_error(bad.get_data(as_text=True), "aliases") == "At most 12 aliases (there are 13)."
    )
    long = admin_client.post(f"/products/{salt.id}/edit", data={**values, "aliases": "x" * 31})
    assert "Each alias at most 30 characters" in field_error(long.get_data(as_text=True), "aliases")
    db.session.expire_all()
    assert salt.aliases == "namak,salt"

    cleared = admin_client.post(f"/products/{salt.id}/edit", data={**values, "aliases": ""})
    assert cleared.status_code == 302
    db.session.expire_all()
    assert salt.aliases == ""


def test_the_perishable_switch_is_saved_shown_and_unticked_clears_it(
    admin_client: FlaskClient,
) -> None:
    new_form = admin_client.get("/products/new").get_data(as_text=True)
    switch = re.search(r'<input[^>]*name="perishable"[^>]*>', new_form)
    assert switch and 'role="switch"' in switch.group(0) and "checked" not in switch.group(0)
    assert "Perishable — returns do not go back on the shelf by default" in new_form

    milk_form = {**FORM, "name": "Amul Taaza Milk 500 ml", "aliases": "doodh"}
    assert (
        admin_client.post("/products/new", data={**milk_form, "perishable": "1"}).status_code == 302
    )
    milk = db.session.scalar(select(Product).where(Product.name == "Amul Taaza Milk 500 ml"))
    assert milk.perishable is True
    edit = admin_client.get(f"/products/{milk.id}/edit").get_data(as_text=True)
    switch = re.search(r'<input[^>]*name="perishable"[^>]*>', edit)
    assert switch and "checked" in switch.group(0)
    detail = admin_client.get(f"/products/{milk.id}").get_data(as_text=True)
    assert re.search(r"<dd[^>]*data-perishable>Yes — returns do not go back", detail)

    # An unticked switch sends nothing: saving the form clears the flag.
    values = {k: v for k, v in milk_form.items() if k != "opening_stock"}
    assert admin_client.post(f"/products/{milk.id}/edit", data=values).status_code == 302
    db.session.expire_all()
    assert milk.perishable is False
    detail = admin_client.get(f"/products/{milk.id}").get_data(as_text=True)
    assert re.search(r"<dd[^>]*data-perishable>No</dd>", detail)

    bad = admin_client.post(f"/products/{milk.id}/edit", data={**values, "perishable": "maybe"})
    assert bad.status_code == 422
    assert field_error(bad.get_data(as_text=True), "perishable") == "Perishable must be yes or no."


def test_archive_and_restore(admin_client: FlaskClient) -> None:
    product = make_product(db.session, name="Old Soap")
    detail = admin_client.get(f"/products/{product.id}").get_data(as_text=True)
    assert f'action="/products/{product.id}/archive"' in detail
    response = admin_client.post(f"/products/{product.id}/archive")
    assert response.headers["Location"] == "/products/"
    db.session.expire_all()
    assert product.archived is True
    detail = admin_client.get(f"/products/{product.id}").get_data(as_text=True)
    assert "Archived" in detail
    assert f'action="/products/{product.id}/restore"' in detail
    admin_client.post(f"/products/{product.id}/restore")
    db.session.expire_all()
    assert product.archived is False


def test_detail_shows_facts_qr_and_movements(admin_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    product = make_product(
        db.session, admin.id, name="Basmati Rice", unit="kg", price="120.00", opening_stock="25"
    )
    html = admin_client.get(f"/products/{product.id}").get_data(as_text=True)
    assert product.code in html
    assert "₹120.00" in html
    assert f'src="/products/{product.id}/qr.png"' in html
    assert f'href="/products/{product.id}/edit"' in html
    assert "Opening stock" in html
    assert "+25.000 kg" in html


def test_unknown_product_is_a_404_page(admin_client: FlaskClient) -> None:
    response = admin_client.get("/products/999")
    assert response.status_code == 404
    assert "No such product." in response.get_data(as_text=True)


def test_qr_code_is_a_png_of_the_code(admin_client: FlaskClient) -> None:
    product = make_product(db.session)
    response = admin_client.get(f"/products/{product.id}/qr.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    body = response.get_data()
    assert body.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(body)) as image:
        image.load()
        assert image.format == "PNG"
        width, height = image.size
    assert width == height >= 100


def test_product_page_shows_barcode_sales_and_expiry(admin_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    from posapp.services import checkout, inventory

    product = make_product(db.session, name="Curd", price="25.00", opening_stock="10")
    checkout.checkout(
        db.session,
        checkout.parse_checkout({"items": [{"product_id": product.id, "quantity": 3}]}),
        admin,
    )
    inventory.receive_stock(
        db.session,
        {
            "lines": [
                {"code": product.code, "quantity": "5", "unit_cost": "18", "expiry": "2001-01-01"}
            ]
        },
        admin.id,
    )
    html = admin_client.get(f"/products/{product.id}").get_data(as_text=True)
    assert f"/products/{product.id}/barcode.svg" in html
    assert re.search(r"data-sales-30>3 pcs sold on 1 bill for ₹75.00", html)
    assert "expired on 01-01-2001" in html
    svg = admin_client.get(f"/products/{product.id}/barcode.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data


def test_list_filters_and_sort(admin_client: FlaskClient) -> None:
    make_product(db.session, name="Zero", opening_stock="0", category="Dairy")
    make_product(db.session, name="Plenty", opening_stock="500", category="Grocery")
    html = admin_client.get("/products/?filter=out").get_data(as_text=True)
    assert "Zero" in html and "Plenty" not in html
    html = admin_client.get("/products/?category=Grocery&sort=-stock").get_data(as_text=True)
    assert "Plenty" in html and ">Zero<" not in html
    assert admin_client.get("/products/?sort=bogus&filter=bogus&page=x").status_code == 200


def test_next_and_previous_page_by_key(admin_client: FlaskClient) -> None:
    from posapp.web.products import PER_PAGE

    for i in range(PER_PAGE + 3):
        make_product(db.session, name=f"Item {i:03d}")
    html = admin_client.get("/products/").get_data(as_text=True)
    last_on_first = f"Item {PER_PAGE - 1:03d}"
    assert last_on_first in html and f"Item {PER_PAGE:03d}<" not in html
    match = re.search(r'href="(/products/\?[^"]*after=\d+[^"]*)"', html)
    assert match, "the Next link pages by key"
    second = admin_client.get(match.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "Page 2 of 2" in second
    assert f"Item {PER_PAGE:03d}" in second and last_on_first not in second
    back = re.search(r'href="(/products/\?[^"]*before=\d+[^"]*)"', second)
    assert back
    first = admin_client.get(back.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "Page 1 of 2" in first and last_on_first in first
    assert "Item 000" in admin_client.get("/products/?page=1&after=abc").get_data(as_text=True)


def test_category_lists_follow_the_catalog_order_ignoring_case(admin_client: FlaskClient) -> None:
    # catalog.category_names sorts without regard to case, as the till and stock count do;
    # the product pages used to sort capitals first ("Snacks" before "dairy").
    for name in ("Snacks", "dairy", "Bakery"):
        make_product(db.session, name=f"{name} item", category=name)
    expected = ["Bakery", "dairy", "Snacks"]
    listing = admin_client.get("/products/").get_data(as_text=True)
    select_box = listing.split("All categories</option>")[1].split("</select>")[0]
    assert re.findall(r'<option value="([^"]+)"', select_box) == expected
    form = admin_client.get("/products/new").get_data(as_text=True)
    datalist = form.split('id="category-list"')[1].split("</datalist>")[0]
    assert re.findall(r'<option value="([^"]+)"', datalist) == expected
