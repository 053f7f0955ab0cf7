"""Crash proof: SIGKILL the real server mid-stream of sales; every acknowledged sale survives."""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import Invoice, InvoiceLine, Product
from posapp.services import users
from posapp.services.integrity import run_checks
from tests.conftest import build_app
from tests.factories import make_product, make_user

REPO = Path(__file__).resolve().parents[2]
CLIENTS = 4
OPENING = 100_000  # units: far more than can be sold before the kill
SALES_BEFORE_KILL = 40

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


class Server:
    """`python app.py --data-dir D serve --port 0` as a child process."""

    def __init__(self, data_dir: Path) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(REPO / "app.py"),
                "--data-dir",
                str(data_dir),
                "serve",
                "--port",
                "0",
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        lines: queue.Queue[str] = queue.Queue()
        assert self.process.stdout is not None
        stdout = self.process.stdout
        self.reader = threading.Thread(
            target=lambda: [lines.put(line) for line in stdout], daemon=True
        )
        self.reader.start()
        while True:
            line = lines.get(timeout=60)  # bounded: a server that never starts fails the test
            found = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
            if found:
                self.url = found.group(1)
                return

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._close_output()

    def _close_output(self) -> None:
        self.reader.join(timeout=30)  # the pipe ends with the process
        if self.process.stdout is not None:
            self.process.stdout.close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        self._close_output()


def sell(url: str, token: str, product_id: int) -> tuple[int, Any]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        body = json.dumps({"items": [{"product_id": product_id, "quantity": 1}]})
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        connection.request("POST", "/api/invoice/create", body, headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_a_killed_server_loses_no_acknowledged_sale(data_dir: Path) -> None:
    app = build_app(data_dir)
    with app.app_context():
        owner = make_user(db.session, "owner", "admin")
        product_id = make_product(db.session, owner.id, opening_stock=str(OPENING)).id
        tokens = [
            users.issue_token(db.session, make_user(db.session, f"till{i}", "cashier"))
            for i in range(CLIENTS)
        ]
        db.session.remove()
        db.engine.dispose()

    server = Server(data_dir)
    acknowledged: list[str] = []
    lock = threading.Lock()
    enough = threading.Event()
    other_statuses: list[int] = []

    def client(token: str) -> None:
        while True:
            try:
                status, body = sell(server.url, token, product_id)
            except (OSError, http.client.HTTPException, ValueError):
                return  # the server died under us: this sale was never acknowledged
            with lock:
                if status == 201:
                    acknowledged.append(body["number"])
                    if len(acknowledged) >= SALES_BEFORE_KILL:
                        enough.set()
                else:
                    other_statuses.append(status)

    threads = [threading.Thread(target=client, args=(t,), daemon=True) for t in tokens]
    for thread in threads:
        thread.start()
    try:
        assert enough.wait(timeout=120), "the server sold too slowly to test a crash"
    finally:
        server.kill()  # mid-stream: the clients are still sending
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert other_statuses == []

    restarted = Server(data_dir)
    try:
        status, body = sell(restarted.url, tokens[0], product_id)
        assert status == 201, body
        acknowledged.append(body["number"])
    finally:
        restarted.stop()

    app = build_app(data_dir)
    with app.app_context():
        report = run_checks(db.session)
        assert report.ok, report.problems
        numbers = set(db.session.scalars(select(Invoice.number)))
        missing = set(acknowledged) - numbers
        assert not missing, f"acknowledged but lost: {sorted(missing)}"
        sold_milli = db.session.scalar(select(func.sum(InvoiceLine.qty_milli))) or 0
        stock = db.session.get(Product, product_id).stock_milli
        assert stock == OPENING * 1000 - sold_milli
        assert sold_milli >= len(acknowledged) * 1000
        print(f"acknowledged {len(acknowledged)} sales, {len(numbers)} invoices in the database")
        db.session.remove()
        db.engine.dispose()
