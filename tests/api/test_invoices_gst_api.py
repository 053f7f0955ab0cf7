"""API: an invoice and its credit note carry the GST split, place of supply and every head."""

from __future__ import annotations

from flask.testing import FlaskClient

from posapp.extensions import db
from posapp.models.base import write_transaction
from posapp.services.settings import save_settings
from tests.factories import make_customer, make_product

Headers = dict[str, str]


def test_intra_state_invoice_and_note_show_equal_halves(
    client: FlaskClient,
    admin,  # type: ignore[no-untyped-def]
    admin_headers: Headers,
) -> None:
    with write_transaction(db.session):
        save_settings(db.session, state_code="27")
    tea = make_product(db.session, admin.id, price="118.00", tax_rate="18", opening_stock="5")
    response = client.post(
        "/api/invoice/create",
        headers=admin_headers,
        json={"items": [{"product_id": tea.id, "quantity": "2"}]},
    )
    assert response.status_code == 201, response.get_json()
    invoice = response.get_json()
    assert (invoice["tax_split"], invoice["place_of_supply"]["code"]) == ("cgst_sgst", "27")
    # 236.00 incl. 18 %: half = 23600 × 1800 / 23600 = 1800 exactly; tax 36.00; taxable 200.00
    [line] = invoice["lines"]
    assert {k: line[k] for k in ("taxable", "tax", "cgst", "sgst", "igst", "cess")} == {
        "taxable": "200.00",
        "tax": "36.00",
        "cgst": "18.00",
        "sgst": "18.00",
        "igst": "0.00",
        "cess": "0.00",
    }
    assert invoice["tax_summary"] == [
        {
            "rate": "18.00",
            "taxable": "200.00",
            "tax": "36.00",
            "cgst": "18.00",
            "sgst": "18.00",
            "igst": "0.00",
            "cess": "0.00",
        }
    ]
    response = client.post(
        f"/api/invoice/{invoice['id']}/return",
        headers=admin_headers,
        json={"lines": [{"line_id": line["id"], "quantity": "1"}]},
    )
    assert response.status_code == 201, response.get_json()
    note = response.get_json()
    assert (note["tax_split"], note["place_of_supply"]["code"]) == ("cgst_sgst", "27")
    # One of two: taxable 100.00, each half 9.00
    assert [(x["cgst"], x["sgst"], x["tax"]) for x in note["lines"]] == [("9.00", "9.00", "18.00")]
    assert note["tax_summary"][0]["cgst"] == note["tax_summary"][0]["sgst"] == "9.00"


def test_inter_state_invoice_is_igst(
    client: FlaskClient,
    admin,  # type: ignore[no-untyped-def]
    admin_headers: Headers,
) -> None:
    with write_transaction(db.session):
        save_settings(db.session, state_code="27")
    buyer = make_customer(db.session, admin)
    with write_transaction(db.session):
        buyer.state_code = "07"
    tea = make_product(db.session, admin.id, price="118.00", tax_rate="18", opening_stock="5")
    response = client.post(
        "/api/invoice/create",
        headers=admin_headers,
        json={"items": [{"product_id": tea.id, "quantity": "1"}], "customer_id": buyer.id},
    )
    invoice = response.get_json()
    assert (invoice["tax_split"], invoice["place_of_supply"]["code"]) == ("igst", "07")
    # 118.00 / 1.18 = 100.00 taxable; IGST 18.00
    [row] = invoice["tax_summary"]
    assert (row["cgst"], row["sgst"], row["igst"], row["tax"]) == ("0.00", "0.00", "18.00", "18.00")
