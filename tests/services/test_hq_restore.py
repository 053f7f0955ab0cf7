"""A restore and HQ sync: the outbox numbering is carried forward, the link to HQ is the
installation's, and HQ ends up holding the restored shop's records — nothing it sends after the
restore is skipped as a duplicate."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from posapp.extensions import db
from posapp.maintenance.startup import restore
from posapp.models import Invoice, Product, SyncOutbox, User
from posapp.services import backups, checkout, hq_client, sync_outbox
from posapp.services.settings import load_hq, write_to_file
from tests.conftest import build_app
from tests.factories import make_product
from tests.hq_fake import CREDENTIAL, GOOD_CODE, SHOP_ID, FakeHq, opener, running_hq

pytestmark = pytest.mark.one_backend("the shop side: restore works on the shop's SQLite file")

Key = tuple[str, str]


@pytest.fixture
def hq() -> Iterator[FakeHq]:
    with running_hq() as server:
        yield server


def owner() -> User:
    return db.session.scalars(select(User).where(User.role == "admin")).first()  # type: ignore[return-value]


def sell(qty: int = 1) -> Invoice:
    product = db.session.scalars(select(Product).order_by(Product.id)).first()
    assert product is not None
    payload = {"items": [{"product_id": product.id, "quantity": qty}]}
    return checkout.checkout(db.session, checkout.parse_checkout(payload), owner())


def push() -> int:
    return hq_client.push(db.session, opener()).acked


def backup(data_dir: Path, name: str) -> Path:
    return backups.backup_database(data_dir / "tillbook.db", data_dir.parent / name).path


def shop_records() -> dict[Key, dict[str, Any]]:
    """Every record of the shop in its current state, as HQ should hold it."""
    connection = db.session.connection()
    touched: set[tuple[str, int]] = set()
    for kind in sync_outbox.KINDS:
        source = sync_outbox._TABLE_OF_KIND[kind]
        touched |= {(kind, i) for i in connection.execute(select(source.c.id)).scalars()}
    found = sync_outbox.serialize(connection, touched)
    db.session.rollback()
    return {(r["kind"], r["id"]): r["data"] for r in found}


def at_hq(hq: FakeHq) -> dict[Key, dict[str, Any]]:
    return {key: data for key, (_seq, data) in hq.records.items()}


def assert_hq_mirrors_the_shop(hq: FakeHq) -> dict[Key, dict[str, Any]]:
    """HQ holds every record of the shop as the shop has it; returns what HQ holds beyond."""
    shop, held = shop_records(), at_hq(hq)
    assert {key: held.get(key) for key in shop} == shop
    return {key: data for key, data in held.items() if key not in shop}


def restored(app: Flask, source: Path) -> None:
    """Restore as the Backups page does: this request's connection let go of first."""
    db.session.remove()
    restore(app, source)


def outbox_seqs() -> list[int]:
    db.session.rollback()
    return list(db.session.scalars(select(SyncOutbox.seq).order_by(SyncOutbox.seq)))


def test_after_an_older_backup_is_restored_hq_gets_the_new_sales(
    app: Flask, data_dir: Path, hq: FakeHq, admin: User
) -> None:
    make_product(db.session, admin.id, name="Tea", opening_stock="50")
    sell()
    hq_client.enrol(db.session, hq.url, GOOD_CODE, admin.id, "0.1.0", opener())
    push()
    old = backup(data_dir, "older.db")
    high_in_backup = max(outbox_seqs())
    # After the backup: at HQ, then discarded by the restore.
    lost = [(i.id, i.number) for i in (sell(2) for _ in range(3))]
    acked = push()
    sell()  # never reached HQ
    replaced_high = max(outbox_seqs())
    assert replaced_high == acked + 1

    restored(app, old)

    link = load_hq(db.session)
    assert (link.shop_id, link.credential, link.acked_seq) == (SHOP_ID, CREDENTIAL, acked)
    seqs = outbox_seqs()
    # Every number from HQ's ack on is present: the one HQ never got is an empty changeset,
    # then the restored state of what changed since the backup, above both files' numbers.
    assert [s for s in seqs if s > acked] == list(range(acked + 1, seqs[-1] + 1))
    assert seqs[-1] > replaced_high > high_in_backup
    again = sell(5)  # the restored shop sells on: its local ids are the discarded sales' ids
    assert again.id == lost[0][0] and again.number != lost[0][1]
    assert push() == max(outbox_seqs())

    # HQ holds exactly the shop: the discarded sales were sent as deletions (the restore
    # knew them from the replaced data's outbox), the re-created id is the new sale.
    assert assert_hq_mirrors_the_shop(hq) == {}
    assert {("invoice", str(invoice_id)) for invoice_id, _number in lost} <= hq.deleted
    assert hq.records[("invoice", str(again.id))][1]["number"] == again.number
    assert all(count == 1 for seq, count in hq.sent_seqs.items() if seq > acked)


