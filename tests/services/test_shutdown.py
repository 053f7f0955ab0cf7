"""`serve` stopped by SIGTERM mid-stream of sales: exit 0, no acknowledged sale lost, WAL folded."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0
PASSWORD = "shutdown-pw-1"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def call(base: str, path: str, body: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), method="POST", headers=headers
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def cli(data: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "app.py", "--data-dir", str(data), *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )


@pytest.mark.process
def test_sigterm_during_sales_loses_nothing_and_exits_0(tmp_path: Path) -> None:
    data = tmp_path / "data"
    made = cli(data, "create-user", "owner", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    assert made.returncode == 0, made.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("TILLBOOK_DATA_DIR", "DATABASE_URL")}
    server = subprocess.Popen(
        [sys.executable, "app.py", "--data-dir", str(data), "serve", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        match = re.search(r"serving at (http://127\.0\.0\.1:\d+/)", first)
        assert match, first
        base = match.group(1)
        token = call(base, "api/auth/login", {"username": "owner", "password": PASSWORD})["token"]
        product = call(
            base,
            "api/products",
            {"name": "Tea", "price": "10.00", "tax_rate": "5", "opening_stock": "100000"},
            token,
        )

        acknowledged: list[int] = []
        refused: list[str] = []
        stop = threading.Event()

        def sell() -> None:
            while not stop.is_set():
                try:
                    sale = call(
                        base,
                        "api/invoice/create",
                        {"items": [{"product_id": product["id"], "quantity": 1}]},
                        token,
                    )
                except (OSError, urllib.error.URLError) as exc:
                    refused.append(type(exc).__name__)  # the server has stopped accepting
                    return
                acknowledged.append(sale["id"])

        sellers = [threading.Thread(target=sell) for _ in range(4)]
        for seller in sellers:
            seller.start()
        deadline = time.monotonic() + WAIT
        while len(acknowledged) < 20 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(acknowledged) >= 20, "the sales stream never got going"
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=WAIT)
        stop.set()
        for seller in sellers:
            seller.join(timeout=WAIT)
        output = server.stdout.read()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=WAIT)
        server.stdout.close()  # type: ignore[union-attr]

    assert code == 0, output
    assert "TillBook stopped." in output
    assert refused, "every seller saw the server stop"
    wal = data / "tillbook.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    connection = sqlite3.connect(data / "tillbook.db")
    try:
        stored = {row[0] for row in connection.execute("SELECT id FROM invoices")}
    finally:
        connection.close()
    assert set(acknowledged) <= stored, "an acknowledged sale is missing"
    log = (data / "logs" / "tillbook.log").read_text()
    assert "server stopped (drained)" in log
    assert "database closed and checkpointed" in log
    checked = cli(data, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
