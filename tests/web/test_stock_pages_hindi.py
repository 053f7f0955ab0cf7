"""The products, stock and cash drawer pages in Hindi: a browser asking for Hindi reads them so.

They pass once the Hindi catalog holds the translations of these screens (the lead fills it from
the translation fragments); in English the same pages keep their English words.
"""

from __future__ import annotations

from flask.testing import FlaskClient

from posapp.extensions import db
from posapp.models import User
from tests.factories import make_product

HINDI = {"Accept-Language": "hi"}


def test_the_products_list_speaks_hindi(admin_client: FlaskClient, admin: User) -> None:
    make_product(db.session, admin.id, name="Tata Salt 1kg", opening_stock="0")
    html = admin_client.get("/products/", headers=HINDI).get_data(as_text=True)
    assert 'lang="hi"' in html
    assert "सामान जोड़ें" in html  # Add product
    assert "कम स्टॉक" in html  # the Low stock filter
    assert "1 सामान।" in html  # the count under the filters
    assert "खत्म" in html  # the Out badge
    assert "Tata Salt 1kg" in html  # names stay as the shop typed them
    assert "Add product" not in html


def test_a_product_page_speaks_hindi(admin_client: FlaskClient, admin: User) -> None:
    product = make_product(db.session, admin.id, name="Amul Butter", price="56.00")
    html = admin_client.get(f"/products/{product.id}", headers=HINDI).get_data(as_text=True)
    assert "दाम" in html and "स्टॉक बदलाव" in html  # Price, Stock movements
    assert "पिछले 30 दिनों की बिक्री" in html  # Sales of the last 30 days
    assert "माल प्राप्त करें" in html  # Receive stock
    assert "Amul Butter" in html
    assert "Stock movements" not in html


def test_the_stock_page_speaks_hindi(admin_client: FlaskClient) -> None:
    html = admin_client.get("/inventory/", headers=HINDI).get_data(as_text=True)
    assert "हाल की खरीद" in html  # Recent purchases
    assert "स्टॉक गिनती" in html  # the Stock count tab
    assert "अभी कोई खरीद नहीं।" in html  # No purchases yet.
    assert "Recent purchases" not in html


def test_the_cash_drawer_page_speaks_hindi(admin_client: FlaskClient) -> None:
    html = admin_client.get("/cash/", headers=HINDI).get_data(as_text=True)
    assert '<h1 class="h3 mb-3">गल्ला</h1>' in html  # Cash drawer
    assert "शुरुआती नकद" in html  # Opening float
    assert "हिसाब शुरू करें" in html  # Open session
    assert "Opening float" not in html


def test_the_same_pages_stay_english_for_an_english_browser(admin_client: FlaskClient) -> None:
    english = {"Accept-Language": "en"}
    assert "Add product" in admin_client.get("/products/", headers=english).get_data(as_text=True)
    assert "Recent purchases" in admin_client.get("/inventory/", headers=english).get_data(
        as_text=True
    )
    assert "Opening float" in admin_client.get("/cash/", headers=english).get_data(as_text=True)
