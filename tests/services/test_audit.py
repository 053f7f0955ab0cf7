"""The audit log: every entry hash-chained; `check` and the admin page find any tampering."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from posapp import MIGRATIONS_DIR
from posapp.cli import main
from posapp.extensions import db
from posapp.models import AuditLog
from posapp.models.base import write_transaction
from posapp.services import audit, checkout, users
from posapp.services.integrity import run_checks
from tests.conftest import build_app
from tests.factories import PASSWORD, make_product, make_user


def busy_shop() -> None:
    """Log in, add products, sell: several audited actions."""
    owner = make_user(db.session, "owner", "admin")
    users.authenticate(db.session, "owner", PASSWORD)
    product = make_product(db.session, owner.id, name="Ghee 500ml", price="320.00")
    checkout.checkout(
        db.session,
        checkout.parse_checkout({"items": [{"product_id": product.id, "quantity": 1}]}),
        owner,
    )


def tamper(sql: str) -> None:
    with write_transaction(db.session):
        db.session.execute(text(sql))


def test_every_entry_is_chained_to_the_one_before(app: Flask) -> None:
    busy_shop()
    entries = list(db.session.scalars(db.select(AuditLog).order_by(AuditLog.id)))
    assert len(entries) >= 4
    assert all(len(entry.hash) == 64 for entry in entries)
    assert len({entry.hash for entry in entries}) == len(entries)
    assert audit.verify_chain(entries) is None
    assert audit.first_break(db.session) is None
    report = run_checks(db.session)
    assert report.ok and "audit log hash chain unbroken" in report.checked


def test_an_edited_entry_is_named_by_check(app: Flask) -> None:
    busy_shop()
    tamper("UPDATE audit_log SET after = '{\"total\": 1}' WHERE id = 3")
    broken = audit.first_break(db.session)
    assert broken is not None and broken.entry_id == 3
    problems = run_checks(db.session).problems
    assert any("audit log entry 3" in problem for problem in problems)


def test_a_deleted_entry_breaks_the_chain_at_the_next_one(app: Flask) -> None:
    busy_shop()
    tamper("DELETE FROM audit_log WHERE id = 2")
    broken = audit.first_break(db.session)
    assert broken is not None and broken.entry_id == 3


def test_rewriting_a_hash_to_match_is_still_caught_further_on(app: Flask) -> None:
    """Re-hashing one edited entry does not help: the next entry was chained to the old hash."""
    busy_shop()
    tamper("UPDATE audit_log SET action = 'nothing.happened' WHERE id = 2")
    entry = db.session.get(AuditLog, 2, populate_existing=True)
    previous = db.session.get(AuditLog, 1)
    rehashed = audit.entry_hash(previous.hash, entry)
    tamper(f"UPDATE audit_log SET hash = '{rehashed}' WHERE id = 2")  # noqa: S608
    broken = audit.first_break(db.session)
    # The keyed hash catches it at the entry itself; without the key, the next entry would.
    assert broken is not None and broken.entry_id == 2
    assert audit.verify_chain(db.session.scalars(db.select(AuditLog).order_by(AuditLog.id))) == (
        audit.ChainBreak(3, "product.create", db.session.get(AuditLog, 3).created_at)
    )


def test_check_command_exits_1_on_a_broken_chain(data_dir: Path) -> None:
    app = build_app(data_dir)
    with app.app_context():
        busy_shop()
        tamper("UPDATE audit_log SET user_id = NULL WHERE id = 4")
        db.session.remove()
        db.engine.dispose()
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), "check"])
    assert result.exit_code == 1
    assert "audit log entry 4" in result.output


@pytest.mark.sqlite_only("migrates up from an empty database; server test databases start at head")
def test_the_migration_chains_entries_written_before_it(data_dir: Path) -> None:
    app = build_app(data_dir, AUTO_MIGRATE=False)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="eb583cc362eb")  # before the hash column
        with db.engine.begin() as connection:
            for action in ("login.ok", "product.create", "sale"):
                connection.execute(
                    text(
                        "INSERT INTO audit_log (created_at, action, entity) "
                        "VALUES ('2026-04-01 10:00:00.000001', :action, 'x')"
                    ),
                    {"action": action},
                )
        upgrade(directory=MIGRATIONS_DIR)
        assert audit.first_break(db.session) is None
        assert audit.count_entries(db.session) == 3
        db.session.remove()
        db.engine.dispose()


def log_in(client: FlaskClient, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302


def test_admin_page_lists_filters_and_verifies(app: Flask, client: FlaskClient) -> None:
    busy_shop()
    log_in(client, "owner")
    html = client.get("/audit/").get_data(as_text=True)
    assert "Audit log" in html and "login.ok" in html and "sale" in html
    only_sales = client.get("/audit/?action=sale.create").get_data(as_text=True)
    assert ">sale.create</code>" in only_sales and ">login.ok</code>" not in only_sales
    assert 'data-chain="ok"' in client.get("/audit/?verify=1").get_data(as_text=True)
    tamper("UPDATE audit_log SET entity = 'hidden' WHERE id = 2")
    html = client.get("/audit/?verify=1").get_data(as_text=True)
    assert 'data-chain="broken"' in html and "entry 2" in html


def test_cashiers_cannot_read_the_audit_log(app: Flask, client: FlaskClient) -> None:
    make_user(db.session, "owner", "admin")
    make_user(db.session, "till1", "cashier")
    log_in(client, "till1")
    assert client.get("/audit/").status_code == 403


# ---------------------------------------------------------------- keyed hashes and the anchor


def rechain(seal: audit.Seal | None) -> None:
    """What a careful tamperer does after deleting rows: recompute every plain hash (and,
    without the key, drop the keyed hashes, as if the entries predated them)."""
    previous = audit.GENESIS
    for entry in db.session.scalars(db.select(AuditLog).order_by(AuditLog.id)).all():
        entry.hash = audit.entry_hash(previous, entry)
        entry.mac = seal.mac(entry.hash) if seal is not None else None
        previous = entry.hash
    db.session.commit()


def test_entries_carry_a_keyed_hash_with_an_owner_only_key(app: Flask, data_dir: Path) -> None:
    import hashlib
    import hmac
    import os
    import stat

    busy_shop()
    key_file = data_dir / audit.KEY_FILE
    key = key_file.read_text(encoding="ascii").encode()
    if os.name != "nt":
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    for entry in db.session.scalars(db.select(AuditLog)):
        assert entry.mac == hmac.new(key, entry.hash.encode(), hashlib.sha256).hexdigest()
    assert key.decode() not in (data_dir / audit.ANCHOR_FILE).read_text(encoding="utf-8")


def test_the_anchor_follows_commits_and_check_reports_a_trimmed_tail(app: Flask) -> None:
    busy_shop()
    newest = db.session.scalar(db.select(db.func.max(AuditLog.id)))
    seal = audit.seal_of(db.session)
    assert seal is not None
    anchor, problem = seal.read()
    assert problem is None and anchor is not None and anchor.last_id >= 1  # written at a commit
    audit.write_anchor(db.session)
    anchor, _ = seal.read()
    assert anchor is not None and (anchor.last_id, anchor.count) == (newest, newest)
    assert run_checks(db.session).ok
    tamper(f"DELETE FROM audit_log WHERE id > {newest - 2}")  # noqa: S608
    assert audit.first_break(db.session) is None  # the chain alone cannot see a missing tail
    problems = run_checks(db.session).problems
    expected = f"the audit log ends at #{newest - 2} but the anchor records #{newest}"
    assert any(expected in p for p in problems), problems


def test_deleting_a_middle_entry_and_rechaining_is_caught(app: Flask) -> None:
    busy_shop()
    audit.write_anchor(db.session)
    tamper("DELETE FROM audit_log WHERE id = 2")
    rechain(None)  # no key: keyed hashes dropped, plain chain made whole again
    assert audit.verify_chain(db.session.scalars(db.select(AuditLog).order_by(AuditLog.id))) is None
    problems = run_checks(db.session).problems
    assert any("differs from the anchor" in p for p in problems), problems
    assert any("were deleted" in p and "entries up to" in p for p in problems), problems


def test_rechaining_without_the_key_breaks_the_keyed_hashes(app: Flask) -> None:
    busy_shop()
    tamper("DELETE FROM audit_log WHERE id = 2")
    previous = audit.GENESIS
    for entry in db.session.scalars(db.select(AuditLog).order_by(AuditLog.id)).all():
        entry.hash = audit.entry_hash(previous, entry)  # keyed hashes left as they were
        previous = entry.hash
    db.session.commit()
    broken = audit.first_break(db.session)
    assert broken is not None and broken.entry_id == 3  # the first entry the rechain changed


def test_an_edited_anchor_file_is_reported(app: Flask, data_dir: Path) -> None:
    import json

    busy_shop()
    audit.write_anchor(db.session)
    path = data_dir / audit.ANCHOR_FILE
    body = json.loads(path.read_text(encoding="utf-8"))
    body["last_id"], body["count"] = 1, 1
    path.write_text(json.dumps(body), encoding="utf-8")
    problems = run_checks(db.session).problems
    assert any("anchor" in p and "was altered" in p for p in problems), problems


def test_check_command_reports_a_trimmed_log_after_close(data_dir: Path) -> None:
    from posapp.maintenance.startup import close_database

    app = build_app(data_dir)
    with app.app_context():
        busy_shop()
        newest = db.session.scalar(db.select(db.func.max(AuditLog.id)))
        db.session.remove()
    close_database(app)  # closing anchors the log with its count
    with app.app_context():
        tamper(f"DELETE FROM audit_log WHERE id = {newest}")  # noqa: S608
        db.session.remove()
        db.engine.dispose()
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), "check"])
    assert result.exit_code == 1
    assert f"but the anchor records #{newest}" in result.output


def test_new_entries_after_a_trimmed_tail_do_not_hide_it(app: Flask) -> None:
    """SQLite hands the freed ids out again: the anchor must not move on to the new entries."""
    busy_shop()
    seal = audit.seal_of(db.session)
    assert seal is not None
    seal.every = 0  # anchor at every commit, to make the case without waiting
    audit.write_anchor(db.session)
    newest = db.session.scalar(db.select(db.func.max(AuditLog.id)))
    tamper(f"DELETE FROM audit_log WHERE id >= {newest - 1}")  # noqa: S608
    for _ in range(3):  # new entries take the deleted ids and go past them
        with write_transaction(db.session):
            audit.record(db.session, "settings.change", entity="setting")
    assert audit.first_break(db.session) is None
    anchor, _ = seal.read()
    assert anchor is not None and anchor.last_id == newest
    problems = run_checks(db.session).problems
    assert any(f"entry #{newest} is missing or differs" in p for p in problems), problems
