"""`serve --lan`: the real server reached through this machine's network address, several tills.

Runs on every configured database backend: the server process takes DATABASE_URL from the
`database` fixture, so PostgreSQL and MariaDB serve the same four tills over the network.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import queue
import re
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from posapp.services import network

pytestmark = pytest.mark.one_backend("network addresses")

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0
PASSWORD = "lan-till-pw-1"
TILLS = 4
SALES_PER_TILL = 6


def call(
    url: str, body: dict[str, Any] | None = None, token: str | None = None, **headers: str
) -> tuple[int, Any]:
    """Call the API; return (status, JSON body) for successes and errors alike."""
    sent = {"Content-Type": "application/json", "Accept": "application/json", **headers}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


class LanServer:
    """`python app.py serve --lan --port 0` in a process, its output read on a thread."""

    def __init__(self, data: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k != "TILLBOOK_DATA_DIR"}
        made = subprocess.run(
            [
                sys.executable,
                "app.py",
                "--data-dir",
                str(data),
                "create-user",
                "owner",
                "--role",
                "admin",
                "--password-stdin",
            ],
            cwd=ROOT,
            env=env,
            input=PASSWORD,
            capture_output=True,
            text=True,
            timeout=WAIT,
            check=False,
        )
        assert made.returncode == 0, made.stderr
        self.process = subprocess.Popen(
            [
                *(sys.executable, "app.py", "--data-dir", str(data), "serve", "--lan"),
                *("--port", "0", "--https-port", "0"),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        try:
            for line in self.process.stdout:
                self.lines.put(line)
        except ValueError:  # stop() closed the pipe
            return

    def wait_for(self, pattern: str) -> re.Match[str]:
        """Read output until a line matches (the server prints its addresses at start)."""
        while True:
            try:
                line = self.lines.get(timeout=WAIT)
            except queue.Empty:
                pytest.fail(f"the server never printed {pattern!r}: {''.join(self.output)}")
            self.output.append(line)
            match = re.search(pattern, line)
            if match:
                return match

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def lan_server(data_dir: Path) -> Iterator[LanServer]:
    if not network.lan_addresses():
        pytest.skip("this machine has no non-loopback network interface to reach the server on")
    server = LanServer(data_dir)
    yield server
    server.stop()
    assert server.process.returncode == 0, "".join(server.output)


@pytest.mark.process
def test_serve_lan_prints_the_lan_url_and_a_qr_code(lan_server: LanServer) -> None:
    url = lan_server.wait_for(r"open: (http://\S+/)").group(1)
    host = urllib.parse.urlsplit(url).hostname
    assert host and network.usable(host), url  # not loopback: what another till can open
    qr_rows = [lan_server.wait_for(r"^[█▀▄ \xa0]{21,}$").group(0) for _ in range(5)]
    assert all(len(row) == len(qr_rows[0]) for row in qr_rows)  # a square block of QR text


@pytest.mark.process
def test_serve_lan_also_serves_https_for_the_tablets_cameras(
    lan_server: LanServer, data_dir: Path
) -> None:
    url = lan_server.wait_for(r"tablets and phones open (https://\S+/)").group(1)
    host = urllib.parse.urlsplit(url).hostname
    assert host and network.usable(host), url
    # A client that trusts only the shop's CA verifies the certificate for the LAN address.
    trusted = ssl.create_default_context(cafile=str(data_dir / "tls" / "ca.crt"))
    with urllib.request.urlopen(url + "api/health", timeout=30, context=trusted) as answer:
        assert answer.status == 200
    # (The fixture then checks that SIGTERM stops both listeners and exits 0.)


@pytest.mark.process
def test_four_tills_sell_at_once_over_the_lan(lan_server: LanServer) -> None:
    base = lan_server.wait_for(r"open: (http://\S+/)").group(1)
    status, body = call(base + "api/auth/login", {"username": "owner", "password": PASSWORD})
    assert status == 200, body
    token = body["token"]
    stock = TILLS * SALES_PER_TILL * 2 + 3
    status, product = call(
        base + "api/products",
        {"name": "Tea", "price": "12.50", "tax_rate": "5", "opening_stock": str(stock)},
        token,
    )
    assert status == 201, product

    numbers: list[str] = []
    problems: list[Any] = []
    lock = threading.Lock()

    def till() -> None:
        for _ in range(SALES_PER_TILL):
            status, sale = call(
                base + "api/invoice/create",
                {
                    "items": [{"product_id": product["id"], "quantity": "2"}],
                    "payments": [{"method": "cash", "amount": "25.00"}],
                },
                token,
            )
            with lock:
                if status == 201:
                    numbers.append(sale["number"])
                else:
                    problems.append((status, sale))

    threads = [threading.Thread(target=till) for _ in range(TILLS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert problems == []
    sold = TILLS * SALES_PER_TILL
    assert len(set(numbers)) == sold
    sequence = sorted(int(re.search(r"(\d+)$", n).group(1)) for n in numbers)  # type: ignore[union-attr]
    assert sequence == list(range(1, sold + 1))  # gapless, no number twice
    status, after = call(base + f"api/products/{product['id']}", token=token)
    assert status == 200
    assert after["stock"] == str(stock - 2 * sold)  # pieces: a whole number


@pytest.mark.process
def test_the_web_ui_works_over_plain_http_on_the_lan(lan_server: LanServer) -> None:
    base = lan_server.wait_for(r"open: (http://\S+/)").group(1)
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = browser.open(base + "login", timeout=30).read().decode()
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert csrf, page
    form = urllib.parse.urlencode(
        {"csrf_token": csrf.group(1), "username": "owner", "password": PASSWORD}
    ).encode()
    with browser.open(base + "login", data=form, timeout=30) as response:
        assert response.status == 200
    assert any(c.name == "session" and not c.secure for c in jar)  # no HTTPS on a shop LAN
    till = browser.open(base + "pos/", timeout=30).read().decode()
    assert "csrf" in till.lower()

    # The till's own origin (the LAN address) is accepted by the API; another site is not.
    origin = base.rstrip("/")
    own = urllib.request.Request(base + "api/products", headers={"Origin": origin})
    with browser.open(own, timeout=30) as response:
        assert response.status == 200
    foreign = urllib.request.Request(
        base + "api/products", headers={"Origin": "http://evil.example"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        browser.open(foreign, timeout=30)
    assert refused.value.code == 403
    refused.value.close()
