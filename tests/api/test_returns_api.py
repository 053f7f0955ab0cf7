"""API: returns (credit notes) and voids of invoices (docs/API.md)."""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from pypdf import PdfReader

from posapp.extensions import db
from tests.factories import make_product

Headers = dict[str, str]


def _sale(client: FlaskClient, headers: Headers, product_id: int, qty: str = "3") -> dict:
    response = client.post(
        "/api/invoice/create",
        headers=headers,
        json={"items": [{"product_id": product_id, "quantity": qty}]},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_return_answers_201_with_the_credit_note(
    client: FlaskClient,
    admin,  # type: ignore[no-untyped-def]
    admin_headers: Headers,
) -> None:
    tea = make_product(db.session, admin.id, price="118.00", tax_rate="18", opening_stock="5")
    invoice = _sale(client, admin_headers, tea.id)
    line_id = invoice["lines"][0]["id"]
    response = client.post(
        f"/api/invoice/{invoice['id']}/return",
        headers=admin_headers,
        json={
            "lines": [{"line_id": line_id, "quantity": "1"}],
            "refund_method": "cash",
            "restock": True,
        },
    )
    assert response.status_code == 201, response.get_json()
    note = response.get_json()
    assert note["number"].startswith("CN") and note["number"].endswith("-000001")
    assert note["total"] == "118.00" and note["refund"] == "118.00"
    assert note["lines"][0]["quantity"] == "1" and note["lines"][0]["tax"] == "18.00"
    assert note["invoice"]["number"] == invoice["number"]
    pdf = client.get(note["pdf_url"], headers=admin_headers)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Credit Total" in text and "Taxable value" in text and "Subtotal" not in text
    assert "118.00" in text and "100.00" in text  # the total and its taxable value
    again = client.get(f"/api/invoice/{invoice['id']}", headers=admin_headers).get_json()
    assert again["returned_total"] == "118.00"
    assert again["credit_notes"][0]["number"] == note["number"]
    assert again["status"] == "paid" and again["paid"] == "236.00"


def test_return_errors(
    client: FlaskClient,
    admin,  # type: ignore[no-untyped-def]
    admin_headers: Headers,
) -> None:
    soap = make_product(db.session, admin.id, opening_stock="5")
    invoice = _sale(client, admin_headers, soap.id, "2")
    url = f"/api/invoice/{invoice['id']}/return"
    line_id = invoice["lines"][0]["id"]
    missing = client.post(
        "/api/invoice/99999/return",
        headers=admin_headers,
        json={"lines": [{"line_id": 1, "quantity": 1}]},
    )
    assert missing.status_code == 404
    over = client.post(
        url, headers=admin_headers, json={"lines": [{"line_id": line_id, "quantity": 3}]}
    )
    assert over.status_code == 409
    assert over.get_json()["error"]["code"] == "over_return"
    bad = client.post(
        url,
        headers=admin_headers,
        json={"lines": [{"line_id": line_id, "quantity": "x"}], "refund_method": "cheque"},
    )
    assert bad.status_code == 422
    assert "refund_method" in bad.get_json()["error"]["details"]["fields"]
    bad_qty = client.post(
        url, headers=admin_headers, json={"lines": [{"line_id": line_id, "quantity": "x"}]}
    )
    assert bad_qty.status_code == 422
    assert "lines.0.quantity" in bad_qty.get_json()["error"]["details"]["fields"]
    malformed = client.post(
        url, headers={**admin_headers, "Content-Type": "application/json"}, data="{"
    )
    assert malformed.status_code == 400


def test_void_is_admin_only_and_once(
    client: FlaskClient,
    admin,  # type: ignore[no-untyped-def]
    admin_headers: Headers,
    cashier_headers: Headers,
) -> None:
    soap = make_product(db.session, admin.id, opening_stock="5")
    invoice = _sale(client, cashier_headers, soap.id, "2")
    url = f"/api/invoice/{invoice['id']}/void"
    assert client.post(url, headers=cashier_headers, json={"reason": "x"}).status_code == 403
    assert client.post(url, headers=admin_headers, json={}).status_code == 422
    done = client.post(url, headers=admin_headers, json={"reason": "test sale"})
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["status"] == "void" and body["void"]["reason"] == "test sale"
    assert body["balance_due"] == "0.00"
    assert client.post(url, headers=admin_headers, json={"reason": "x"}).status_code == 409
    assert client.get(f"/api/products/{soap.id}", headers=admin_headers).get_json()["stock"] == "5"


def test_cashier_cannot_return_another_cashiers_invoice(
    client: FlaskClient,
    admin,  # type: ignore[no-untyped-def]
    admin_headers: Headers,
    cashier_headers: Headers,
) -> None:
    soap = make_product(db.session, admin.id, opening_stock="5")
    invoice = _sale(client, admin_headers, soap.id, "1")
    response = client.post(
        f"/api/invoice/{invoice['id']}/return",
        headers=cashier_headers,
        json={"lines": [{"line_id": invoice["lines"][0]["id"], "quantity": 1}]},
    )
    assert response.status_code == 403
