"""Benchmark: latency of a 3-line checkout through the API on the real waitress server.

Usage: python bench/checkout_latency.py [--sales 500] [--clients 1]
Starts `app.py serve` on a fresh temp data dir, seeds an admin and three products, then
sells 3-line bills over keep-alive HTTP connections and prints p50/p95/mean and throughput.
Not a test: it prints figures and asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from common import Api, checkout_clients, create_admin, pct, start, stop, three_line_bill


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=500)
    parser.add_argument("--clients", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        create_admin(Path(tmp))
        proc, port, _seconds = start(Path(tmp))
        try:
            api = Api(port)
            token = api.login()
            ids = []
            for name, price, rate, unit, stock in (
                ("Basmati Rice 5kg", "545.00", "5", "pcs", "1000000"),
                ("Toor Dal", "142.50", "5", "kg", "1000000"),
                ("Dish Soap 500ml", "99.00", "18", "pcs", "1000000"),
            ):
                product = api.call(
                    "POST",
                    "/api/products",
                    {"name": name, "price": price, "tax_rate": rate, "unit": unit, "stock": stock},
                    ok=201,
                )
                ids.append(product["id"])
            bill = three_line_bill(ids, "5.00", "1000")
            checkout_clients(port, token, bill, 1, 20)  # warm-up
            ms, rate = checkout_clients(port, token, bill, args.clients, args.sales // args.clients)
            print(f"3-line checkout via API, {len(ms)} sales, {args.clients} client(s)")
            print(
                f"  p50 {statistics.median(ms):.2f} ms   p95 {pct(ms, 0.95):.2f} ms"
                f"   mean {statistics.fmean(ms):.2f} ms"
            )
            print(f"  throughput {rate:.0f} checkouts/s")
        finally:
            stop(proc)


if __name__ == "__main__":
    main()
