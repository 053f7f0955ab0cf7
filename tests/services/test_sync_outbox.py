"""The HQ outbox: one changeset per committed write transaction while enrolled, none otherwise."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import (
    AuditLog,
    Customer,
    Invoice,
    JournalEntry,
    Product,
    StockMovement,
    SyncOutbox,
    User,
)
from posapp.models.base import write_transaction
from posapp.services import cash_sessions, checkout, customers, ledger, returns, sync_outbox
from posapp.services.settings import save_hq
from tests.factories import make_customer, make_product


def enrol_here() -> None:
    """Enrol without an HQ (the client's tests enrol through HTTP)."""
    with write_transaction(db.session):
        save_hq(db.session, url="http://hq.test", shop_id="shop-1", credential="k" * 43)
    sync_outbox.set_enrolled(db.engine, True)


def outbox() -> list[SyncOutbox]:
    db.session.expire_all()
    return list(db.session.scalars(select(SyncOutbox).order_by(SyncOutbox.seq)))


def records(row: SyncOutbox) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(row.payload)["records"]
    assert row.size == len(found)
    return found


def by_kind(found: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in found:
        grouped.setdefault(record["kind"], []).append(record)
    return grouped


def sell(user: User, items: list[tuple[Product, object]], **extra: Any) -> Invoice:
    payload = {"items": [{"product_id": p.id, "quantity": q} for p, q in items], **extra}
    return checkout.checkout(db.session, checkout.parse_checkout(payload), user)


def test_nothing_is_written_when_not_enrolled(admin: User) -> None:
    product = make_product(db.session, admin.id)
    sell(admin, [(product, 2)])
    make_customer(db.session, admin)
    assert outbox() == []


def test_a_sale_writes_one_changeset_with_everything_it_changed(admin: User) -> None:
    product = make_product(db.session, admin.id, price="12.50", tax_rate="5")
    other = make_product(db.session, admin.id, unit="kg")
    enrol_here()
    invoice = sell(admin, [(product, 2), (other, "1.250")])

    (row,) = outbox()
    found = by_kind(records(row))
    assert list(found) == ["product", "invoice", "stock_movement", "journal_entry", "audit"]
    (sale,) = found["invoice"]
    assert sale["id"] == str(invoice.id)
    data = sale["data"]
    assert data["number"] == invoice.number and data["total"] == invoice.total
    assert data["cashier_id"] == str(admin.id)  # foreign keys as local ids, strings
    assert data["created_at"].endswith("Z") and "T" in data["created_at"]
    assert [line["product_id"] for line in data["lines"]] == [str(product.id), str(other.id)]
    assert [line["qty_milli"] for line in data["lines"]] == [2000, 1250]
    assert [(p["method"], p["amount"]) for p in data["payments"]] == [("cash", invoice.total)]
    movements = db.session.scalars(
        select(StockMovement).where(StockMovement.ref == invoice.number).order_by(StockMovement.id)
    ).all()
    assert [m["id"] for m in found["stock_movement"]] == [str(m.id) for m in movements]
    assert {p["id"]: p["data"]["stock_milli"] for p in found["product"]} == {
        str(product.id): 98_000,
        str(other.id): 98_750,
    }
    assert "name_key" not in found["product"][0]["data"]  # HQ's view of a product only
    entries = db.session.scalars(
        select(JournalEntry.id).where(JournalEntry.source_id == invoice.id)
    ).all()
    assert [j["id"] for j in found["journal_entry"]] == [str(i) for i in entries]
    assert found["journal_entry"][0]["data"]["lines"]
    (entry,) = found["audit"]
    assert entry["data"]["action"] == "sale.create" and entry["data"]["hash"]


def test_a_sale_rolled_back_leaves_no_changeset(admin: User) -> None:
    product = make_product(db.session, admin.id, opening_stock="1")
    enrol_here()

    def fail(_session: Any, _invoice: Invoice) -> None:
        raise RuntimeError("the printer caught fire")

    with pytest.raises(RuntimeError):
        checkout.checkout(
            db.session,
            checkout.parse_checkout({"items": [{"product_id": product.id, "quantity": 1}]}),
            admin,
            within=fail,
        )
    assert outbox() == []
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0
    invoice = sell(admin, [(product, 1)])  # it goes out alone, nothing of the failed ones
    (row,) = outbox()
    found = by_kind(records(row))
    assert [r["data"]["number"] for r in found["invoice"]] == [invoice.number]
    assert len(found["stock_movement"]) == 1 and len(found["audit"]) == 1


def test_a_credit_sale_carries_its_ledger_entry_and_a_payment_its_allocations(
    admin: User,
) -> None:
    product = make_product(db.session, admin.id, price="100.00")
    customer = make_customer(db.session, admin, credit_limit="1000.00")
    enrol_here()
    invoice = sell(
        admin,
        [(product, 1)],
        customer_id=customer.id,
        payments=[{"method": "credit", "amount": "100.00"}],
    )
    found = by_kind(records(outbox()[-1]))
    (entry,) = found["ledger_entry"]
    assert (entry["data"]["kind"], entry["data"]["amount"]) == ("credit_sale", 10_000)
    assert entry["data"]["invoice_id"] == str(invoice.id)
    assert entry["data"]["customer_id"] == str(customer.id)

    ledger.record_payment(db.session, customer.id, {"amount": "60.00", "method": "cash"}, admin)
    found = by_kind(records(outbox()[-1]))
    (payment,) = found["payment"]
    assert payment["data"]["invoice_id"] is None and payment["data"]["amount"] == 6_000
    assert [a["invoice_id"] for a in payment["data"]["allocations"]] == [str(invoice.id)]
    (paid,) = found["invoice"]  # the invoice's paid and status changed: its new version
    assert paid["data"]["paid"] == 6_000 and paid["data"]["status"] == "partial"
    assert "ledger_entry" in found and "audit" in found


def test_a_return_updates_the_invoice_record(admin: User) -> None:
    product = make_product(db.session, admin.id)
    enrol_here()
    invoice = sell(admin, [(product, 3)])
    note = returns.create_return(
        db.session,
        invoice.id,
        {
            "lines": [{"line_id": invoice.lines[0].id, "quantity": 1}],
            "refund_method": "cash",
            "restock": True,
        },
        admin,
    )
    found = by_kind(records(outbox()[-1]))
    (again,) = found["invoice"]
    assert again["id"] == str(invoice.id)
    assert again["data"]["returned_total"] == 1000
    (credit,) = found["credit_note"]
    assert credit["id"] == str(note.id) and credit["data"]["invoice_id"] == str(invoice.id)
    assert [line["qty_milli"] for line in credit["data"]["lines"]] == [1000]
    assert [m["data"]["delta_milli"] for m in found["stock_movement"]] == [1000]


def test_an_edited_customer_goes_out_again(admin: User) -> None:
    customer = make_customer(db.session, admin, name="Asha")
    enrol_here()
    customers.update_customer(db.session, customer.id, {"name": "Asha Devi"}, admin)
    found = by_kind(records(outbox()[-1]))
    assert [(c["id"], c["data"]["name"]) for c in found["customer"]] == [
        (str(customer.id), "Asha Devi")
    ]


def test_a_write_of_nothing_synced_writes_no_changeset(admin: User) -> None:
    enrol_here()
    with write_transaction(db.session):
        save_hq(db.session, last_error="")  # settings are not a synced kind
    assert outbox() == []


def test_backfill_covers_every_existing_record_in_batches(admin: User) -> None:
    products = [make_product(db.session, admin.id) for _ in range(3)]
    customer = make_customer(db.session, admin, credit_limit="500.00")
    sell(admin, [(products[0], 1)])
    sell(admin, [(products[1], 2)], customer_id=customer.id,
         payments=[{"method": "credit", "amount": "20.00"}])  # fmt: skip
    with write_transaction(db.session):
        written = sync_outbox.backfill(db.session, batch=2)
    rows = outbox()
    assert written == len(rows) and all(row.size <= 2 for row in rows)
    held = {(r["kind"], r["id"]) for row in rows for r in records(row)}
    expected = {("product", str(p.id)) for p in db.session.scalars(select(Product))}
    expected |= {("invoice", str(i)) for i in db.session.scalars(select(Invoice.id))}
    expected |= {("customer", str(i)) for i in db.session.scalars(select(Customer.id))}
    expected |= {("stock_movement", str(i)) for i in db.session.scalars(select(StockMovement.id))}
    expected |= {("journal_entry", str(i)) for i in db.session.scalars(select(JournalEntry.id))}
    expected |= {("audit", str(i)) for i in db.session.scalars(select(AuditLog.id))}
    assert expected <= held
    assert any(kind == "ledger_entry" for kind, _id in held)
    kinds = [r["kind"] for row in rows for r in records(row)]
    assert kinds == sorted(kinds, key=sync_outbox.KINDS.index)  # what others refer to first


def test_a_cash_session_goes_out_with_its_movements(admin: User) -> None:
    enrol_here()
    opened = cash_sessions.open_session(db.session, {"opening_float": "500.00"}, admin)
    found = by_kind(records(outbox()[-1]))
    assert [(s["id"], s["data"]["opening_float"]) for s in found["cash_session"]] == [
        (str(opened.id), 50_000)
    ]
    cash_sessions.add_movement(
        db.session, opened.id, {"kind": "pay_out", "amount": "20.00", "reason": "Tea"}, admin
    )
    (again,) = by_kind(records(outbox()[-1]))["cash_session"]
    assert [(m["kind"], m["amount"]) for m in again["data"]["movements"]] == [("pay_out", 2_000)]