def test_a_backup_from_before_enrolment_keeps_the_shop_enrolled(
    app: Flask, data_dir: Path, hq: FakeHq, admin: User
) -> None:
    make_product(db.session, admin.id, name="Tea", opening_stock="50")
    sell()
    before = backup(data_dir, "before-enrolment.db")
    hq_client.enrol(db.session, hq.url, GOOD_CODE, admin.id, "0.1.0", opener())
    sell(3)
    acked = push()

    restored(app, before)

    link = load_hq(db.session)
    assert (link.url, link.shop_id, link.credential) == (hq.url, SHOP_ID, CREDENTIAL)
    assert link.acked_seq == acked
    assert min(s for s in outbox_seqs()) > acked  # the restored records, after HQ's
    sell(2)
    assert push() == max(outbox_seqs())
    assert_hq_mirrors_the_shop(hq)
    # The product's stock at HQ is the restored shop's again (the lost sale's is gone).
    (tea,) = [data for (kind, _id), data in at_hq(hq).items() if kind == "product"]
    assert tea["stock_milli"] == 50_000 - 1_000 - 2_000


def test_another_shops_backup_never_makes_this_till_push_as_that_shop(
    app: Flask, data_dir: Path, hq: FakeHq, admin: User
) -> None:
    make_product(db.session, admin.id, name="Tea", opening_stock="50")
    other = backup(data_dir, "other-shop.db")
    for key, value in (
        ("hq_url", "http://elsewhere.test"),
        ("hq_shop_id", "another-shop"),
        ("hq_credential", "o" * 43),
        ("hq_acked_seq", "900"),
    ):
        write_to_file(other, key, value)
    connection = sqlite3.connect(other)  # its own outbox, numbered in its own series
    with connection:
        connection.execute(
            "INSERT INTO sync_outbox (seq, created_at, payload, size) "
            "VALUES (950, '2026-12-01 10:00:00', '{\"records\":[]}', 0)"
        )
    connection.close()
    hq_client.enrol(db.session, hq.url, GOOD_CODE, admin.id, "0.1.0", opener())
    acked = push()

    restored(app, other)

    link = load_hq(db.session)
    assert (link.url, link.shop_id, link.credential, link.acked_seq) == (
        hq.url,
        SHOP_ID,
        CREDENTIAL,
        acked,
    )
    assert 950 not in outbox_seqs()
    assert push() == max(outbox_seqs())
    assert_hq_mirrors_the_shop(hq)


def test_a_shops_backup_restored_on_a_fresh_install_keeps_its_own_link(
    app: Flask, data_dir: Path, tmp_path: Path, hq: FakeHq, admin: User
) -> None:
    make_product(db.session, admin.id, name="Tea", opening_stock="50")
    hq_client.enrol(db.session, hq.url, GOOD_CODE, admin.id, "0.1.0", opener())
    sell()
    acked = push()
    sell()  # not at HQ yet
    saved = backup(data_dir, "the-shop.db")
    high = max(outbox_seqs())

    fresh_dir = tmp_path / "new-computer"
    fresh_dir.mkdir()
    fresh = build_app(fresh_dir)
    with fresh.app_context():
        make_product(db.session, name="Anything")  # a fresh install someone tried out
        restored(fresh, saved)
        link = load_hq(db.session)
        assert (link.shop_id, link.credential, link.acked_seq) == (SHOP_ID, CREDENTIAL, acked)
        assert max(outbox_seqs()) == high  # its own numbering, nothing to carry
        sell()
        assert push() == high + 1
        assert_hq_mirrors_the_shop(hq)
        db.session.remove()
        db.engine.dispose()


def test_without_hq_a_restore_writes_no_changeset(app: Flask, data_dir: Path, admin: User) -> None:
    make_product(db.session, admin.id, name="Tea", opening_stock="50")
    sell()
    old = backup(data_dir, "older.db")
    sell()
    restored(app, old)
    assert outbox_seqs() == []
    assert not load_hq(db.session).enrolled


def test_an_older_backup_on_a_new_computer_sends_every_new_sale_though_hq_is_ahead(
    app: Flask, data_dir: Path, tmp_path: Path, hq: FakeHq, admin: User
) -> None:
    """The old computer pushed after the backup; the new one, restored from it, writes more
    changesets than HQ is ahead before its first push. Without asking HQ first, its first
    numbers would be ones HQ holds, and HQ would skip those sales as duplicates."""
    make_product(db.session, admin.id, name="Tea", opening_stock="50")
    hq_client.enrol(db.session, hq.url, GOOD_CODE, admin.id, "0.1.0", opener())
    sell()
    in_backup = push()
    saved = backup(data_dir, "the-shop.db")
    for _ in range(2):
        sell(2)
    ahead = push()  # the old computer's last push, then it dies
    assert ahead > in_backup

    fresh_dir = tmp_path / "new-computer"
    fresh_dir.mkdir()
    fresh = build_app(fresh_dir)
    with fresh.app_context():
        restored(fresh, saved)
        assert load_hq(db.session).recheck_ack
        new_sales = [sell(3) for _ in range(3 * (ahead - in_backup))]
        assert max(outbox_seqs()) > ahead  # past HQ's number: the push's answer can't tell

        top = push()

        assert top == max(outbox_seqs()) > ahead
        link = load_hq(db.session)
        assert (link.acked_seq, link.recheck_ack) == (top, False)
        assert_hq_mirrors_the_shop(hq)
        for sale in new_sales:
            assert hq.records[("invoice", str(sale.id))][1]["number"] == sale.number
        db.session.remove()
        db.engine.dispose()
