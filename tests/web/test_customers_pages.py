"""Pages of posapp/web/customers.py: list, dues, add/edit, the customer page, payments, PDFs."""

from __future__ import annotations

import re
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import Customer, LedgerEntry, Payment
from posapp.models.base import utcnow, write_transaction
from posapp.services import checkout, ledger, ledger_views
from tests.factories import make_customer, make_product


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def field_error(html: str, name: str, prefix: str = "f") -> str:
    match = re.search(rf'id="{prefix}-{name}-error">([^<]*)<', html)
    return match.group(1) if match else ""


def owing_customer(admin, amount: str = "300.00", **fields):  # type: ignore[no-untyped-def]
    customer = make_customer(db.session, admin, credit_limit="5000", **fields)
    product = make_product(db.session, price=amount)
    checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {
                "customer_id": customer.id,
                "items": [{"product_id": product.id, "quantity": 1}],
                "payments": [{"method": "credit", "amount": amount}],
            }
        ),
        admin,
    )
    return customer


def test_add_customer_then_find_it_by_any_phone_format(cashier_client: FlaskClient) -> None:
    response = cashier_client.post(
        "/customers/new",
        data={"name": "Ramesh Kumar", "phone": "98765 43210", "email": "", "address": "Main Rd"},
    )
    assert response.status_code == 302
    customer = db.session.scalar(select(Customer))
    assert customer.phone == "+919876543210"
    assert response.headers["Location"].endswith(f"/customers/{customer.id}")
    for q in ("09876543210", "98765", "Rmaesh"):
        page = cashier_client.get("/customers/", query_string={"q": q}).get_data(as_text=True)
        assert "Ramesh Kumar" in page, q


