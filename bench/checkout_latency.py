"""Benchmark: latency of a 3-line checkout through the API on the real waitress server.

Usage: python bench/checkout_latency.py [--sales 500] [--clients 1]
Starts `app.py serve` on a fresh temp data dir, seeds an admin and three products, then
sells 3-line bills over keep-alive HTTP connections and prints p50/p95/mean and throughput.
Not a test: it prints figures and asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-1"


def start_server(data_dir: Path) -> tuple[subprocess.Popen[str], int]:
    """Start `app.py serve --port 0` and return the process and its port."""
    subprocess.run(
        [
            sys.executable,
            "app.py",
            "--data-dir",
            str(data_dir),
            "create-user",
            "bench",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--data-dir", str(data_dir), "serve", "--port", "0"],
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
    return proc, int(match.group(1))


def call(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    body: object = None,
    token: str | None = None,
) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    return response.status, json.loads(response.read() or b"{}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=500)
    parser.add_argument("--clients", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        proc, port = start_server(Path(tmp))
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            _, login = call(
                conn, "POST", "/api/auth/login", {"username": "bench", "password": PASSWORD}
            )
            token = login["token"]
            ids = []
            for name, price, rate, unit, stock in (
                ("Basmati Rice 5kg", "545.00", "5", "pcs", "1000000"),
                ("Toor Dal", "142.50", "5", "kg", "1000000"),
                ("Dish Soap 500ml", "99.00", "18", "pcs", "1000000"),
            ):
                _, product = call(
                    conn,
                    "POST",
                    "/api/products",
                    {"name": name, "price": price, "tax_rate": rate, "unit": unit, "stock": stock},
                    token,
                )
                ids.append(product["id"])
            bill = {
                "items": [
                    {"product_id": ids[0], "quantity": 1},
                    {"product_id": ids[1], "quantity": "1.250"},
                    {"product_id": ids[2], "quantity": 2, "discount": "5.00"},
                ],
                "payments": [{"method": "cash", "amount": "1000"}],
            }
            for _ in range(20):  # warm-up
                call(conn, "POST", "/api/invoice/create", bill, token)

            per_client = args.sales // args.clients
            latencies: list[float] = []
            lock = threading.Lock()

            def till() -> None:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                mine = []
                for _ in range(per_client):
                    t0 = time.perf_counter()
                    status, _body = call(c, "POST", "/api/invoice/create", bill, token)
                    mine.append(time.perf_counter() - t0)
                    if status != 201:
                        raise SystemExit(f"checkout failed: {status} {_body}")
                with lock:
                    latencies.extend(mine)

            started = time.perf_counter()
            threads = [threading.Thread(target=till) for _ in range(args.clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - started
            latencies.sort()
            ms = [x * 1000 for x in latencies]
            print(f"3-line checkout via API, {len(ms)} sales, {args.clients} client(s)")
            print(
                f"  p50 {statistics.median(ms):.2f} ms   p95 {ms[int(len(ms) * 0.95) - 1]:.2f} ms"
                f"   mean {statistics.fmean(ms):.2f} ms"
            )
            print(f"  throughput {len(ms) / elapsed:.0f} checkouts/s")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
