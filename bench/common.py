"""What the bench scripts share: the bench admin, the real server and the clients that time it.

Not a benchmark itself. The scripts run as `python bench/X.py`, so bench/ is on sys.path and
they `from common import ...`. The server is `python app.py serve --port 0` (waitress, the
same as a shop runs), started in a data dir and timed over keep-alive HTTP from this process:
`Api` with a bearer token for the JSON API, `Browser` with the real login form's cookie for
pages. Latencies are milliseconds; `pct` is the percentile every HTTP script reports.
"""

from __future__ import annotations

import http.client
import json
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
USERNAME = "bench"
PASSWORD = "bench-password-1"  # the bench admin's, and every user bench/seed.py makes
HOST = "127.0.0.1"
SOURCE = (sys.executable, "app.py")  # the server from source; run.py also starts dist/TillBook


def create_admin(data_dir: Path) -> None:
    """Create the admin `bench` with `app.py create-user` (this also migrates the database)."""
    subprocess.run(
        [*SOURCE, "--data-dir", str(data_dir), "create-user", USERNAME, "--role", "admin",
         "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        cwd=ROOT,
        capture_output=True,
    )  # fmt: skip


def start(
    data_dir: Path, command: Sequence[str] = SOURCE
) -> tuple[subprocess.Popen[str], int, float]:
    """Start `command serve --port 0`; return it, its port and seconds to first HTTP 200."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [*command, "--data-dir", str(data_dir), "serve", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r":(\d+)/", line)
    if not match:
        proc.kill()
        raise SystemExit(
            f"server did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}"
        )
    port = int(match.group(1))
    wait_healthy(port, proc)
    return proc, port, time.perf_counter() - t0


def wait_healthy(port: int, proc: subprocess.Popen[str], limit: float = 120) -> None:
    """Poll GET /api/health until it answers 200; stop if the server exits or `limit` passes."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/api/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.01)
    raise SystemExit("server never answered /api/health")


def stop(proc: subprocess.Popen[str]) -> None:
    """Stop the server gracefully (SIGTERM), killing it if it takes over 30 seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def rss_mb(pid: int) -> str:
    """The process's resident memory from /proc, as "123 MB"."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "n/a (no /proc)"
    kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    return f"{kb / 1024:.0f} MB"


class Api:
    """A keep-alive JSON client with a bearer token."""

    def __init__(self, port: int, token: str = "") -> None:
        self.port = port
        self.conn = http.client.HTTPConnection(HOST, port, timeout=300)
        self.token = token

    def call(self, method: str, path: str, body: object = None, ok: int = 200) -> Any:
        """Send a request; stop unless it answers `ok`; return the JSON (or the raw bytes)."""
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body) if body is not None else None
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        raw = response.read()
        if response.status != ok:
            raise SystemExit(f"{method} {path}: {response.status} {raw[:300]!r}")
        return (
            json.loads(raw)
            if raw and response.getheader("Content-Type", "").startswith("application/json")
            else raw
        )

    def login(self) -> str:
        """Log in as the bench admin; keep the token and return it."""
        credentials = {"username": USERNAME, "password": PASSWORD}
        self.token = self.call("POST", "/api/auth/login", credentials)["token"]
        return self.token


class Browser:
    """A keep-alive client with a session cookie (logs in through the real form)."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)
        self.cookie = ""

    def request(
        self, method: str, path: str, body: bytes | str | None = None, **headers: str
    ) -> tuple[int, bytes]:
        if self.cookie:
            headers["Cookie"] = self.cookie
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        for key, value in response.getheaders():
            if key.lower() == "set-cookie":
                self.cookie = value.split(";", 1)[0]
        return response.status, data

    def login(self) -> None:
        _, html = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', html).group(1).decode()
        form = urlencode({"csrf_token": token, "username": USERNAME, "password": PASSWORD})
        status, _ = self.request(
            "POST", "/login", form, **{"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert status == 302, status


def pct(samples: list[float], q: float) -> float:
    """The q-quantile (0.95 for p95): the sample at rank int(n * q), counted from 1."""
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * q) - 1)]


def p50_p95(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples):.2f} ms, p95 {pct(samples, 0.95):.2f} ms"


def timed(n: int, fn: Callable[[int], object], warm: int = 5) -> list[float]:
    """Call fn(i) warm times unmeasured, then n times; return milliseconds."""
    for i in range(warm):
        fn(i)
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def three_line_bill(
    ids: Sequence[int], discount: str, tendered: str, loose: int = 1
) -> dict[str, Any]:
    """The benchmarks' 3-line bill: one piece, 1.250 of the loose product (ids[loose]), two
    pieces with a line discount; paid in cash. The same bill in every checkout figure."""
    pieces = [pid for i, pid in enumerate(ids) if i != loose]
    return {
        "items": [
            {"product_id": pieces[0], "quantity": 1},
            {"product_id": ids[loose], "quantity": "1.250"},
            {"product_id": pieces[1], "quantity": 2, "discount": discount},
        ],
        "payments": [{"method": "cash", "amount": tendered}],
    }


def checkout_clients(
    port: int, token: str, bill: dict, clients: int, per_client: int
) -> tuple[list[float], float]:
    """Sell `bill` per_client times from each of `clients` threads (a connection each).

    Returns every checkout's milliseconds and checkouts per second over the whole run; stops
    with the first failure once all threads are done.
    """
    latencies: list[float] = []
    lock = threading.Lock()
    failures: list[str] = []

    def till() -> None:
        api = Api(port, token)
        mine = []
        try:
            for _ in range(per_client):
                t0 = time.perf_counter()
                api.call("POST", "/api/invoice/create", bill, ok=201)
                mine.append((time.perf_counter() - t0) * 1000)
        except SystemExit as exc:
            failures.append(str(exc))
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=till) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if failures:
        raise SystemExit(failures[0])
    return latencies, len(latencies) / elapsed
