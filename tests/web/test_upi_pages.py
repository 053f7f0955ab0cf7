"""UPI pages and documents: the settings page (admins, validation that writes nothing,
audit), the till's QR endpoint, and the QR codes the documents carry — the counter card,
the receipt, the A4 invoice, the statement and the ESC/POS receipt — decoded with zxing-cpp
from the rendered image; the khata reminder's UPI link; the UTR on the invoice page and API."""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, unquote, urlsplit

from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.documents import escpos_receipt
from posapp.extensions import db
from posapp.models import AuditLog, Invoice, Setting, User
from posapp.services import checkout, ledger, upi
from posapp.services.settings import load_settings
from tests.factories import make_customer, make_product
from tests.qr_reading import decode_pdf, decode_png

UPI_FORM = {
    "upi_vpa_0": "Sharma.Store@okaxis",
    "upi_label_0": "Axis current",
    "upi_vpa_1": "sharma@ybl",
    "upi_default": "0",
    "upi_payee_name": "Sharma & Sons",
}


def upi_links(texts: list[str]) -> list[dict[str, str]]:
    links = []
    for text in texts:
        if text.startswith("upi://pay?"):
            query = parse_qs(urlsplit(text).query, strict_parsing=True)
            links.append({key: values[0] for key, values in query.items()})
    return links


def set_up_upi(client: FlaskClient, **extra: str) -> None:
    response = client.post("/settings/upi/", data={**UPI_FORM, **extra})
    assert response.status_code == 302, response.get_data(as_text=True)


def credit_sale(admin: User) -> Invoice:
    """₹500: ₹200 by UPI (with its UTR), ₹300 on the customer's credit."""
    customer = make_customer(db.session, admin, name="Ramu Kaka", credit_limit=None)
    product = make_product(db.session, price="500.00")
    return checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {
                "customer_id": customer.id,
                "items": [{"product_id": product.id, "quantity": 1}],
                "payments": [
                    {"method": "upi", "amount": "200", "reference": "412345678901"},
                    {"method": "credit", "amount": "300"},
                ],
            }
        ),
        admin,
    )


def test_the_page_is_for_admins_and_linked_from_settings(admin_client: FlaskClient) -> None:
    page = admin_client.get("/settings/upi/").get_data(as_text=True)
    assert 'name="upi_vpa_0"' in page and 'name="upi_payee_name"' in page
    assert "Add a UPI ID to print a counter card" in page
    assert 'href="/settings/upi/"' in admin_client.get("/settings/").get_data(as_text=True)


def test_cashiers_may_not_open_it(cashier_client: FlaskClient) -> None:
    assert cashier_client.get("/settings/upi/").status_code == 403
    assert cashier_client.post("/settings/upi/", data=UPI_FORM).status_code == 403
    assert cashier_client.get("/settings/upi/card.pdf").status_code == 403


def test_bad_input_is_shown_and_writes_nothing(admin_client: FlaskClient) -> None:
    before = db.session.scalar(select(func.count()).select_from(Setting))
    response = admin_client.post(
        "/settings/upi/",
        data={
            "upi_vpa_0": "sharma store",
            "upi_payee_name": "Sharma <b>",
            "upi_qr_on_documents": "1",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "is not a UPI ID" in page
    assert "The payee name takes letters" in page
    assert 'value="sharma store"' in page  # the form keeps what was typed
    assert db.session.scalar(select(func.count()).select_from(Setting)) == before
    assert db.session.scalars(select(AuditLog).where(AuditLog.action == "settings.upi")).all() == []


def test_saved_ids_are_audited_and_the_counter_card_carries_the_static_qr(
    admin_client: FlaskClient,
) -> None:
    set_up_upi(admin_client)
    settings = load_settings(db.session)
    assert [(u.vpa, u.default) for u in upi.read_ids(settings.upi_ids)] == [
        ("sharma.store@okaxis", True),
        ("sharma@ybl", False),
    ]
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "settings.upi")).one()
    assert "sharma.store@okaxis" in entry.after
    page = admin_client.get("/settings/upi/").get_data(as_text=True)
    assert 'name="upi_vpa_2"' in page  # one empty row to add another
    assert "/settings/upi/card.pdf" in page
    card = admin_client.get("/settings/upi/card.pdf")
    assert card.status_code == 200 and card.mimetype == "application/pdf"
    assert upi_links(decode_pdf(card.data)) == [
        {"pa": "sharma.store@okaxis", "pn": "Sharma & Sons"}
    ]
    # Removing every UPI ID: the card has nothing to pay.
    set_up_upi(admin_client, upi_vpa_0="", upi_vpa_1="")
    assert admin_client.get("/settings/upi/card.pdf").status_code == 409