def test_bad_form_re_shows_every_error_and_writes_nothing(admin_client: FlaskClient) -> None:
    response = admin_client.post(
        "/customers/new",
        data={"name": "", "phone": "12", "email": "nope", "credit_limit": "1.005"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for name in ("name", "phone", "email", "credit_limit"):
        assert field_error(html, name), name
    assert 'value="nope"' in html
    assert count(Customer) == 0


def test_duplicate_phone_is_409_on_the_form(admin_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    make_customer(db.session, admin, name="First", phone="98765 43210")
    response = admin_client.post(
        "/customers/new", data={"name": "Second", "phone": "+919876543210"}
    )
    assert response.status_code == 409
    assert "First already has the phone number" in response.get_data(as_text=True)
    assert count(Customer) == 1


def test_cashier_form_has_no_credit_limit_field(cashier_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    html = cashier_client.get("/customers/new").get_data(as_text=True)
    assert 'name="credit_limit"' not in html
    assert "Only an admin can change a credit limit." in html
    # The limit the new customer will get, in words.
    assert "credit left ₹2,000.00 of ₹2,000.00" in html
    customer = make_customer(db.session, admin, credit_limit="500")
    response = cashier_client.post(
        f"/customers/{customer.id}/edit",
        data={"name": "Renamed", "phone": customer.phone, "credit_limit": "99999"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    fresh = db.session.get(Customer, customer.id)
    assert (fresh.name, fresh.credit_limit) == ("Renamed", 50000)


def test_customer_page_shows_balance_aging_history_and_reminder(
    admin_client: FlaskClient,
    admin,  # type: ignore[no-untyped-def]
) -> None:
    customer = owing_customer(admin, name="Meena <b>& Co</b>")
    html = admin_client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "Meena &lt;b&gt;&amp; Co&lt;/b&gt;" in html and "<b>& Co</b>" not in html
    assert "₹300.00" in html
    assert "₹4,700.00" in html  # credit left
    assert "0–30 days" in html
    assert "Credit sale" in html
    assert "https://wa.me/91980000" in html or "https://wa.me/9198" in html
    assert 'data-copy-target="reminder-text"' in html
    assert "is due on your account" in html
    assert "Adjust the balance (admin)" in html


def test_payment_from_the_customer_page_settles_and_prints_a_receipt(
    cashier_client: FlaskClient,
    admin,  # type: ignore[no-untyped-def]
) -> None:
    customer = owing_customer(admin)
    response = cashier_client.post(
        f"/customers/{customer.id}/payments",
        data={"amount": "500", "method": "upi", "note": "ref 42"},
    )
    assert response.status_code == 302
    payment = db.session.scalar(select(Payment).where(Payment.customer_id == customer.id))
    assert response.headers["Location"].endswith(f"/customers/payments/{payment.id}/receipt")
    receipt = cashier_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "PAYMENT RECEIPT" in receipt
    assert "Payment of ₹500.00 recorded" in receipt  # the flash writes money like the page
    assert "₹500.00" in receipt and "Kept as advance" in receipt and "₹200.00" in receipt
    pdf = cashier_client.get(f"/customers/payments/{payment.id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert ledger.balance(db.session, customer.id) == -20000


def test_bad_payment_re_shows_the_page_with_422_and_writes_nothing(
    cashier_client: FlaskClient,
    admin,  # type: ignore[no-untyped-def]
) -> None:
    customer = owing_customer(admin)
    response = cashier_client.post(
        f"/customers/{customer.id}/payments",
        data={"amount": "abc", "method": "cheque", "note": "typed note"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="typed note"' in html
    assert field_error(html, "amount", "pay") and field_error(html, "method", "pay")
    assert count(Payment) == 0
    assert cashier_client.post("/customers/999/payments", data={"amount": "1"}).status_code == 404


def test_adjustments_are_for_admins(
    admin_client: FlaskClient,
    admin,  # type: ignore[no-untyped-def]
) -> None:
    customer = make_customer(db.session, admin)
    response = admin_client.post(
        f"/customers/{customer.id}/adjustments", data={"amount": "-10", "reason": ""}
    )
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "reason", "adj")
    response = admin_client.post(
        f"/customers/{customer.id}/adjustments", data={"amount": "150", "reason": "Old khata"}
    )
    assert response.status_code == 302
    assert ledger.balance(db.session, customer.id) == 15000


def test_cashier_cannot_adjust(cashier_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    customer = make_customer(db.session, admin)
    html = cashier_client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "Adjust the balance" not in html
    response = cashier_client.post(
        f"/customers/{customer.id}/adjustments", data={"amount": "10", "reason": "x"}
    )
    assert response.status_code == 403
    assert count(LedgerEntry) == 0


def test_archive_needs_a_zero_balance(admin_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    customer = owing_customer(admin)
    response = admin_client.post(f"/customers/{customer.id}/archive", follow_redirects=True)
    assert "cannot be archived" in response.get_data(as_text=True)
    ledger.record_payment(db.session, customer.id, {"amount": "300", "method": "cash"}, admin)
    response = admin_client.post(f"/customers/{customer.id}/archive", follow_redirects=True)
    assert "Archived" in response.get_data(as_text=True)
    archived = admin_client.get("/customers/", query_string={"archived": 1}).get_data(as_text=True)
    assert customer.name in archived
    active = admin_client.get("/customers/").get_data(as_text=True)
    assert customer.name not in active


def test_dues_sorted_by_amount_and_age_with_the_30_day_badge(
    admin_client: FlaskClient,
    admin,  # type: ignore[no-untyped-def]
) -> None:
    small_old = make_customer(db.session, admin, name="Small Old")
    with write_transaction(db.session):
        db.session.add(
            LedgerEntry(
                customer_id=small_old.id,
                kind="opening",
                amount=5000,
                created_at=utcnow() - timedelta(days=40),
            )
        )
    owing_customer(admin, amount="900.00", name="Big New")
    by_amount = admin_client.get("/customers/dues").get_data(as_text=True)
    assert by_amount.index("Big New") < by_amount.index("Small Old")
    assert "₹950.00" in by_amount
    assert "30+ days" in by_amount
    by_age = admin_client.get("/customers/dues", query_string={"sort": "age"}).get_data(
        as_text=True
    )
    assert by_age.index("Small Old") < by_age.index("Big New")
    home = admin_client.get("/customers/").get_data(as_text=True)
    assert re.search(r"data-overdue-badge[^>]*>1<", home)


def test_statement_pdf_for_a_date_range(admin_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    customer = owing_customer(admin, name="Statement <Test>")
    today = ledger.local_today()
    response = admin_client.get(
        f"/customers/{customer.id}/statement.pdf",
        query_string={"from": (today - timedelta(days=30)).isoformat(), "to": today.isoformat()},
    )
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    bad = admin_client.get(
        f"/customers/{customer.id}/statement.pdf", query_string={"from": "x", "to": "y"}
    )
    assert bad.status_code == 422
    backwards = admin_client.get(
        f"/customers/{customer.id}/statement.pdf",
        query_string={"from": today.isoformat(), "to": (today - timedelta(days=1)).isoformat()},
    )
    assert backwards.status_code == 422


def test_statement_html_escapes_what_users_typed(admin) -> None:  # type: ignore[no-untyped-def]
    from posapp.documents.customer_pdf import statement_html
    from posapp.services.settings import load_settings

    customer = owing_customer(admin, name="<script>x</script>")
    today = ledger.local_today()
    html = statement_html(
        ledger_views.statement(db.session, customer, today, today), load_settings(db.session)
    )
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html
    assert "Closing balance" in html and "300.00" in html


def test_till_receipt_names_the_customer(admin_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    customer = owing_customer(admin, name="Receipt Person")
    invoice_id = db.session.scalar(select(LedgerEntry.invoice_id))
    html = admin_client.get(f"/pos/receipt/{invoice_id}").get_data(as_text=True)
    assert "Receipt Person" in html and "On credit" in html
    assert customer.id


def test_limits_are_said_in_plain_words_and_no_limit_is_a_box(
    admin_client: FlaskClient, admin
) -> None:  # type: ignore[no-untyped-def]
    # The form starts at the shop's limit for new customers; the box makes it no limit.
    form = admin_client.get("/customers/new").get_data(as_text=True)
    assert 'name="credit_limit"' in form and 'value="2000.00"' in form
    response = admin_client.post(
        "/customers/new",
        data={
            "name": "Open Book",
            "phone": "98111 55501",
            "credit_limit": "",
            "no_credit_limit": "1",
        },
    )
    assert response.status_code == 302
    unlimited = db.session.scalar(select(Customer).where(Customer.name == "Open Book"))
    assert unlimited.credit_limit is None
    nothing = make_customer(db.session, admin, name="Cash Only", credit_limit="0")
    some = make_customer(db.session, admin, name="Some Credit", credit_limit="2000")
    expected = {
        unlimited.id: "no credit limit",
        nothing.id: "credit limit ₹0.00 — no credit allowed",
        some.id: "credit left ₹2,000.00 of ₹2,000.00",
    }
    listing = admin_client.get("/customers/").get_data(as_text=True)
    for customer_id, words in expected.items():
        assert words in listing
        assert words in admin_client.get(f"/customers/{customer_id}").get_data(as_text=True)
    # A bad limit re-shows the form and writes nothing.
    response = admin_client.post(
        "/customers/new", data={"name": "Bad", "phone": "98111 55502", "credit_limit": "-1"}
    )
    assert response.status_code == 422
    assert db.session.scalar(select(Customer).where(Customer.name == "Bad")) is None


def test_clearing_the_no_limit_box_needs_an_amount(admin_client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    customer = make_customer(db.session, admin, name="Open Book", credit_limit=None)
    form = {"name": "Open Book", "phone": customer.phone, "credit_limit": ""}
    response = admin_client.post(f"/customers/{customer.id}/edit", data=form)
    assert response.status_code == 422
    assert "type a credit limit (0 for no credit), or tick No credit limit" in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).credit_limit is None
    form["credit_limit"] = "0"
    assert admin_client.post(f"/customers/{customer.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).credit_limit == 0
