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
    checkout.checkout(db.session, {"items": [{"product_id": product.id, "quantity": 1}]}, owner)


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
    assert broken is not None and broken.entry_id == 3


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
    only_sales = client.get("/audit/?action=sale").get_data(as_text=True)
    assert "<code>sale</code>" in only_sales and "<code>login.ok</code>" not in only_sales
    assert 'data-chain="ok"' in client.get("/audit/?verify=1").get_data(as_text=True)
    tamper("UPDATE audit_log SET entity = 'hidden' WHERE id = 2")
    html = client.get("/audit/?verify=1").get_data(as_text=True)
    assert 'data-chain="broken"' in html and "entry 2" in html


def test_cashiers_cannot_read_the_audit_log(app: Flask, client: FlaskClient) -> None:
    make_user(db.session, "owner", "admin")
    make_user(db.session, "till1", "cashier")
    log_in(client, "till1")
    assert client.get("/audit/").status_code == 403
