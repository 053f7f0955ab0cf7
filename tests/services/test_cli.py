"""The app.py command line and data-dir resolution."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from posapp import config
from posapp.cli import is_loopback, main


def run(data_dir: Path, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), *args], input=input)


def test_serve_refuses_a_network_address_without_lan(tmp_path: Path) -> None:
    result = run(tmp_path, "serve", "--host", "0.0.0.0")
    assert result.exit_code == 2
    assert "--lan" in result.output


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


def test_create_user_from_stdin_and_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(
        tmp_path,
        "create-user",
        "owner",
        "--role",
        "admin",
        "--password-stdin",
        input="long-enough-pw\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin owner" in result.output
    # The first admin sets the shop up as the first-run page does: a rupee shop rounds.
    with sqlite3.connect(tmp_path / "tillbook.db") as con:
        stored = con.execute("SELECT value FROM settings WHERE key = 'round_off'").fetchone()
    assert stored is not None and stored[0] in ("1", "true", "True")
    again = run(
        tmp_path,
        "create-user",
        "Owner",
        "--role",
        "cashier",
        "--password-stdin",
        input="long-enough-pw\n",
    )
    assert again.exit_code == 1 and "taken" in again.output
    short = run(
        tmp_path, "create-user", "x2", "--role", "cashier", "--password-stdin", input="short\n"
    )
    assert short.exit_code == 1 and "8 characters" in short.output
    # CliRunner's stdin is no terminal; the prompts are for someone typing at one.
    monkeypatch.setattr("posapp.cli.stdin_is_interactive", lambda: True)
    prompted = run(
        tmp_path,
        "create-user",
        "asha",
        "--role",
        "cashier",
        input="long-enough-pw\nlong-enough-pw\n",
    )
    assert prompted.exit_code == 0, prompted.output
    assert (tmp_path / "tillbook.db").exists()
    # Short commands log to cli.log: the app's tillbook.log is rotated by the app alone.
    assert (tmp_path / "logs" / "cli.log").exists()
    assert not (tmp_path / "logs" / "tillbook.log").exists()


def test_check_passes_then_reports_a_broken_invariant(tmp_path: Path) -> None:
    from posapp import create_app
    from posapp.extensions import db
    from tests.factories import make_product, make_user

    app = create_app({"DATA_DIR": str(tmp_path), "LOG_TO_FILE": False})
    with app.app_context():
        user = make_user(db.session)
        make_product(db.session, user.id, name="Ghee", opening_stock="4")
        db.session.remove()
        db.engine.dispose()
    ok = run(tmp_path, "check")
    assert ok.exit_code == 0, ok.output
    assert "OK" in ok.output
    with sqlite3.connect(tmp_path / "tillbook.db") as conn:
        conn.execute("UPDATE products SET stock_milli = stock_milli + 1000")
    broken = run(tmp_path, "check")
    assert broken.exit_code == 1
    assert "stock_milli 5000 != sum of movements 4000" in broken.output


def test_data_dir_explicit_then_env_then_portable_then_user_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(config.DATA_DIR_ENV, str(tmp_path / "from-env"))
    assert config.resolve_data_dir(tmp_path / "explicit") == (tmp_path / "explicit").resolve()
    assert config.resolve_data_dir() == (tmp_path / "from-env").resolve()
    monkeypatch.delenv(config.DATA_DIR_ENV)
    exe_dir = tmp_path / "usb"
    exe_dir.mkdir()
    monkeypatch.setattr(config, "executable_dir", lambda: exe_dir)
    user_dir = config.resolve_data_dir()
    assert user_dir.name == "TillBook" and "usb" not in str(user_dir)
    (exe_dir / "TillBook-data").mkdir()
    assert config.resolve_data_dir() == (exe_dir / "TillBook-data").resolve()


def test_secret_key_is_generated_per_install_and_kept(tmp_path: Path) -> None:
    first = config.load_secret_key(tmp_path)
    assert len(first) == 64
    assert config.load_secret_key(tmp_path) == first
    assert config.load_secret_key(tmp_path / ".." / tmp_path.name) == first


def test_sqlite_runs_with_the_durability_pragmas(tmp_path: Path) -> None:
    from sqlalchemy import text

    from posapp import create_app
    from posapp.extensions import db

    app = create_app({"DATA_DIR": str(tmp_path), "LOG_TO_FILE": False})
    with app.app_context():
        pragmas = {
            name: db.session.execute(text(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
        db.session.remove()
        db.engine.dispose()
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "busy_timeout": 15000,
    }


def _shop(data_dir: Path) -> Path:
    """A real shop database with a sale's worth of rows, closed as a finished process leaves it."""
    from posapp import create_app
    from posapp.extensions import db
    from tests.factories import make_product, make_user

    app = create_app({"DATA_DIR": str(data_dir), "LOG_TO_FILE": False, "AUTO_BACKUP": False})
    with app.app_context():
        user = make_user(db.session)
        make_product(db.session, user.id, name="Ghee", opening_stock="4")
        db.session.remove()
        db.engine.dispose()
    path = data_dir / "tillbook.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _damage(path: Path) -> None:
    """Overwrite pages in the middle of the file (what a failing disk or a torn copy does)."""
    size = path.stat().st_size
    page = 4096
    assert size > 8 * page
    with path.open("r+b") as handle:
        for start in range(2 * page, size - page, 3 * page):
            handle.seek(start)
            handle.write(b"\xde\xad\xbe\xef" * (page // 4))


def _broken_data_dirs(tmp_path: Path) -> dict[str, Path]:
    missing = tmp_path / "missing-table"
    with sqlite3.connect(_shop(missing)) as conn:
        conn.execute("DROP TABLE daily_sales")
    damaged = tmp_path / "damaged"
    _damage(_shop(damaged))
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "tillbook.db").write_text("these are my notes, not a database\n" * 200)
    return {"table daily_sales is missing": missing, "": damaged, "not a database": foreign}


def test_check_reports_a_missing_table_a_damaged_or_foreign_file_without_a_traceback(
    tmp_path: Path,
) -> None:
    for words, data_dir in _broken_data_dirs(tmp_path).items():
        result = run(data_dir, "check")
        assert result.exit_code == 1, (data_dir.name, result.output)
        assert "PROBLEM" in result.output and words in result.output, result.output
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.process
def test_check_in_a_real_process_prints_what_is_wrong_and_exits_1(tmp_path: Path) -> None:
    import subprocess
    import sys

    app_py = Path(__file__).resolve().parents[2] / "app.py"
    broken = _broken_data_dirs(tmp_path)
    del broken["not a database"]  # the CliRunner test covers it; a process costs seconds
    for words, data_dir in broken.items():
        done = subprocess.run(
            [sys.executable, str(app_py), "--data-dir", str(data_dir), "check"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 1, (data_dir.name, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, done.stderr
        assert "PROBLEM" in done.stderr and words in done.stdout + done.stderr
