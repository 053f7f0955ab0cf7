"""The command line as Windows runs it: no terminal on stdin, cp1252 pipes, one log per process.

TillBook.exe is started from Explorer, a scheduled task or a script as often as from cmd: a
command must not wait for an answer nobody can give, nor die on a character the redirected
stream's code page lacks. The subprocess tests run app.py as the executable runs it.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import app as entry_point
from posapp.cli import main

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120  # a guard against a hang (the bug), not a measurement
SERVING = re.compile(r"TillBook is serving at (http://127\.0\.0\.1:\d+/)")


def app_py(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run `python app.py ARGS` with stdin at end of file (/dev/null), as a scheduled task."""
    base = {k: v for k, v in os.environ.items() if k not in ("TILLBOOK_DATA_DIR", "DATABASE_URL")}
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py"), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env={**base, **(env or {})},
        cwd=ROOT,
        timeout=TIMEOUT,
        check=False,
    )


def test_restore_without_yes_and_no_terminal_stops_with_exit_2_and_writes_nothing(
    tmp_path: Path,
) -> None:
    data = tmp_path / "shop"
    result = CliRunner().invoke(main, ["--data-dir", str(data), "restore", str(tmp_path / "x.db")])
    assert result.exit_code == 2, result.output
    assert "Add --yes" in result.output
    assert not data.exists(), "the data dir was not even created"


def test_create_user_without_a_terminal_asks_for_password_stdin(tmp_path: Path) -> None:
    data = tmp_path / "shop"
    result = CliRunner().invoke(
        main, ["--data-dir", str(data), "create-user", "asha", "--role", "cashier"]
    )
    assert result.exit_code == 2, result.output
    assert "--password-stdin" in result.output
    assert "Password" not in result.output, "no prompt was shown"
    assert not data.exists()


@pytest.mark.process
def test_restore_and_create_user_with_stdin_at_eof_exit_2_instead_of_crashing(
    tmp_path: Path,
) -> None:
    data = tmp_path / "shop"
    restore = app_py("--data-dir", str(data), "restore", str(tmp_path / "x.db"))
    stderr = restore.stderr.decode()
    assert restore.returncode == 2, stderr
    assert "Add --yes" in stderr and "Traceback" not in stderr and "Abort" not in stderr
    create = app_py("--data-dir", str(data), "create-user", "asha", "--role", "cashier")
    stderr = create.stderr.decode()
    assert create.returncode == 2, stderr
    assert "--password-stdin" in stderr and "Traceback" not in stderr
    assert not data.exists()


@pytest.mark.process
def test_rupee_and_devanagari_reach_a_cp1252_pipe_without_unicode_error(tmp_path: Path) -> None:
    data = tmp_path / "दुकान ₹ data"
    result = app_py("--data-dir", str(data), "backup", env={"PYTHONIOENCODING": "cp1252"})
    stdout, stderr = result.stdout.decode("utf-8"), result.stderr.decode("utf-8")
    assert result.returncode == 0, stderr
    assert "UnicodeEncodeError" not in stderr
    # Redirected output is UTF-8 whatever the code page: the path arrives intact.
    assert "Backup written: " in stdout and "दुकान ₹ data" in stdout


class FakeStream:
    """A text stream that records how it was reconfigured."""

    closed = False

    def __init__(self, tty: bool) -> None:
        self.tty = tty
        self.reconfigured: list[dict[str, Any]] = []

    def isatty(self) -> bool:
        return self.tty

    def reconfigure(self, **kwargs: Any) -> None:
        self.reconfigured.append(kwargs)


def test_a_console_keeps_its_encoding_and_a_redirected_stream_becomes_utf8() -> None:
    console, pipe = FakeStream(tty=True), FakeStream(tty=False)
    entry_point.reconfigure_streams((console, pipe, object()))  # object(): no reconfigure
    assert console.reconfigured == [{"errors": "replace"}]
    assert pipe.reconfigured == [{"encoding": "utf-8", "errors": "replace"}]


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[Path]:
    """A real `serve` on a data dir (it holds logs/tillbook.log open); yields the data dir."""
    data = tmp_path / "shop"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "--data-dir", str(data), "serve", "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    pumping = threading.Thread(target=pump, daemon=True)
    pumping.start()
    try:
        while (line := lines.get(timeout=TIMEOUT)) is not None:
            if SERVING.search(line):
                break
        else:
            pytest.fail("serve exited before serving")
        yield data
    finally:
        proc.terminate()
        proc.wait(timeout=TIMEOUT)
        pumping.join(timeout=TIMEOUT)  # it reads to the end of the closed pipe
        assert proc.stdout is not None
        proc.stdout.close()


@pytest.mark.process
def test_check_logs_to_cli_log_while_the_app_holds_tillbook_log(serving: Path) -> None:
    logs = serving / "logs"
    app_log = (logs / "tillbook.log").read_bytes()
    assert b"starting" in app_log
    result = CliRunner().invoke(main, ["--data-dir", str(serving), "check"])
    assert result.exit_code == 0, result.output
    assert (logs / "tillbook.log").read_bytes() == app_log, "check wrote nothing to it"
    assert b"starting, data dir" in (logs / "cli.log").read_bytes()


def test_no_stdin_at_all_or_a_closed_one_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from posapp.cli import stdin_is_interactive

    monkeypatch.setattr(sys, "stdin", None)  # a windowed build started from Explorer
    assert not stdin_is_interactive()
    closed = open(os.devnull)  # noqa: SIM115
    closed.close()
    monkeypatch.setattr(sys, "stdin", closed)
    assert not stdin_is_interactive()
    monkeypatch.setattr(sys, "stdin", FakeStream(tty=True))
    assert stdin_is_interactive()