def test_the_qr_endpoint_answers_the_till(cashier_client: FlaskClient, admin: User) -> None:
    none = cashier_client.get("/upi/qr?amount=10", headers={"Accept": "application/json"})
    assert none.status_code == 409
    assert "Settings → UPI" in none.get_json()["error"]["message"]
    upi.update_settings(db.session, UPI_FORM, admin.id)
    answer = cashier_client.get("/upi/qr?amount=149.5&tr=TB1ABC")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["amount"] == "149.50" and body["amount_text"] == "₹149.50"
    assert (body["vpa"], body["payee"], body["label"], body["tr"]) == (
        "sharma.store@okaxis",
        "Sharma & Sons",
        "Axis current",
        "TB1ABC",
    )
    assert body["link"] == (
        "upi://pay?pa=sharma.store@okaxis&pn=Sharma%20%26%20Sons&am=149.50&cu=INR"
        "&tn=Bill%20TB1ABC&tr=TB1ABC"
    )
    assert body["svg"].startswith("<svg")
    made = cashier_client.get("/upi/qr?amount=1").get_json()["tr"]
    assert re.fullmatch(r"TB[0-9]{12}[A-Z0-9]{6}", made)
    svg = cashier_client.get("/upi/qr.svg?amount=1&tr=X1")
    assert svg.mimetype == "image/svg+xml" and svg.data.startswith(b"<svg")
    for bad in ("amount=0", "amount=-5", "amount=1.234", "amount=abc", "amount=", "",
                "amount=1&tr=TB-1", "amount=1&tr=" + "A" * 36, "amount=1e3"):  # fmt: skip
        response = cashier_client.get(f"/upi/qr?{bad}", headers={"Accept": "application/json"})
        assert response.status_code == 422, bad


def test_receipt_invoice_pdf_and_escpos_carry_the_qr_for_the_balance_due_at_issue(
    admin_client: FlaskClient, admin: User
) -> None:
    set_up_upi(admin_client, upi_qr_on_documents="1")
    invoice = credit_sale(admin)
    want = {
        "pa": "sharma.store@okaxis",
        "pn": "Sharma & Sons",
        "am": "300.00",
        "cu": "INR",
        "tn": f"Bill {invoice.number}",
        "tr": invoice.number.replace("-", ""),
    }
    receipt = admin_client.get(f"/pos/receipt/{invoice.id}").get_data(as_text=True)
    assert "Scan to pay ₹300.00 by UPI" in receipt
    assert "412345678901" in receipt  # the UTR under "Paid by UPI"
    image = re.search(r'src="data:image/png;base64,([^"]+)"', receipt.split("data-upi-qr")[1])
    assert image is not None
    assert upi_links(decode_png(base64.b64decode(image.group(1)))) == [want]
    pdf = admin_client.get(f"/invoices/{invoice.id}/pdf?layout=a4")
    assert pdf.status_code == 200
    assert upi_links(decode_pdf(pdf.data)) == [want]
    db.session.expire_all()
    job = escpos_receipt.receipt_job(db.session.get(Invoice, invoice.id), load_settings(db.session))
    link = "upi://pay?pa=sharma.store@okaxis&pn=Sharma%20%26%20Sons&am=300.00"
    assert link.encode() in job
    # Issued documents never change: a new UPI ID, the switch off — the reprint is the same.
    set_up_upi(admin_client, upi_vpa_0="other@okaxis", upi_qr_on_documents="")
    again = admin_client.get(f"/invoices/{invoice.id}/pdf?layout=a4")
    assert upi_links(decode_pdf(again.data)) == [want]


def test_no_qr_when_the_switch_is_off_or_nothing_is_due(
    admin_client: FlaskClient, admin: User
) -> None:
    set_up_upi(admin_client)  # switch off
    invoice = credit_sale(admin)
    assert "data-upi-qr" not in admin_client.get(f"/pos/receipt/{invoice.id}").get_data(
        as_text=True
    )
    set_up_upi(admin_client, upi_qr_on_documents="1")
    product = make_product(db.session, price="10.00")
    paid = checkout.checkout(
        db.session,
        checkout.parse_checkout({"items": [{"product_id": product.id, "quantity": 1}]}),
        admin,
    )
    assert "data-upi-qr" not in admin_client.get(f"/pos/receipt/{paid.id}").get_data(as_text=True)
    assert upi_links(decode_pdf(admin_client.get(f"/invoices/{paid.id}/pdf?layout=a4").data)) == []


def test_the_reference_shows_on_the_invoice_page_and_in_the_api(
    admin_client: FlaskClient, admin: User, admin_headers: dict[str, str]
) -> None:
    invoice = credit_sale(admin)
    page = admin_client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "UTR 412345678901" in page
    body = admin_client.get(f"/api/invoice/{invoice.id}", headers=admin_headers).get_json()
    assert [(p["method"], p["reference"]) for p in body["payments"]] == [("upi", "412345678901")]


def test_the_khata_reminder_and_statement_carry_the_amount_due(
    admin_client: FlaskClient, admin: User
) -> None:
    set_up_upi(admin_client)
    invoice = credit_sale(admin)
    customer_id = invoice.customer_id
    page = admin_client.get(f"/customers/{customer_id}").get_data(as_text=True)
    reminder = re.search(r'<textarea id="reminder-text"[^>]*>([^<]*)</textarea>', page)
    assert reminder is not None
    text = reminder.group(1).replace("&amp;", "&")
    link = re.search(r"upi://pay\?\S+", text)
    assert link is not None and "Pay by UPI to sharma.store@okaxis" in text
    query = parse_qs(urlsplit(link.group(0)).query)
    assert query["am"] == ["300.00"] and query["tr"][0].startswith(f"KH{customer_id}D")
    wa = re.search(r'href="(https://wa.me/[^"]+)"', page)
    assert wa is not None and "upi://pay" in unquote(wa.group(1).replace("&amp;", "&"))
    today = ledger.local_today().isoformat()
    statement = admin_client.get(
        f"/customers/{customer_id}/statement.pdf", query_string={"from": today, "to": today}
    )
    assert statement.status_code == 200
    found = upi_links(decode_pdf(statement.data))
    assert (
        len(found) == 1 and found[0]["am"] == "300.00" and found[0]["pa"] == "sharma.store@okaxis"
    )
