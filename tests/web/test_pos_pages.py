"""Pages of posapp/web/pos.py: the till, its price preview, CSRF on both, and the receipt."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from posapp.extensions import db
from posapp.models import User
from posapp.models.base import write_transaction
from posapp.services import cash_sessions, checkout, inventory
from posapp.services.settings import save_settings
from tests.factories import PASSWORD, make_customer, make_product, make_user
from tests.web.helpers import login


def meta_csrf(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "the layout carries the CSRF token for the page's JavaScript"
    return match.group(1)


def form_csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "every form carries a csrf_token field"
    return match.group(1)


# --- the till page ----------------------------------------------------------------------------


def test_till_page_has_the_focused_scan_field(admin_client: FlaskClient) -> None:
    response = admin_client.get("/pos/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    scan = re.search(r"<input[^>]*\bid=\"scan\"[^>]*>", html)
    assert scan, "the scan field exists"
    assert " autofocus" in scan.group(0)
    assert 'autocomplete="off"' in scan.group(0)
    for hook in (
        'id="cart-body"',
        'id="total-amount"',
        'id="tendered"',
        'id="change"',
        'id="complete"',
        'id="bill-discount"',
        'id="new-bill"',
    ):
        assert hook in html, hook
    assert 'data-lookup-url="/api/v1/products/lookup"' in html
    assert 'data-search-url="/api/v1/products"' in html
    assert 'data-price-url="/pos/price"' in html
    assert 'data-checkout-url="/api/v1/invoice/create"' in html
    assert '<script type="module" src="/static/js/pos.js">' in html
    assert "<kbd>F9</kbd>" in html
    meta_csrf(html)


def test_till_asks_for_a_cash_session_only_when_one_is_required_and_none_is_open(
    admin_client: FlaskClient, admin: User
) -> None:
    banner = 'id="drawer-banner"'
    assert banner not in admin_client.get("/pos/").get_data(as_text=True)  # not required
    with write_transaction(db.session):
        save_settings(db.session, cash_session_required=True)
    html = admin_client.get("/pos/").get_data(as_text=True)
    assert banner in html
    assert "Open a cash session before selling" in html
    assert 'href="/cash/"' in html
    cash_sessions.open_session(db.session, {"opening_float": "500"}, admin)
    assert banner not in admin_client.get("/pos/").get_data(as_text=True)


def test_cashiers_use_the_till(client: FlaskClient, admin, cashier) -> None:  # type: ignore[no-untyped-def]
    login(client, "cashier")
    assert client.get("/pos/").status_code == 200


# --- the price preview ------------------------------------------------------------------------


def test_price_preview_answers_the_server_totals(admin_client: FlaskClient) -> None:
    salt = make_product(db.session, name="Tata Salt 1kg", price="45.00", tax_rate="5")
    rice = make_product(db.session, name="Basmati Rice", price="120.00", tax_rate="5", unit="kg")
    cart = {
        "items": [
            {"product_id": salt.id, "quantity": "2"},
            {"product_id": rice.id, "quantity": "1.250"},
        ]
    }
    response = admin_client.post("/pos/price", json=cart)
    body = response.get_json()
    assert response.status_code == 200
    assert (body["subtotal"], body["discount_total"], body["total"]) == ("240.00", "0.00", "240.00")
    # Prices include 5 % tax, halves intra-state: half = round(net × 2.5 / 105), tax = 2 × half.
    # Salt 9000 × 500 / 21000 = 214.29 -> 214, tax 428; rice 15000 × 500 / 21000 = 357.14
    # -> 357, tax 714; 428 + 714 = 1142.
    assert body["tax_total"] == "11.42"
    assert body["round_off"] == "0.00"
    assert body["prices_include_tax"] is True
    first, second = body["lines"]
    assert first == {
        "product_id": salt.id,
        "code": salt.code,
        "name": "Tata Salt 1kg",
        "unit": "pcs",
        "quantity": "2",
        "unit_price": "45.00",
        "gross": "90.00",
        "discount": "0.00",
        "tax": "4.28",
        "total": "90.00",
        "stock": "100",
        "available": "100",
        "short": False,
        "expired": None,
    }
    assert (second["quantity"], second["total"]) == ("1.250", "150.00")

    discounted = admin_client.post("/pos/price", json={**cart, "discount": "10%"}).get_json()
    assert (discounted["discount_total"], discounted["total"]) == ("24.00", "216.00")


@pytest.mark.parametrize(
    ("quantity", "message"),
    [("1.5", "whole numbers"), ("0", "more than zero"), ("abc", "must be a number")],
)
def test_price_preview_refuses_bad_quantities_with_the_envelope(
    admin_client: FlaskClient, quantity: str, message: str
) -> None:
    salt = make_product(db.session, name="Tata Salt 1kg")
    cart = {"items": [{"product_id": salt.id, "quantity": quantity}]}
    response = admin_client.post("/pos/price", json=cart)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == "validation_error"
    assert message in error["message"]
    assert message in error["details"]["fields"]["items.0.quantity"]


def test_price_preview_refuses_an_empty_cart_and_a_bad_discount(admin_client: FlaskClient) -> None:
    empty = admin_client.post("/pos/price", json={"items": []})
    assert empty.status_code == 422
    assert empty.get_json()["error"]["message"] == "The cart is empty."
    salt = make_product(db.session)
    bad = admin_client.post(
        "/pos/price", json={"items": [{"product_id": salt.id, "quantity": "1"}], "discount": "x%"}
    )
    assert bad.status_code == 422
    assert "discount" in bad.get_json()["error"]["details"]["fields"]


def test_price_preview_needs_a_login(client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/pos/price", json={"items": []})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# --- CSRF, with the app exactly as shipped ----------------------------------------------------


@pytest.fixture
def shipped_client(csrf_app: Flask) -> FlaskClient:
    """A client of the CSRF-protected app, logged in as an admin through the real form."""
    make_user(db.session, "admin", "admin")
    client = csrf_app.test_client()
    token = form_csrf(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client


def test_form_posts_without_the_token_are_refused(csrf_app: Flask) -> None:
    make_user(db.session, "admin", "admin")
    client = csrf_app.test_client()
    response = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400
    assert "reload the page" in response.get_data(as_text=True)
    assert client.get("/pos/").status_code == 302  # not logged in


def test_logout_without_the_token_is_refused(shipped_client: FlaskClient) -> None:
    assert shipped_client.post("/logout").status_code == 400
    assert shipped_client.get("/pos/").status_code == 200


def test_price_preview_needs_the_csrf_header(shipped_client: FlaskClient) -> None:
    salt = make_product(db.session)
    cart = {"items": [{"product_id": salt.id, "quantity": "1"}]}
    refused = shipped_client.post("/pos/price", json=cart)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf_failed"

    token = meta_csrf(shipped_client.get("/pos/").get_data(as_text=True))
    wrong = shipped_client.post("/pos/price", json=cart, headers={"X-CSRFToken": "forged"})
    assert wrong.status_code == 400
    allowed = shipped_client.post("/pos/price", json=cart, headers={"X-CSRFToken": token})
    assert allowed.status_code == 200
    assert allowed.get_json()["total"] == "10.00"


def test_checkout_with_the_session_cookie_needs_the_csrf_header(
    shipped_client: FlaskClient,
) -> None:
    salt = make_product(db.session)
    cart = {"items": [{"product_id": salt.id, "quantity": "1"}]}
    refused = shipped_client.post("/api/invoice/create", json=cart)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf_failed"
    token = meta_csrf(shipped_client.get("/pos/").get_data(as_text=True))
    created = shipped_client.post("/api/invoice/create", json=cart, headers={"X-CSRFToken": token})
    assert created.status_code == 201


def test_the_product_form_token_is_accepted(shipped_client: FlaskClient) -> None:
    token = form_csrf(shipped_client.get("/products/new").get_data(as_text=True))
    data = {"name": "Tata Salt 1kg", "price": "28.00", "unit": "pcs", "tax_rate": "5"}
    assert shipped_client.post("/products/new", data=data).status_code == 400
    saved = shipped_client.post("/products/new", data={**data, "csrf_token": token})
    assert saved.status_code == 302


# --- the receipt ------------------------------------------------------------------------------


def sell(user, *items, tendered: str | None = None, discount: str | None = None):  # type: ignore[no-untyped-def]
    payload: dict = {"items": [{"product_id": p.id, "quantity": q} for p, q in items]}
    if tendered:
        payload["payments"] = [{"method": "cash", "amount": tendered}]
    if discount:
        payload["discount"] = discount
    return checkout.checkout(db.session, checkout.parse_checkout(payload), user)


def test_receipt_shows_the_sale(admin_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    with write_transaction(db.session):
        save_settings(
            db.session,
            shop_name="Sharma General Store",
            address="12 MG Road\nPune",
            phone="98220 12345",
            receipt_footer="Thank you! Visit again.",
        )
    salt = make_product(db.session, name="Tata Salt 1kg", price="45.00", tax_rate="5")
    butter = make_product(db.session, name="Amul Butter 100g", price="58.00", tax_rate="12")
    invoice = sell(admin, (salt, "2"), (butter, "1"), tendered="200.00")

    response = admin_client.get(f"/pos/receipt/{invoice.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert invoice.number in html
    assert "Sharma General Store" in html
    assert "12 MG Road" in html
    assert "Tata Salt 1kg" in html
    assert "2 × ₹45.00" in html
    assert '<tr class="r-grand"><th scope="row">TOTAL</th><td class="r-amount">₹148.00</td>' in html
    assert "₹200.00" in html  # tendered
    assert '<td class="r-amount" data-change>₹52.00</td>' in html
    assert "Thank you! Visit again." in html
    assert "Cashier" in html and ">admin<" in html
    # The tax summary groups the lines by rate.
    tax_table = html.split('class="r-table r-tax"')[1].split("</table>")[0]
    assert "5%" in tax_table and "12%" in tax_table
    # 90.00 at 5 % inclusive: half = 9000 × 500 / 21000 = 214.29 -> 214, tax 4.28, taxable 85.72
    assert "₹85.72" in tax_table and "₹4.28" in tax_table
    # The toolbar: print, the invoice PDF, a new sale; hidden when printing.
    assert 'id="print-receipt"' in html
    assert f'href="/api/v1/invoice/{invoice.id}/pdf"' in html
    assert 'target="_blank"' in html
    assert 'id="new-sale" class="btn btn-success" href="/pos/"' in html
    assert "receipt-toolbar d-print-none" in html
    assert "@page { size: 80mm" in html
    assert 'data-autoprint="0"' in html


def test_receipt_prints_itself_when_asked(admin_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    invoice = sell(admin, (make_product(db.session), "1"))
    html = admin_client.get(f"/pos/receipt/{invoice.id}?print=1").get_data(as_text=True)
    assert 'data-autoprint="1"' in html


def test_receipt_shows_discount_and_split_tax(admin_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    with write_transaction(db.session):
        save_settings(db.session, tax_number="27ABCDE1234F1Z0", split_tax=True)
    salt = make_product(db.session, name="Tata Salt 1kg", price="45.00", tax_rate="5")
    invoice = sell(admin, (salt, "2"), discount="10.00")
    html = admin_client.get(f"/pos/receipt/{invoice.id}").get_data(as_text=True)
    assert "GSTIN 27ABCDE1234F1Z0" in html
    assert "TAX INVOICE" in html
    assert "-₹10.00" in html
    assert ">CGST<" in html and ">SGST<" in html
    # 80.00 at 5 % inclusive: half = 8000 × 500 / 21000 = 190.48 -> 190: CGST = SGST = 1.90
    # (tax 3.80; the old rule split 3.81 as 1.91 + 1.90).
    assert html.count("₹1.90") >= 2 and "₹1.91" not in html
    assert "₹80.00" in html  # the total after the discount


def test_cashiers_see_only_their_own_receipts(client: FlaskClient, admin, cashier) -> None:  # type: ignore[no-untyped-def]
    product = make_product(db.session)
    other = make_user(db.session, "cashier2", "cashier")
    theirs = sell(other, (product, "1"))
    mine = sell(cashier, (product, "1"))
    login(client, "cashier")
    assert client.get(f"/pos/receipt/{mine.id}").status_code == 200
    assert client.get(f"/pos/receipt/{theirs.id}").status_code == 403


def test_unknown_receipt_is_a_404_page(admin_client: FlaskClient) -> None:
    response = admin_client.get("/pos/receipt/999")
    assert response.status_code == 404
    assert "No such invoice." in response.get_data(as_text=True)


# --- warnings at the till ----------------------------------------------------------------------


def test_price_preview_flags_expired_stock_still_on_the_shelf(
    admin_client: FlaskClient,
    admin,  # type: ignore[no-untyped-def]
) -> None:
    curd = make_product(db.session, name="Curd", opening_stock="0")
    milk = make_product(db.session, name="Milk", opening_stock="0")
    for product, expiry in ((curd, "2020-01-31"), (milk, "2099-01-31")):
        inventory.receive_stock(
            db.session,
            {
                "lines": [
                    {"code": product.code, "quantity": "4", "unit_cost": "20", "expiry": expiry}
                ]
            },
            None,
        )
    cart = {
        "items": [{"product_id": curd.id, "quantity": 1}, {"product_id": milk.id, "quantity": 1}]
    }
    first, second = admin_client.post("/pos/price", json=cart).get_json()["lines"]
    assert first["expired"] == "4"
    assert second["expired"] is None
    # Newer, fresh stock arrives: FIFO says the expired batch has left the shelf once 4 are sold.
    inventory.receive_stock(
        db.session,
        {
            "lines": [
                {"code": curd.code, "quantity": "6", "unit_cost": "20", "expiry": "2099-01-01"}
            ]
        },
        None,
    )
    assert admin_client.post("/pos/price", json=cart).get_json()["lines"][0]["expired"] == "4"
    checkout.checkout(
        db.session,
        checkout.parse_checkout({"items": [{"product_id": curd.id, "quantity": 4}]}),
        admin,
    )
    assert admin_client.post("/pos/price", json=cart).get_json()["lines"][0]["expired"] is None


def test_price_preview_flags_lines_beyond_stock(admin_client: FlaskClient) -> None:
    pen = make_product(db.session, name="Pen", opening_stock="2")
    cart = {"items": [{"product_id": pen.id, "quantity": 3}]}
    body = admin_client.post("/pos/price", json=cart).get_json()
    assert body["lines"][0]["short"] is True
    assert body["allow_negative_stock"] is False and body["stock_policy"] == "block"
    with write_transaction(db.session):
        save_settings(db.session, stock_policy="warn")
    body = admin_client.post("/pos/price", json=cart).get_json()
    assert body["allow_negative_stock"] is True and body["lines"][0]["short"] is True
    assert body["stock_policy"] == "warn"
    cart["items"][0]["quantity"] = 2
    assert admin_client.post("/pos/price", json=cart).get_json()["lines"][0]["short"] is False


# --- held bills -------------------------------------------------------------------------------


def test_held_bills_park_list_and_recall_over_json(client: FlaskClient, admin, cashier) -> None:  # type: ignore[no-untyped-def]
    product = make_product(db.session, name="Soap", price="30.00")
    login(client, "cashier")
    parked = client.post(
        "/pos/held", json={"items": [{"product_id": product.id, "quantity": "3"}], "label": "Ravi"}
    )
    assert parked.status_code == 201
    held_id = parked.get_json()["id"]
    listed = client.get("/pos/held", headers={"Accept": "application/json"}).get_json()
    assert [(h["id"], h["label"], h["items"], h["stale"]) for h in listed["items"]] == [
        (held_id, "Ravi", 1, False)
    ]
    recalled = client.post(f"/pos/held/{held_id}/recall", json={})
    assert recalled.status_code == 200
    cart = recalled.get_json()["cart"]
    assert cart["lines"][0]["name"] == "Soap" and cart["lines"][0]["quantity"] == "3"
    assert client.get("/pos/held", headers={"Accept": "application/json"}).get_json() == {
        "items": []
    }
    gone = client.post(f"/pos/held/{held_id}/recall", json={})
    assert gone.status_code == 404
    assert gone.get_json()["error"]["code"] == "not_found"


def test_parking_a_bad_cart_answers_the_error_envelope(client: FlaskClient, cashier) -> None:  # type: ignore[no-untyped-def]
    login(client, "cashier")
    response = client.post("/pos/held", json={"items": [{"product_id": 1, "quantity": "x"}]})
    assert response.status_code == 422
    assert "items.0.quantity" in response.get_json()["error"]["details"]["fields"]
    empty = client.post("/pos/held", json={"items": []})
    assert empty.status_code == 422
    body = empty.get_json()["error"]
    assert body["code"] == "validation_error" and "items" in body["details"]["fields"]
    not_json = client.post("/pos/held", data="nope", content_type="application/json")
    assert not_json.status_code in (400, 422)


def test_holding_needs_the_csrf_header(shipped_client: FlaskClient) -> None:
    client = shipped_client
    product = make_product(db.session)
    cart = {"items": [{"product_id": product.id}]}
    assert client.post("/pos/held", json=cart).status_code == 400
    token = meta_csrf(client.get("/pos/").get_data(as_text=True))
    assert client.post("/pos/held", json=cart, headers={"X-CSRFToken": token}).status_code == 201


def test_price_preview_uses_the_sales_gst_split(admin_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    with write_transaction(db.session):
        save_settings(db.session, state_code="27")
    buyer = make_customer(db.session, admin)
    with write_transaction(db.session):
        buyer.state_code = "29"
    salt = make_product(db.session, name="Tata Salt 1kg", price="45.00", tax_rate="5")
    cart: dict[str, object] = {"items": [{"product_id": salt.id, "quantity": "2"}]}
    # Intra-state: half = 9000 × 500 / 21000 = 214.29 -> 214, tax 4.28
    assert admin_client.post("/pos/price", json=cart).get_json()["tax_total"] == "4.28"
    # To Karnataka: taxable = 9000 / 1.05 = 8571.43 -> 8571, IGST 4.29
    cart["customer_id"] = buyer.id
    assert admin_client.post("/pos/price", json=cart).get_json()["tax_total"] == "4.29"
