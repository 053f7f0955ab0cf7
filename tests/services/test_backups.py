"""Backups: consistent verified copies, rotation, automatic backups at start, and restore."""

from __future__ import annotations

import getpass
import hashlib
import json
import sqlite3
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask_migrate import upgrade
from hypothesis import given
from hypothesis import strategies as st

from posapp import cli
from posapp.cli import main
from posapp.extensions import db
from posapp.instance import InstanceLock
from posapp.maintenance.database import head_revision
from posapp.maintenance.startup import backup_at_start, restore
from posapp.models import Invoice, Product
from posapp.services import backups, checkout
from posapp.services.backups import BackupError
from tests.conftest import build_app
from tests.factories import make_product, make_user
from tests.restore_files import not_tillbook_files

pytestmark = pytest.mark.sqlite_only(
    "backups copy the SQLite file; on a database server they are pg_dump's / mariadb-dump's job"
)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def count(path: Path, table: str) -> int:
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608
    finally:
        connection.close()


def test_a_backup_of_a_live_database_holds_what_is_still_in_the_wal(
    app: Flask, data_dir: Path
) -> None:
    make_product(db.session, name="Sugar 1kg")  # committed, still in the -wal file
    assert Path(f"{data_dir / 'tillbook.db'}-wal").stat().st_size > 0
    info = backups.backup_database(data_dir / "tillbook.db", data_dir / "copy.db")
    assert info.path == data_dir / "copy.db"
    assert count(info.path, "products") == 1
    assert backups.integrity_ok(info.path) == []
    assert info.revision == head_revision(app)
    assert not Path(f"{info.path}-wal").exists()  # one self-contained file
    assert not list(data_dir.glob("*.partial"))


def test_backup_names_sort_by_time_and_say_why() -> None:
    name = backups.backup_name("Before migration 3bc6", datetime(2026, 11, 23, 9, 5, 7))
    assert name == "tillbook-20261123-090507-before-migration-3bc6.db"
    assert backups.BACKUP_RE.match(name)


moments = st.lists(
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31)),
    min_size=1,
    max_size=80,
    unique=True,
)


@given(moments)
def test_rotation_keeps_the_newest_of_the_last_14_days_and_12_months(
    times: list[datetime],
) -> None:
    found = [(moment, Path(f"b{i}.db")) for i, moment in enumerate(times)]
    path_of = {moment: path for moment, path in found}
    kept = backups.backups_to_keep(found)
    assert path_of[max(times)] in kept  # the latest backup always survives
    days = sorted({m.date() for m in times})[-14:]
    months = sorted({(m.year, m.month) for m in times})[-12:]
    expected = {path_of[max(m for m in times if m.date() == day)] for day in days}
    expected |= {path_of[max(m for m in times if (m.year, m.month) == ym)] for ym in months}
    assert kept == expected
    assert len(kept) <= 14 + 12


def test_rotate_deletes_only_what_rotation_drops(tmp_path: Path) -> None:
    start = datetime(2026, 1, 1, 10, 0, 0)
    for day in range(50):
        for hour in (0, 5):
            moment = start + timedelta(days=day, hours=hour)
            (tmp_path / backups.backup_name("daily", moment)).write_bytes(b"x")
    (tmp_path / "my-own-copy.db").write_bytes(b"mine")  # not ours: never touched
    safety = tmp_path / backups.backup_name("before-restore", start)  # safety copies stay
    safety.write_bytes(b"x")
    removed = backups.rotate(tmp_path)
    left = backups.list_backups(tmp_path)
    # The 14 newest days are 6-19 February; January's newest (the 31st) is kept for its month.
    assert len(left) == 14 + 1 + 1  # and the safety backup
    assert len(removed) == 100 - 15
    assert safety.exists()
    assert (tmp_path / "my-own-copy.db").exists()


