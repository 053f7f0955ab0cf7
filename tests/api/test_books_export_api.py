"""API: GET /api/books/tally.xml (admins only; bad dates answer the error envelope)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from flask.testing import FlaskClient

from posapp.extensions import db
from posapp.models.base import write_transaction
from posapp.services import books
from posapp.services.books import cr, dr
from tests.factories import make_customer


def test_tally_xml_of_a_range(client: FlaskClient, admin, admin_headers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    buyer = make_customer(db.session, admin, name="Meena & Co")
    with write_transaction(db.session):
        books.post(
            db.session, day=date(2026, 11, 3), source_kind="sale", source_id=1,
            reference="INV/0002", narration="On credit",
            lines=[dr("receivable", 21000, customer_id=buyer.id), cr("sales", 21000)],
        )  # fmt: skip
    got = client.get("/api/books/tally.xml?from=2026-11-01&to=2026-11-30", headers=admin_headers)
    assert got.status_code == 200 and got.mimetype == "application/xml"
    root = ET.fromstring(got.data)  # noqa: S314 (our own export)
    ledgers = {x.get("NAME"): x.findtext("PARENT") for x in root.iter("LEDGER")}
    assert ledgers == {"Meena & Co": "Sundry Debtors", "Sales": "Sales Accounts"}
    amounts = [
        (e.findtext("LEDGERNAME"), e.findtext("AMOUNT")) for e in root.iter("ALLLEDGERENTRIES.LIST")
    ]
    assert amounts == [("Meena & Co", "-210.00"), ("Sales", "210.00")]
    empty = client.get("/api/books/tally.xml?from=2026-12-01&to=2026-12-31", headers=admin_headers)
    assert empty.status_code == 200 and b"<VOUCHER" not in empty.data


def test_bad_dates_answer_the_error_envelope(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    for query, field in (
        ("from=2026-11-01", "to"),
        ("from=yesterday&to=2026-11-30", "from"),
        ("from=2026-11-30&to=2026-11-01", "to"),
        ("from=0001-01-01&to=2026-11-01", "from"),
    ):
        got = client.get(f"/api/books/tally.xml?{query}", headers=admin_headers)
        assert got.status_code == 422, query
        body = got.get_json()
        assert body["error"]["code"] == "validation_error"
        assert field in body["error"]["details"]["fields"], query


def test_only_admins(client: FlaskClient, cashier_headers: dict[str, str]) -> None:
    query = "from=2026-11-01&to=2026-11-30"
    assert client.get(f"/api/books/tally.xml?{query}").status_code == 401
    assert client.get(f"/api/books/tally.xml?{query}", headers=cashier_headers).status_code == 403
