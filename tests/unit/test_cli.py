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
