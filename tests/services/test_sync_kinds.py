"""Everything the shop writes reaches HQ: each business table is a synced kind, with its
children inside; a user goes out without anything that proves who they are; a bulk UPDATE is
seen; and a shop enrolled by another process stops skipping its writes without losing any."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, event, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from posapp.extensions import db
from posapp.models import (
    Account,
    Category,
    DebitNote,
    Expense,
    Order,
    Product,
    Purchase,
    PurchaseLine,
    Supplier,
    SupplierPayment,
    SyncOutbox,
    User,
)
from posapp.models.base import write_transaction
from posapp.services import (
    books_admin,
    categories,
    checkout,
    debit_notes,
    expenses,
    hq,
    inventory,
    orders,
    suppliers,
    sync_outbox,
    users,
)
from posapp.services.settings import save_hq
from posapp.services.suppliers import local_today
from tests.factories import make_customer, make_product

pytestmark = pytest.mark.one_backend("the shop side: a shop sells on its own SQLite file")


def enrol_here() -> None:
    """Enrol without an HQ (the client's tests enrol through HTTP)."""
    with write_transaction(db.session):
        save_hq(db.session, url="http://hq.test", shop_id="shop-1", credential="k" * 43)
    sync_outbox.set_enrolled(db.engine, True)


def payloads() -> list[str]:
    db.session.rollback()  # a fresh read: another engine may have written meanwhile
    return list(db.session.scalars(select(SyncOutbox.payload).order_by(SyncOutbox.seq)))


def last() -> dict[str, list[dict[str, Any]]]:
    """The newest changeset's records by kind."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in json.loads(payloads()[-1])["records"]:
        grouped.setdefault(record["kind"], []).append(record)
    return grouped


def held() -> set[tuple[str, str]]:
    """Every (kind, id) the outbox holds."""
    return {(r["kind"], r["id"]) for p in payloads() for r in json.loads(p)["records"]}


def receive(product: Product, supplier: Supplier, admin: User) -> Purchase:
    data = {
        "supplier_id": str(supplier.id),
        "paid_now": "0",
        "reference": "M-1",
        "lines": [{"code": product.code, "quantity": "10", "unit_cost": "50", "tax_rate": "0"}],
    }
    return inventory.receive_stock(db.session, data, admin.id)


def test_supplier_purchase_payment_and_debit_note_go_out_with_their_lines(admin: User) -> None:
    tea = make_product(db.session, admin.id, opening_stock="0")
    enrol_here()
    metro = suppliers.create_supplier(db.session, {"name": "Metro"}, admin)
    assert [(s["id"], s["data"]["name"]) for s in last()["supplier"]] == [(str(metro.id), "Metro")]

    bill = receive(tea, metro, admin)
    found = last()
    (purchase,) = found["purchase"]
    assert purchase["id"] == str(bill.id) and purchase["data"]["supplier_id"] == str(metro.id)
    assert purchase["data"]["payable"] == 50_000
    assert [(line["product_id"], line["qty_milli"]) for line in purchase["data"]["lines"]] == [
        (str(tea.id), 10_000)
    ]
    assert {"stock_movement", "product", "journal_entry", "audit"} <= set(found)

    paid = suppliers.record_payment(db.session, metro.id, {"amount": "200", "method": "upi"}, admin)
    found = last()
    (payment,) = found["supplier_payment"]
    payment_id = db.session.scalar(select(SupplierPayment.id))
    assert payment["id"] == str(payment_id) and payment["data"]["amount"] == 20_000
    assert [(a["purchase_id"], a["amount"]) for a in payment["data"]["allocations"]] == [
        (str(bill.id), 20_000)
    ]
    (again,) = found["purchase"]  # the bill's paid amount moved: its new version
    assert again["data"]["paid"] == 20_000
    assert paid is not None

    line_id = db.session.scalar(select(PurchaseLine.id).where(PurchaseLine.purchase_id == bill.id))
    note = debit_notes.record_debit_note(db.session, bill.id, {"lines": {str(line_id): "2"}}, admin)
    found = last()
    (debit,) = found["debit_note"]
    assert debit["id"] == str(note.id) and debit["data"]["amount"] == 10_000
    assert [(line["purchase_line_id"], line["qty_milli"]) for line in debit["data"]["lines"]] == [
        (str(line_id), 2_000)
    ]
    assert found["purchase"][0]["data"]["returned"] == 10_000
    assert [m["data"]["delta_milli"] for m in found["stock_movement"]] == [-2_000]
    kinds = list(found)
    assert kinds == sorted(kinds, key=sync_outbox.KINDS.index)


def test_an_order_goes_out_with_its_lines_and_its_history(admin: User) -> None:
    pen = make_product(db.session, admin.id)
    meena = make_customer(db.session, admin)
    enrol_here()
    draft = orders.parse_order(
        {"customer_id": meena.id, "items": [{"product_id": pen.id, "quantity": 2}]}
    )
    order = orders.create_order(db.session, draft, admin, "orders")
    (sent,) = last()["order"]
    assert sent["id"] == str(order.id) and sent["data"]["status"] == "pending"
    assert sent["data"]["customer_id"] == str(meena.id)
    assert [(line["product_id"], line["qty_milli"]) for line in sent["data"]["lines"]] == [
        (str(pen.id), 2_000)
    ]
    orders.change_status(db.session, order.id, "confirmed", admin)
    found = last()
    (sent,) = found["order"]
    assert sent["data"]["status"] == "confirmed"
    assert [(e["from_status"], e["to_status"]) for e in sent["data"]["events"]][-1] == (
        "pending",
        "confirmed",
    )
    assert sent["data"]["lines"][0]["reserved_milli"] == 2_000


def test_an_expense_goes_out(admin: User) -> None:
    enrol_here()
    expenses.add_expense(
        db.session,
        {"day": local_today().isoformat(), "category": "rent", "amount": "1500"},
        admin.id,
    )
    (sent,) = last()["expense"]
    assert sent["id"] == str(db.session.scalar(select(Expense.id)))
    assert (sent["data"]["category"], sent["data"]["amount"]) == ("rent", 150_000)


SECRETS = {
    "password_hash",
    "pin_hash",
    "totp_secret",
    "totp_last_step",
    "recovery_codes",
    "session_version",
    "must_change_password",
    "totp_enabled",
}


def test_a_user_goes_out_without_anything_that_proves_who_they_are(admin: User) -> None:
    with write_transaction(db.session):  # an admin with every secret a user can hold
        admin.totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        admin.totp_enabled = True
        admin.recovery_codes = json.dumps(["a" * 64, "b" * 64])
        admin.pin_hash = "pbkdf2:sha256:600000$pin$" + "c" * 64
        admin.session_version = 7
    enrol_here()  # the backfill holds the admin
    cashier = users.create_user(db.session, "ravi", "correct-horse-9", "cashier")
    (sent,) = last()["user"]
    assert sent == {
        "kind": "user",
        "id": str(cashier.id),
        "data": {
            "username": "ravi",
            "role": "cashier",
            "active": True,
            "language": "",
            "created_at": sent["data"]["created_at"],
            "last_login_at": None,
        },
    }
    users.authenticate(db.session, "ravi", "correct-horse-9")  # a login moves last_login_at
    with write_transaction(db.session):
        sync_outbox.backfill(db.session)
    assert ("user", str(admin.id)) in held() and ("user", str(cashier.id)) in held()
    everything = "\n".join(payloads())
    db.session.expire_all()
    for user in db.session.scalars(select(User)):
        for name in SECRETS:
            value = getattr(user, name)
            if isinstance(value, str) and value:
                assert value not in everything, name
    for payload in payloads():
        for record in json.loads(payload)["records"]:
            if record["kind"] == "user":
                assert set(record["data"]) == set(sync_outbox.USER_FIELDS)
                assert not SECRETS & set(record["data"])


def test_backfill_covers_the_new_kinds(admin: User) -> None:
    tea = make_product(db.session, admin.id, opening_stock="0", category="Drinks")
    metro = suppliers.create_supplier(db.session, {"name": "Metro"}, admin)
    bill = receive(tea, metro, admin)
    suppliers.record_payment(db.session, metro.id, {"amount": "100", "method": "cash"}, admin)
    line_id = db.session.scalar(select(PurchaseLine.id))
    debit_notes.record_debit_note(db.session, bill.id, {"lines": {str(line_id): "1"}}, admin)
    meena = make_customer(db.session, admin)
    draft = orders.parse_order(
        {"customer_id": meena.id, "items": [{"product_id": tea.id, "quantity": 1}]}
    )
    orders.create_order(db.session, draft, admin, "orders")
    expenses.add_expense(
        db.session, {"day": local_today().isoformat(), "category": "rent", "amount": "1"}, admin.id
    )
    with write_transaction(db.session):
        sync_outbox.backfill(db.session)
    found = held()
    for kind, model in (
        ("user", User),
        ("category", Category),
        ("account", Account),
        ("supplier", Supplier),
        ("purchase", Purchase),
        ("supplier_payment", SupplierPayment),
        ("debit_note", DebitNote),
        ("order", Order),
        ("expense", Expense),
    ):
        ids = {str(i) for i in db.session.scalars(select(model.id))}
        assert ids and {(kind, i) for i in ids} <= found, kind


def test_a_bulk_update_of_products_goes_out(admin: User) -> None:
    rice = make_product(db.session, admin.id, name="Rice")
    dal = make_product(db.session, admin.id, name="Dal")
    make_product(db.session, admin.id, name="Salt")
    enrol_here()
    with write_transaction(db.session):  # the form a re-rate or a CSV import writes
        db.session.execute(
            update(Product)
            .where(Product.id.in_([rice.id, dal.id]))
            .values(tax_rate_bp=500)
            .execution_options(synchronize_session=False)
        )
    assert {(p["data"]["name"], p["data"]["tax_rate_bp"]) for p in last()["product"]} == {
        ("Rice", 500),
        ("Dal", 500),
    }
    with write_transaction(db.session):  # a WHERE not on the id: the ids are read
        db.session.execute(
            update(Product)
            .where(Product.name == "Salt")
            .values(price=2_000)
            .execution_options(synchronize_session=False)
        )
    assert [(p["data"]["name"], p["data"]["price"]) for p in last()["product"]] == [("Salt", 2_000)]


def test_a_bulk_update_in_a_shop_without_hq_writes_nothing(admin: User) -> None:
    make_product(db.session, admin.id)
    with write_transaction(db.session):
        db.session.execute(update(Product).values(price=100))
    assert payloads() == []


def test_a_shop_without_hq_reads_its_enrolment_once_a_second_at_most(
    admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    product = make_product(db.session, admin.id)  # the first write reads it: not enrolled
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    monkeypatch.setattr(sync_outbox, "RECHECK_SECONDS", 3600.0)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for _ in range(3):
            sell(admin, product)
        assert not [s for s in statements if "settings" in s and "WHERE" in s]
        monkeypatch.setattr(sync_outbox, "RECHECK_SECONDS", 0.0)  # the second has passed
        sell(admin, product)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len([s for s in statements if "settings" in s and "WHERE" in s]) >= 1
    assert payloads() == []


def sell(admin: User, product: Product) -> None:
    payload = {"items": [{"product_id": product.id, "quantity": 1}]}
    checkout.checkout(db.session, checkout.parse_checkout(payload), admin)


# ---------------------------------------------------------------- enrolment seen by another process


@pytest.fixture
def other_engine() -> Iterator[Engine]:
    """A second engine on the same file: what another process (a CLI command) has."""
    engine = create_engine(db.engine.url)
    yield engine
    engine.dispose()


def enrol_as_the_page_does() -> None:
    """Enrolment in this engine's process: the link, then the backfill, in one transaction."""
    with write_transaction(db.session):
        save_hq(db.session, url="http://hq.test", shop_id="shop-1", credential="k" * 43)
        sync_outbox.discard_pending(db.session)
        sync_outbox.backfill(db.session)
    sync_outbox.set_enrolled(db.engine, True)


def test_a_process_that_knew_the_shop_unenrolled_sees_the_enrolment(
    admin: User, other_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(other_engine) as other:
        make_product(other, admin.id, name="Before")  # read there: not enrolled
        assert sync_outbox._not_enrolled(other_engine)
        enrol_as_the_page_does()
        monkeypatch.setattr(sync_outbox, "RECHECK_SECONDS", 0.0)  # the second has passed
        after = make_product(other, admin.id, name="After").id
    found = last()
    assert [p["data"]["name"] for p in found["product"]] == ["After"]
    assert ("product", str(after)) in held()
    assert not sync_outbox._not_enrolled(other_engine)


def test_writes_skipped_after_another_process_enrolled_are_sent_by_a_backfill(
    admin: User, other_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_outbox, "RECHECK_SECONDS", 3600.0)
    with Session(other_engine) as other:
        make_product(other, admin.id, name="Before")
        enrol_as_the_page_does()
        # Within the second the other process still trusts its "not enrolled": skipped.
        skipped = make_product(other, admin.id, name="Skipped")
        customer = make_customer(other, other.get(User, admin.id)).id  # type: ignore[arg-type]
        assert ("product", str(skipped.id)) not in held()
        monkeypatch.setattr(sync_outbox, "RECHECK_SECONDS", 0.0)
        make_product(other, admin.id, name="Later")
    found = held()
    names = {
        r["data"]["name"]
        for p in payloads()
        for r in json.loads(p)["records"]
        if r["kind"] == "product"
    }
    assert {"Before", "Skipped", "Later"} <= names
    assert ("customer", str(customer)) in found


def test_a_process_reading_not_enrolled_again_forgets_what_it_skipped(
    admin: User, other_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_outbox, "RECHECK_SECONDS", 3600.0)
    with Session(other_engine) as other:
        make_product(other, admin.id)
        make_product(other, admin.id)  # skipped, before any enrolment
        monkeypatch.setattr(sync_outbox, "RECHECK_SECONDS", 0.0)
        make_product(other, admin.id)  # read again: still not enrolled
        enrol_as_the_page_does()
        backfilled = len(payloads())
        make_product(other, admin.id, name="First sent")
    assert len(payloads()) == backfilled + 1  # one changeset, no second backfill
    assert [p["data"]["name"] for p in last()["product"]] == ["First sent"]


def test_a_deleted_category_or_account_goes_out_as_a_deletion(admin: User) -> None:
    enrol_here()
    snacks = categories.create_category(db.session, {"name": "Snacks"}, admin.id)
    bank = books_admin.add_bank_account(
        db.session, {"code": "1290", "name": "Co-op bank"}, admin.id
    )
    category_id, account_id = str(snacks.id), str(bank.id)
    assert ("category", category_id) in held() and ("account", account_id) in held()

    categories.delete_category(db.session, snacks.id, admin.id)
    deleted = last()
    assert deleted["category"] == [{"kind": "category", "id": category_id, "deleted": True}]
    assert [r["data"]["action"] for r in deleted["audit"]] == ["category.delete"]

    books_admin.delete_account(db.session, bank.id, admin.id)
    assert last()["account"] == [{"kind": "account", "id": account_id, "deleted": True}]
    # Nothing that still exists is ever sent as deleted (a till payment travels inside its
    # invoice, so it is never a record of its own, yet it exists).
    product = make_product(db.session, admin.id, opening_stock="5")
    payload = {"items": [{"product_id": product.id, "quantity": 1}]}
    checkout.checkout(db.session, checkout.parse_checkout(payload), admin)
    sent_deleted = [
        (r["kind"], r["id"]) for p in payloads() for r in json.loads(p)["records"] if "deleted" in r
    ]
    assert sent_deleted == [("category", category_id), ("account", account_id)]


def test_hq_knows_every_kind_a_shop_sends() -> None:
    assert frozenset(sync_outbox.KINDS) == hq.KINDS
