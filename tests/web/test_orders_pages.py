"""Pages of posapp/web/orders.py: the board and its badge, taking and editing an order, the
order page's steps, cancelling, delivering with payment, the slip PDF, the reports; bad input
re-shows the form and writes nothing; cashiers and admins as the rules say."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.documents.order_pdf import slip_html
from posapp.extensions import db
from posapp.models import Customer, Invoice, LedgerEntry, Product, User
from posapp.models.orders import Order, OrderEvent
from posapp.services import inventory, ledger, orders, users
from posapp.services.settings import load_settings
from tests.factories import make_customer, make_product
from tests.qr_reading import decode_pdf
from tests.web.helpers import login


def count(model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def order_form(product: Product, qty: str = "2", **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "phone": "98111 22233",
        "name": "Meena Iyer",
        "product_id": [str(product.id)],
        "quantity": [qty],
        "fulfilment": "pickup",
        "payment_plan": "on_delivery",
    }
    data.update(fields)
    return data


def take(client: FlaskClient, product: Product, quantity: str = "2", **fields: str) -> Order:
    response = client.post("/orders/new", data=order_form(product, quantity, **fields))
    assert response.status_code == 302, response.get_data(as_text=True)
    order_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return db.session.get(Order, order_id)  # type: ignore[return-value]


def step(client: FlaskClient, order: Order, to: str, **extra: str) -> Any:
    return client.post(f"/orders/{order.id}/status", data={"to": to, **extra})


def fresh(order: Order) -> Order:
    db.session.expire_all()
    return orders.get_order(db.session, order.id)


# --- taking an order ------------------------------------------------------------------------


def test_new_order_with_a_new_customer_by_phone_lands_on_its_page(
    client: FlaskClient, admin: User
) -> None:
    rice = make_product(db.session, name="Sona rice", price="60.00", unit="kg", opening_stock="50")
    login(client, "admin")
    page = client.get("/orders/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="scan"' in html and "js/order_form.js" in html
    # "2,5" is refused with the reason (never read as 25)
    comma = client.post("/orders/new", data=order_form(rice, "2,5"))
    assert comma.status_code == 422 and "write 2.5, not 2,5" in comma.get_data(as_text=True)
    order = take(
        client,
        rice,
        "2.5",
        fulfilment="delivery",
        address="12 MG Road, Pune",
        delivery_charge="20",
        slot_date="2030-01-02",
        slot="5-7 pm",
        note="Ring twice",
    )
    assert order.number.startswith("ORD-") and order.status == "pending"
    assert order.lines[0].qty_milli == 2500
    assert order.customer.name == "Meena Iyer" and order.customer.phone == "+919811122233"
    assert order.estimate == 150_00 + 20_00 and order.delivery_charge == 20_00
    detail = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert order.number in detail and "Sona rice" in detail and "12 MG Road" in detail
    assert 'data-step="confirmed"' in detail and 'data-step="packed"' not in detail
    assert "Ring twice" in detail and "₹170.00" in detail


def test_an_existing_customer_is_found_by_phone_whatever_name_is_typed(
    client: FlaskClient, admin: User
) -> None:
    asha = make_customer(db.session, admin, name="Asha", phone="98765 43210")
    tea = make_product(db.session, name="Tea")
    login(client, "admin")
    customers_before = count(Customer)
    order = take(client, tea, phone="+91 98765-43210", name="")
    assert order.customer_id == asha.id
    assert count(Customer) == customers_before


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"product_id": [], "quantity": []}, "The order has no items."),
        ({"quantity": ["abc"]}, None),
        ({"quantity": ["1.5"]}, "whole numbers"),
        ({"phone": "12"}, None),
        ({"phone": "98111 99999", "name": ""}, "Name the customer."),
        ({"fulfilment": "delivery", "address": ""}, "A delivery needs the address."),
        ({"fulfilment": "teleport"}, None),
        ({"delivery_charge": "-5", "fulfilment": "delivery", "address": "x"}, None),
        ({"slot_date": "2030-02-30"}, "YYYY-MM-DD"),
        ({"payment_plan": "barter"}, None),
        ({"product_id": ["999999"], "quantity": ["1"]}, "Unknown product"),
        ({"product_id": ["x" * 60_000], "quantity": ["1"]}, None),
        ({"note": "n" * 301}, "At most 300"),
    ],
)
def test_bad_input_reshows_the_form_with_the_message_and_writes_nothing(
    client: FlaskClient, admin: User, fields: dict[str, Any], message: str | None
) -> None:
    tea = make_product(db.session, name="Tea")
    login(client, "admin")
    before = (count(Order), count(Customer))
    response = client.post("/orders/new", data=order_form(tea, "1", **fields))
    assert response.status_code == 422, response.status_code
    html = response.get_data(as_text=True)
    assert "data-form-error" in html
    if message:
        assert message in html
    assert (count(Order), count(Customer)) == before
    # The rows typed so far come back (a known product), with the posted values.
    if fields.get("product_id") is None:
        assert f'name="product_id" value="{tea.id}"' in html


def test_till_entry_marks_the_order_as_from_the_till(client: FlaskClient, cashier: User) -> None:
    tea = make_product(db.session, name="Tea")
    login(client, "cashier")
    till = client.get("/pos/").get_data(as_text=True)
    assert 'href="/orders/new?source=till"' in till
    assert 'data-order-find-url="/orders/find"' in till
    assert "from the till" in client.get("/orders/new?source=till").get_data(as_text=True)
    order = take(client, tea, source="till")
    assert order.source == "till"


def test_editing_a_pending_order_then_not_once_confirmed(client: FlaskClient, admin: User) -> None:
    tea = make_product(db.session, name="Tea", price="10.00")
    sugar = make_product(db.session, name="Sugar", price="45.00", unit="kg")
    login(client, "admin")
    order = take(client, tea, "2")
    form = client.get(f"/orders/{order.id}/edit").get_data(as_text=True)
    assert "Meena Iyer" in form and 'value="2"' in form
    changed = order_form(tea, "3")
    changed["product_id"].append(str(sugar.id))
    changed["quantity"].append("1.5")
    response = client.post(f"/orders/{order.id}/edit", data=changed)
    assert response.status_code == 302
    order = fresh(order)
    assert [(line.name, line.qty_milli) for line in order.lines] == [
        ("Tea", 3000),
        ("Sugar", 1500),
    ]
    assert order.estimate == 30_00 + 67_50
    # bad input on the edit form: re-shown, the order unchanged
    bad = client.post(f"/orders/{order.id}/edit", data=order_form(tea, "-1"))
    assert bad.status_code == 422
    assert [line.qty_milli for line in fresh(order).lines] == [3000, 1500]
    assert step(client, order, "confirmed").status_code == 302
    assert client.get(f"/orders/{order.id}/edit").status_code == 302
    refused = client.post(f"/orders/{order.id}/edit", data=order_form(tea, "9"))
    assert refused.status_code == 409
    assert "only a pending order can be changed" in refused.get_data(as_text=True)


# --- the steps ------------------------------------------------------------------------------


def test_confirm_reserves_and_the_page_offers_exactly_the_next_steps(
    client: FlaskClient, admin: User
) -> None:
    tea = make_product(db.session, name="Tea", opening_stock="10")
    login(client, "admin")
    order = take(client, tea, "4", fulfilment="delivery", address="Flat 3")
    assert step(client, order, "confirmed").status_code == 302
    db.session.expire_all()
    assert db.session.get(Product, tea.id).reserved_milli == 4000  # type: ignore[union-attr]
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert re.findall(r'data-step="(\w+)"', html) == ["packed"]
    # the product page and the till's prices show what is left to sell
    product_page = client.get(f"/products/{tea.id}").get_data(as_text=True)
    assert "data-available" in product_page and "4 pcs reserved" in product_page
    priced = client.post(
        "/pos/price", json={"items": [{"product_id": tea.id, "quantity": "7"}]}
    ).get_json()
    assert priced["lines"][0]["stock"] == "10" and priced["lines"][0]["available"] == "6"
    assert priced["lines"][0]["short"] is True

    assert step(client, order, "packed").status_code == 302
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert re.findall(r'data-step="(\w+)"', html) == ["out_for_delivery"]
    # a step not allowed now is refused with the allowed ones named, nothing changes
    refused = step(client, order, "ready_for_pickup")
    assert refused.status_code == 409
    assert "out_for_delivery" in refused.get_data(as_text=True)
    assert fresh(order).status == "packed"
    assert step(client, order, "out_for_delivery").status_code == 302
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert re.findall(r'data-step="(\w+)"', html) == ["delivered"]
    history = html[html.index("data-order-history") :]
    for label in ("Pending", "Confirmed", "Packed", "Out for delivery"):
        assert label in history
    assert "admin" in history


def test_confirm_short_of_stock_says_which_line(client: FlaskClient, admin: User) -> None:
    tea = make_product(db.session, name="Tea", opening_stock="3")
    login(client, "admin")
    order = take(client, tea, "5")
    response = step(client, order, "confirmed")
    assert response.status_code == 409
    assert "Tea: 5 ordered, 3 available" in response.get_data(as_text=True)
    assert fresh(order).status == "pending"


def test_cancel_needs_a_reason_and_releases_the_stock(client: FlaskClient, admin: User) -> None:
    tea = make_product(db.session, name="Tea", opening_stock="10")
    login(client, "admin")
    order = take(client, tea, "4")
    step(client, order, "confirmed")
    response = client.post(f"/orders/{order.id}/cancel", data={"reason": "  "})
    assert response.status_code == 422
    assert "Say why the order is cancelled." in response.get_data(as_text=True)
    assert fresh(order).status == "confirmed"
    response = client.post(f"/orders/{order.id}/cancel", data={"reason": "Customer away"})
    assert response.status_code == 302
    assert fresh(order).status == "cancelled"
    db.session.expire_all()
    assert db.session.get(Product, tea.id).reserved_milli == 0  # type: ignore[union-attr]
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Customer away" in html and "data-step" not in html and "data-cancel-form" not in html
    listed = client.get("/orders/?show=cancelled").get_data(as_text=True)
    assert f'data-order-row="{order.number}"' in listed and "Customer away" in listed


def test_prepaid_confirm_takes_the_advance_and_delivery_settles_it(
    client: FlaskClient, admin: User
) -> None:
    tea = make_product(db.session, name="Tea", price="50.00")
    login(client, "admin")
    order = take(client, tea, "2", payment_plan="prepaid")
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "data-confirm-prepaid" in html
    bad = step(client, order, "confirmed", advance_amount="abc", advance_method="upi")
    assert bad.status_code == 422 and fresh(order).status == "pending"
    ok = step(
        client, order, "confirmed", advance_amount="100", advance_method="upi", advance_reference=""
    )
    assert ok.status_code == 302
    order = fresh(order)
    assert order.status == "confirmed" and order.advance_payment is not None
    assert ledger.balance(db.session, order.customer_id) == -100_00
    step(client, order, "packed")
    step(client, order, "ready_for_pickup")
    page = client.get(f"/orders/{order.id}/deliver").get_data(as_text=True)
    assert 'name="pay_cash" inputmode="decimal" maxlength="20"\n                   value=""' in page
    response = client.post(f"/orders/{order.id}/deliver", data={})
    assert response.status_code == 302, response.get_data(as_text=True)
    invoice = db.session.get(Invoice, fresh(order).invoice_id)
    assert invoice is not None and invoice.total == 100_00 and invoice.status == "paid"
    assert ledger.balance(db.session, order.customer_id) == 0


# --- delivery -------------------------------------------------------------------------------


def delivered_upto(client: FlaskClient, product: Product, **fields: str) -> Order:
    order = take(client, product, "2", **fields)
    for to in ("confirmed", "packed"):
        assert step(client, order, to).status_code == 302
    handover = "out_for_delivery" if fields.get("fulfilment") == "delivery" else "ready_for_pickup"
    assert step(client, order, handover).status_code == 302
    return order


def test_a_delivery_that_needs_an_admin_asks_for_the_pin_on_the_page(
    client: FlaskClient, admin: User, cashier: User
) -> None:
    users.set_pin(db.session, admin.id, "2580", "2580")
    tea = make_product(db.session, name="Tea", price="50.00", opening_stock="2")
    login(client, "admin")
    order = delivered_upto(client, tea)
    # One packet was found damaged after packing: the order is now short by one.
    inventory.adjust_stock(db.session, tea.id, {"delta": "-1", "reason": "adjust_damage"}, admin.id)
    client.post("/logout")
    login(client, "cashier")
    invoices_before = count(Invoice)
    asked = client.post(f"/orders/{order.id}/deliver", data={"pay_cash": "100.00"})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 409 and "data-approval" in html
    assert "Stock short: Tea" in html and 'name="approval_pin"' in html
    wrong = client.post(
        f"/orders/{order.id}/deliver",
        data={"pay_cash": "100.00", "approval_username": "admin", "approval_pin": "1111"},
    )
    assert wrong.status_code in (401, 403, 409, 422)
    assert "data-approval" in wrong.get_data(as_text=True)
    assert count(Invoice) == invoices_before and fresh(order).status == "ready_for_pickup"
    approved = client.post(
        f"/orders/{order.id}/deliver",
        data={"pay_cash": "100.00", "approval_username": "admin", "approval_pin": "2580"},
    )
    assert approved.status_code == 302, approved.get_data(as_text=True)
    order = fresh(order)
    assert order.status == "delivered" and order.invoice_id is not None
    assert db.session.get(Product, tea.id).stock_milli == -1000


def test_deliver_with_upi_at_the_door_makes_the_invoice(client: FlaskClient, admin: User) -> None:
    tea = make_product(db.session, name="Tea", price="50.00", opening_stock="10")
    login(client, "admin")
    order = delivered_upto(
        client, tea, fulfilment="delivery", address="Flat 3", delivery_charge="20"
    )
    page = client.get(f"/orders/{order.id}/deliver")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "₹120.00" in html and 'value="120.00"' in html
    # not enough money: re-shown with the message, nothing written
    invoices_before = count(Invoice)
    short = client.post(f"/orders/{order.id}/deliver", data={"pay_upi": "50"})
    assert short.status_code in (409, 422)
    assert "data-form-error" in short.get_data(as_text=True)
    assert count(Invoice) == invoices_before and fresh(order).status == "out_for_delivery"
    response = client.post(
        f"/orders/{order.id}/deliver",
        data={"pay_cash": "", "pay_upi": "120.00", "upi_reference": "123456789012"},
    )
    assert response.status_code == 302
    order = fresh(order)
    assert order.status == "delivered" and order.invoice_id is not None
    assert response.headers["Location"].endswith(f"/invoices/{order.invoice_id}")
    invoice = db.session.get(Invoice, order.invoice_id)
    assert invoice is not None and invoice.total == 120_00 and invoice.status == "paid"
    assert [(p.method, p.amount, p.reference) for p in invoice.payments] == [
        ("upi", 120_00, "123456789012")
    ]
    db.session.expire_all()
    tea_now = db.session.get(Product, tea.id)
    assert tea_now is not None and (tea_now.stock_milli, tea_now.reserved_milli) == (8000, 0)
    detail = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "data-invoice-link" in detail and "data-step" not in detail
    assert client.get(f"/orders/{order.id}/deliver").status_code == 302


def test_deliver_on_khata_puts_the_bill_on_the_customers_account(
    client: FlaskClient, admin: User
) -> None:
    tea = make_product(db.session, name="Tea", price="50.00")
    make_customer(db.session, admin, phone="98111 22233", credit_limit="1000")
    login(client, "admin")
    order = delivered_upto(client, tea, payment_plan="khata")
    page = client.get(f"/orders/{order.id}/deliver").get_data(as_text=True)
    assert 'value="100.00"' not in page  # nothing to collect
    assert re.search(r"data-on-khata>₹100.00<", page)
    assert client.post(f"/orders/{order.id}/deliver", data={}).status_code == 302
    invoice = db.session.get(Invoice, fresh(order).invoice_id)
    assert invoice is not None and invoice.status == "unpaid"
    assert ledger.balance(db.session, order.customer_id) == 100_00
    entries = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.customer_id == order.customer_id)
    ).all()
    assert [(e.kind, e.amount) for e in entries] == [("credit_sale", 100_00)]


def test_upi_qr_shows_on_the_payment_step_when_the_shop_has_a_upi_id(
    client: FlaskClient, admin: User
) -> None:
    tea = make_product(db.session, name="Tea", price="50.00")
    login(client, "admin")
    order = delivered_upto(client, tea)
    assert "data-upi-qr" not in client.get(f"/orders/{order.id}/deliver").get_data(as_text=True)
    saved = client.post(
        "/settings/upi/",
        data={"upi_vpa_0": "shop@okaxis", "upi_default": "0", "upi_payee_name": "My Shop"},
    )
    assert saved.status_code == 302
    html = client.get(f"/orders/{order.id}/deliver").get_data(as_text=True)
    assert "data-upi-qr" in html and "<svg" in html and "shop@okaxis" in html
    assert f"Reference {order.number.replace('-', '')}" in html


# --- board, badge, slip, WhatsApp, reports --------------------------------------------------


def test_board_shows_open_orders_by_state_oldest_first_and_the_badge_counts_them(
    client: FlaskClient, cashier: User
) -> None:
    tea = make_product(db.session, name="Tea")
    login(client, "cashier")
    first = take(client, tea, "1")
    second = take(client, tea, "1", phone="98111 22244", name="Ravi")
    third = take(client, tea, "1", phone="98111 22255", name="Sita")
    step(client, third, "confirmed")
    html = client.get("/orders/").get_data(as_text=True)
    pending = html[html.index('data-column="pending"') : html.index('data-column="confirmed"')]
    assert pending.index(first.number) < pending.index(second.number)
    confirmed = html[html.index('data-column="confirmed"') : html.index('data-column="packed"')]
    assert third.number in confirmed and "Sita" in confirmed
    badge = re.search(r"data-open-orders-badge[^>]*>(\d+)<", html)
    assert badge and badge.group(1) == "3"
    client.post(f"/orders/{first.id}/cancel", data={"reason": "Duplicate"})
    html = client.get("/invoices/").get_data(as_text=True)
    badge = re.search(r"data-open-orders-badge[^>]*>(\d+)<", html)
    assert badge and badge.group(1) == "2"
    # find by number, name or phone
    found = client.get("/orders/", query_string={"q": "Ravi"}).get_data(as_text=True)
    assert second.number in found and third.number not in found


def test_no_badge_without_open_orders(client: FlaskClient, cashier: User) -> None:
    login(client, "cashier")
    html = client.get("/pos/").get_data(as_text=True)
    assert 'href="/orders/"' in html and "data-open-orders-badge" not in html


def test_find_opens_the_order_by_its_printed_number(client: FlaskClient, admin: User) -> None:
    tea = make_product(db.session, name="Tea")
    login(client, "admin")
    order = take(client, tea)
    for text in (order.number, order.number.lower()):
        response = client.get("/orders/find", query_string={"number": text})
        assert response.headers["Location"].endswith(f"/orders/{order.id}")
    missing = client.get("/orders/find", query_string={"number": "ORD-99999"})
    assert missing.status_code == 302 and missing.headers["Location"].endswith("/orders/")
    assert client.get("/orders/find", query_string={"number": "x" * 60_000}).status_code == 302


def test_whatsapp_link_carries_the_status_text_to_the_customers_phone(
    client: FlaskClient, admin: User
) -> None:
    tea = make_product(db.session, name="Tea", price="320.00")
    login(client, "admin")
    order = delivered_upto(client, tea, fulfilment="delivery", address="Flat 3")
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    link = re.search(r'href="(https://wa\.me/[^"]+)"[^>]*data-wa-link', html)
    assert link, html
    url = link.group(1).replace("&amp;", "&")
    assert url.startswith("https://wa.me/919811122233?text=")
    text = unquote(url.split("text=", 1)[1])
    assert f"your order {order.number}" in text and "out for delivery, ₹640.00 to pay" in text


@pytest.mark.parametrize("size", ["a4", "80mm"])
def test_packing_slip_pdf_carries_the_order_number_as_its_qr(
    client: FlaskClient, admin: User, size: str
) -> None:
    tea = make_product(db.session, name="Masala chai")
    login(client, "admin")
    order = take(
        client, tea, "3", fulfilment="delivery", address="Flat 3, Lane 2", slot_date="2030-01-02"
    )
    # Dates in the shop's style, as on every page and document (an Indian shop: DD-MM-YYYY).
    settings = load_settings(db.session)
    assert settings.locale == "en_IN"
    html = slip_html(fresh(order), settings, size, 0, 0)
    assert "02-01-2030" in html and re.search(r"\d\d-\d\d-\d{4} \d\d:\d\d", html)
    response = client.get(f"/orders/{order.id}/slip.pdf", query_string={"size": size})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    # exactly the text the till's scan field opens the order with
    assert [text for text in decode_pdf(response.data) if text.startswith("ORD")] == [order.number]
    assert client.get(f"/orders/{order.id}/slip.pdf?size=a3").status_code == 422


def test_reports_by_state_day_time_and_cancellations_with_csv(
    client: FlaskClient, admin: User
) -> None:
    tea = make_product(db.session, name="Tea", price="50.00")
    login(client, "admin")
    assert 'href="/orders/reports"' in client.get("/reports/").get_data(as_text=True)
    done = delivered_upto(client, tea)
    assert client.post(f"/orders/{done.id}/deliver", data={"pay_cash": "100"}).status_code == 302
    gone = take(client, tea, "1", phone="98111 22244", name="Ravi")
    client.post(f"/orders/{gone.id}/cancel", data={"reason": "Changed mind"})
    take(client, tea, "1", phone="98111 22255", name="Sita")
    html = client.get("/orders/reports").get_data(as_text=True)
    for name in ("by-state", "by-day", "delivery-time", "cancellations"):
        assert f'data-report="{name}"' in html
    assert "Changed mind" in html and "Ravi" in html
    state = html[html.index('data-report="by-state"') : html.index('data-report="by-day"')]
    assert "Delivered" in state and "Cancelled" in state and "Pending" in state
    assert 'data-total="Orders">3<' in state
    csv = client.get("/orders/reports", query_string={"format": "csv", "report": "cancellations"})
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    body = csv.get_data(as_text=True)
    assert "Changed mind" in body and gone.number in body
    assert client.get("/orders/reports?from=2026-13-01").status_code == 422
    assert client.get("/orders/reports?from=2026-02-01&to=2026-01-01").status_code == 422
    assert client.get("/orders/reports?format=csv&report=nope").status_code == 422


# --- who may do what --------------------------------------------------------------------------


def test_cashiers_take_and_deliver_orders_but_reports_are_for_admins(
    client: FlaskClient, admin: User, cashier: User
) -> None:
    tea = make_product(db.session, name="Tea", price="50.00")
    login(client, "cashier")
    order = delivered_upto(client, tea)
    assert client.get("/orders/").status_code == 200
    nothing = client.post(f"/orders/{order.id}/deliver", data={})
    assert nothing.status_code == 422 and "data-form-error" in nothing.get_data(as_text=True)
    assert client.post(f"/orders/{order.id}/deliver", data={"pay_cash": "200"}).status_code == 302
    invoice = db.session.get(Invoice, fresh(order).invoice_id)
    assert invoice is not None and (invoice.total, invoice.change) == (100_00, 100_00)
    assert client.get(f"/invoices/{invoice.id}").status_code == 200
    assert client.get("/orders/reports").status_code == 403
    assert "/orders/reports" not in client.get("/orders/").get_data(as_text=True)


def test_anonymous_is_sent_to_login_and_unknown_orders_are_404(
    client: FlaskClient, admin: User
) -> None:
    assert "/login" in client.get("/orders/").headers["Location"]
    login(client, "admin")
    assert client.get("/orders/999").status_code == 404
    assert client.post("/orders/999/status", data={"to": "confirmed"}).status_code == 404
    assert client.post("/orders/999/cancel", data={"reason": "x"}).status_code == 404
    assert client.get("/orders/999/deliver").status_code == 404
    assert client.get("/orders/999/slip.pdf").status_code == 404
    assert count(OrderEvent) == 0


def test_a_pickup_ignores_the_hidden_delivery_fields_and_errors_mark_their_own_row(
    client: FlaskClient, admin: User
) -> None:
    tea = make_product(db.session, name="Tea")
    sugar = make_product(db.session, name="Sugar", unit="kg")
    login(client, "admin")
    # typed while "delivery" was chosen, then switched to pickup: those fields are hidden
    order = take(client, tea, "1", address="Flat 9", delivery_charge="30")
    assert (order.fulfilment, order.address, order.delivery_charge) == ("pickup", "", 0)
    form = order_form(tea, "1")
    form["product_id"] = ["999999", str(tea.id), str(sugar.id)]
    form["quantity"] = ["1", "2", "1,5"]
    html = client.post("/orders/new", data=form).get_data(as_text=True)
    sugar_row = html[html.index(f'data-line="{sugar.id}"') :]
    sugar_row = sugar_row[: sugar_row.index("</tr>")]
    assert "is-invalid" in sugar_row and "write 2.5" in sugar_row
    tea_row = html[html.index(f'data-line="{tea.id}"') :]
    assert "is-invalid" not in tea_row[: tea_row.index("</tr>")]
    form["quantity"] = ["1", "2", "1.5"]
    html = client.post("/orders/new", data=form).get_data(as_text=True)
    assert "Unknown product 999999" in html and "₹10.00" in html