def test_the_first_start_of_a_day_takes_one_backup(data_dir: Path) -> None:
    first = build_app(data_dir)  # fresh install: nothing to back up
    with first.app_context():
        db.engine.dispose()
    assert backups.list_backups(data_dir / "backups") == []
    for _ in range(2):  # two more starts the same day
        again = build_app(data_dir)
        with again.app_context():
            db.engine.dispose()
    daily = backups.list_backups(data_dir / "backups")
    assert len(daily) == 1 and daily[0][1].name.endswith("-daily.db")
    tomorrow = datetime.now() + timedelta(days=1)
    info = backup_at_start(again, now=tomorrow)
    assert info is not None and len(backups.list_backups(data_dir / "backups")) == 2


def test_a_server_takes_the_days_backup_on_a_thread_and_answers_at_once(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build_app(data_dir)  # fresh install: nothing to back up
    with first.app_context():
        db.engine.dispose()
    release = threading.Event()
    real_take = backups.take_backup

    def held_take(*args: object, **kwargs: object) -> backups.BackupInfo:
        release.wait(timeout=30)  # a synchronous backup would hold the start this long
        return real_take(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(backups, "take_backup", held_take)
    # What `serve` and the window ask for: the app is ready before the backup is written.
    served = build_app(data_dir, DAILY_BACKUP_IN_BACKGROUND=True)
    assert backups.list_backups(data_dir / "backups") == []
    release.set()
    worker = served.extensions["tillbook_daily_backup"]
    worker.join(timeout=60)
    assert not worker.is_alive()
    daily = backups.list_backups(data_dir / "backups")
    assert len(daily) == 1 and daily[0][1].name.endswith("-daily.db")
    assert backups.integrity_ok(daily[0][1]) == []
    with served.app_context():
        db.engine.dispose()
    again = build_app(data_dir, DAILY_BACKUP_IN_BACKGROUND=True)  # the same day: none due
    assert "tillbook_daily_backup" not in again.extensions
    with again.app_context():
        db.engine.dispose()


def _database_at_first_revision(data_dir: Path) -> Flask:
    """Build a database stopped at the oldest migration (what an old install has)."""
    app = build_app(data_dir, AUTO_MIGRATE=False)
    from alembic.script import ScriptDirectory

    from posapp import MIGRATIONS_DIR

    base = ScriptDirectory(MIGRATIONS_DIR).get_base()
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision=base)
        db.engine.dispose()
    return app


def test_a_pending_migration_is_preceded_by_a_backup(data_dir: Path) -> None:
    old = _database_at_first_revision(data_dir)
    if backups.schema_revision(data_dir / "tillbook.db") == head_revision(old):
        pytest.skip("only one migration exists so far: nothing is ever pending")
    build_app(data_dir)
    names = [path.name for _, path in backups.list_backups(data_dir / "backups")]
    assert len(names) == 1 and "-before-migration-" in names[0]


def close(app: Flask) -> None:
    """Let go of every connection, as a process that exits would."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def run_cli(data_dir: Path, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), *args], input=input)


def sell_one(app: Flask) -> None:
    with app.app_context():
        user = make_user(db.session, "owner", "admin")
        product = make_product(db.session, name="Tea 250g", price="120.00", opening_stock="5")
        checkout.checkout(
            db.session,
            checkout.parse_checkout({"items": [{"product_id": product.id, "quantity": 1}]}),
            user,
        )
    close(app)


def test_cli_backup_then_restore_brings_the_old_data_back(data_dir: Path, tmp_path: Path) -> None:
    app = build_app(data_dir)
    sell_one(app)
    usb = tmp_path / "usb"
    result = run_cli(data_dir, "backup", "--to", str(usb))
    assert result.exit_code == 0, result.output
    (copy,) = list(usb.iterdir())
    assert "verified" in result.output and count(copy, "invoices") == 1

    # More sales after the backup ...
    with app.app_context():
        product = db.session.query(Product).one()
        user = db.session.get(Invoice, 1).cashier
        checkout.checkout(
            db.session,
            checkout.parse_checkout({"items": [{"product_id": product.id, "quantity": 2}]}),
            user,
        )
    close(app)
    assert count(data_dir / "tillbook.db", "invoices") == 2

    # ... are gone after restoring it, and kept in the safety backup.
    result = run_cli(data_dir, "restore", str(copy), "--yes")
    assert result.exit_code == 0, result.output
    assert count(data_dir / "tillbook.db", "invoices") == 1
    safety = [
        p for _, p in backups.list_backups(data_dir / "backups") if "before-restore" in p.name
    ]
    assert len(safety) == 1 and count(safety[0], "invoices") == 2
    assert not list(data_dir.glob("restore-in-progress*"))
    check = run_cli(data_dir, "check")
    assert check.exit_code == 0, check.output


def audit_rows(path: Path) -> list[tuple[str, int | None, dict[str, object]]]:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("SELECT action, user_id, after FROM audit_log ORDER BY id")
        return [(a, u, json.loads(after or "{}")) for a, u, after in rows.fetchall()]
    finally:
        connection.close()


def test_cli_backup_and_restore_are_audited_as_the_os_user(data_dir: Path, tmp_path: Path) -> None:
    sell_one(build_app(data_dir))
    me = f"cli:{getpass.getuser()}"
    usb = tmp_path / "usb"
    assert run_cli(data_dir, "backup", "--to", str(usb)).exit_code == 0
    (copy,) = list(usb.iterdir())
    action, user_id, after = audit_rows(data_dir / "tillbook.db")[-1]
    assert (action, user_id) == ("backup.create", None)
    assert after == {"file": copy.name, "size": copy.stat().st_size, "to": str(usb), "by": me}

    assert run_cli(data_dir, "restore", str(copy), "--yes").exit_code == 0
    # The entry lands in the restored data (the backup did not hold its own entry) ...
    entries = audit_rows(data_dir / "tillbook.db")
    assert [a for a, _, _ in entries].count("backup.create") == 0
    action, user_id, after = entries[-1]
    assert (action, user_id) == ("backup.restore", None)
    assert after["source"] == copy.name and after["by"] == me
    # ... and keeps the hash chain whole.
    assert run_cli(data_dir, "check").exit_code == 0

    # A refused restore writes nothing.
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database")
    assert run_cli(data_dir, "restore", str(bad), "--yes").exit_code == 1
    assert audit_rows(data_dir / "tillbook.db") == entries


def test_restore_asks_before_replacing_the_data(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Someone at a terminal answers "n" (without one, restore refuses to ask: test_cli_console).
    monkeypatch.setattr(cli, "stdin_is_interactive", lambda: True)
    sell_one(build_app(data_dir))
    assert run_cli(data_dir, "backup").exit_code == 0
    (copy,) = [p for _, p in backups.list_backups(data_dir / "backups") if "manual" in p.name]
    before = digest(data_dir / "tillbook.db")
    result = run_cli(data_dir, "restore", str(copy), input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    assert digest(data_dir / "tillbook.db") == before


def test_restore_refuses_while_tillbook_runs_on_the_data(data_dir: Path, tmp_path: Path) -> None:
    sell_one(build_app(data_dir))
    assert run_cli(data_dir, "backup").exit_code == 0
    (copy,) = [p for _, p in backups.list_backups(data_dir / "backups") if "manual" in p.name]
    before = digest(data_dir / "tillbook.db")
    running = InstanceLock(data_dir)  # what the window or `serve` holds while it runs
    assert running.acquire()
    try:
        result = run_cli(data_dir, "restore", str(copy), "--yes")
    finally:
        running.release()
    assert result.exit_code == 1
    assert "already running" in result.output and "Close it first" in result.output
    assert digest(data_dir / "tillbook.db") == before
    assert run_cli(data_dir, "restore", str(copy), "--yes").exit_code == 0


def _bad_files(tmp_path: Path, good: Path) -> dict[str, Path]:
    text = tmp_path / "notes.db"
    text.write_text("not a database at all")
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    foreign = tmp_path / "other-app.db"
    connection = sqlite3.connect(foreign)
    connection.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
    connection.commit()
    connection.close()
    future = tmp_path / "future.db"
    future.write_bytes(good.read_bytes())
    connection = sqlite3.connect(future)
    connection.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    connection.commit()
    connection.close()
    return {
        "not an SQLite database": text,
        "damaged": truncated,
        "no schema version": foreign,
        "newer or unknown": future,
        "is not a file": tmp_path / "missing.db",
    }


def test_a_bad_file_is_refused_and_nothing_changes(data_dir: Path, tmp_path: Path) -> None:
    app = build_app(data_dir)
    sell_one(app)
    good = backups.backup_database(data_dir / "tillbook.db", tmp_path / "good.db").path
    assert run_cli(data_dir, "check").exit_code == 0  # today's automatic backup happens here
    close(app)
    before = digest(data_dir / "tillbook.db")

    def files() -> list[str]:
        # (instance.lock is the empty file `restore` locks; it stays, like the -shm file)
        skip = ("-wal", "-shm", "instance.lock")
        return sorted(p.name for p in data_dir.rglob("*") if not p.name.endswith(skip))

    files_before = files()
    for reason, path in _bad_files(tmp_path, good).items():
        with pytest.raises(BackupError) as caught:
            restore(app, path)
        assert reason in caught.value.message
        result = run_cli(data_dir, "restore", str(path), "--yes")
        assert result.exit_code == 1 and reason in result.output
    assert digest(data_dir / "tillbook.db") == before
    assert files() == files_before


def test_an_older_backup_is_migrated_forward_on_restore(data_dir: Path, tmp_path: Path) -> None:
    old = _database_at_first_revision(tmp_path / "old-shop")
    old_file = tmp_path / "old-shop" / "tillbook.db"
    connection = sqlite3.connect(old_file)  # an old shop has its owner (restore requires one)
    with connection:
        connection.execute(
            "INSERT INTO users (username, password_hash, role, active, failed_logins, "
            "created_at) VALUES ('owner', 'x', 'admin', 1, 0, '2026-01-01 00:00:00')"
        )
    connection.close()
    app = build_app(data_dir)
    restore(app, old_file)
    assert backups.schema_revision(data_dir / "tillbook.db") == head_revision(old)
    assert backups.integrity_ok(data_dir / "tillbook.db") == []
    assert run_cli(data_dir, "check").exit_code == 0


def test_a_sqlite_file_that_is_not_a_whole_tillbook_database_is_refused(
    data_dir: Path, tmp_path: Path
) -> None:
    """Only alembic_version, a missing column, trigger or required row: refused, nothing
    changes (before, such a file at head was swapped in and every page answered 500)."""
    app = build_app(data_dir)
    sell_one(app)
    good = backups.backup_database(data_dir / "tillbook.db", tmp_path / "good.db").path
    assert run_cli(data_dir, "check").exit_code == 0  # today's automatic backup happens here
    close(app)
    before = digest(data_dir / "tillbook.db")
    backups_before = listed_names(data_dir)
    for reason, path in not_tillbook_files(tmp_path / "bad", good).items():
        with pytest.raises(BackupError) as caught:
            restore(app, path)
        assert reason in caught.value.message and path.name in caught.value.message
        result = run_cli(data_dir, "restore", str(path), "--yes")
        assert result.exit_code == 1 and reason in result.output, result.output
        assert "Traceback" not in result.output
    assert digest(data_dir / "tillbook.db") == before
    assert listed_names(data_dir) == backups_before  # not even a safety backup was taken
    assert not list(data_dir.glob("restore-in-progress*"))
    restore(app, good)  # the good one still goes in
    assert run_cli(data_dir, "check").exit_code == 0


def listed_names(data_dir: Path) -> list[str]:
    return [path.name for _, path in backups.list_backups(data_dir / "backups")]
