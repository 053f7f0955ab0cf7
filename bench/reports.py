"""Benchmark: the dashboard endpoint and every sales/tax report at shop scale.

Usage: python bench/reports.py [--lines 1000000] [--products 3000] [--days 730] [--n 5]
                              [--data-dir DIR]
Creates a temp data dir (migrated by the app factory), bulk-inserts invoices with 4 lines each
(so 1 000 000 lines = 250 000 bills) spread over the last `--days` days straight into SQLite,
rebuilds the daily summary with the real `summaries.rebuild`, then times (in-process, through
the Flask test client with an admin session) `GET /api/dashboard/stats` and each report page
at a 1-month and a 1-year range. Not a test: it prints figures and asserts nothing about speed.
`--data-dir` keeps the seeded shop there and reuses it on the next run (seeding takes minutes),
migrating it to the current schema first, so before/after figures read the same data.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from common import PASSWORD, ROOT, timed

sys.path.insert(0, str(ROOT))

from posapp import create_app
from posapp.extensions import db
from posapp.models.base import write_transaction
from posapp.services import summaries, users
from posapp.services.ledger import local_today
from posapp.web.reports import RANGED

RATES = (0, 500, 1200, 1800, 2800)
METHODS = ("cash", "card", "upi")


def seed(db_path: Path, lines: int, products: int, days: int, rng: random.Random) -> None:
    """Bulk-insert categories, products, invoices, lines and payments."""
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA synchronous=OFF")  # seeding only; the app runs with FULL
    user_id = con.execute("SELECT id FROM users LIMIT 1").fetchone()[0]
    con.executemany(
        "INSERT INTO categories (id, name) VALUES (?, ?)",
        [(i, f"Category {i}") for i in range(1, 21)],
    )
    catalog = []
    for pid in range(1, products + 1):
        price = rng.randint(500, 50_000)
        catalog.append((pid, price, price * rng.randint(60, 90) // 100, rng.choice(RATES)))
    con.executemany(
        "INSERT INTO products (id, code, name, category_id, unit, price, cost, tax_rate_bp, hsn,"
        " stock_milli, low_stock_milli, supplier, location, color, archived, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, 'pcs', ?, ?, ?, ?, ?, 5000, '', '', '', 0, ?, ?)",
        [
            (pid, f"20{pid:011d}", f"Product {pid}", pid % 20 + 1, price, cost, rate,
             f"{3000 + pid % 50}", rng.randint(0, 200) * 1000, "2024-01-01", "2024-01-01")
            for pid, price, cost, rate in catalog
        ],
    )  # fmt: skip
    now = datetime.utcnow().replace(microsecond=0)
    first = now - timedelta(days=days)
    bills = lines // 4
    step = (now - first).total_seconds() / bills
    invoice_rows, line_rows, payment_rows = [], [], []
    line_id = 0

    def flush() -> None:
        con.executemany(
            "INSERT INTO invoices (id, number, fy, seq, created_at, cashier_id, customer_id,"
            " prices_include_tax, subtotal, discount_total, bill_discount, tax_total, round_off,"
            " total, paid, tendered, change, status, note)"
            " VALUES (?, ?, 2025, ?, ?, ?, NULL, 1, ?, 0, 0, ?, 0, ?, ?, ?, 0, 'paid', '')",
            invoice_rows,
        )
        con.executemany(
            "INSERT INTO invoice_lines (id, invoice_id, position, product_id, code, name, unit,"
            " hsn, unit_price, qty_milli, gross, line_discount, bill_discount_share,"
            " tax_rate_bp, taxable, tax, total, unit_cost)"
            " VALUES (?, ?, ?, ?, ?, ?, 'pcs', ?, ?, ?, ?, 0, 0, ?, ?, ?, ?, ?)",
            line_rows,
        )
        con.executemany(
            "INSERT INTO payments (invoice_id, method, amount, created_at, user_id, note)"
            " VALUES (?, ?, ?, ?, ?, '')",
            payment_rows,
        )
        invoice_rows.clear()
        line_rows.clear()
        payment_rows.clear()

    for iid in range(1, bills + 1):
        at = (first + timedelta(seconds=iid * step)).isoformat(sep=" ")
        total = tax_total = 0
        for position in range(1, 5):
            line_id += 1
            pid, price, cost, rate = catalog[rng.randrange(products)]
            qty = rng.randint(1, 3)
            gross = price * qty
            taxable = (gross * 10000 * 2 + (10000 + rate)) // (2 * (10000 + rate))
            tax = gross - taxable
            total += gross
            tax_total += tax
            line_rows.append(
                (line_id, iid, position, pid, f"20{pid:011d}", f"Product {pid}",
                 f"{3000 + pid % 50}", price, qty * 1000, gross, rate, taxable, tax, gross, cost)
            )  # fmt: skip
        invoice_rows.append(
            (iid, f"INV2025-{iid:07d}", iid, at, user_id, total, tax_total, total, total, total)
        )
        payment_rows.append((iid, METHODS[iid % 3], total, at, user_id))
        if len(invoice_rows) >= 20_000:
            flush()
    flush()
    con.commit()
    con.execute("ANALYZE")
    con.close()


def _has_invoices(db_path: Path) -> bool:
    """Tell whether a data dir already holds a seeded shop."""
    if not db_path.exists():
        return False
    con = sqlite3.connect(db_path)
    try:
        return bool(con.execute("SELECT count(*) FROM invoices").fetchone()[0])
    except sqlite3.DatabaseError:
        return False
    finally:
        con.close()


def median_and_p95(fn: Callable[[], None], n: int) -> tuple[float, float]:
    """Time fn() n times (no warm-up); return its p50 and p95 in milliseconds.

    The p95 here is the sample at index int(n * 0.95), not common.pct's rank: for n up to 20
    (the defaults) that is the slowest run, as in the figures of docs/BENCHMARKS.md.
    """
    samples = sorted(timed(n, lambda _i: fn(), warm=0))
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=3000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--n", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, help="seed here once, reuse on later runs")
    args = parser.parse_args()
    rng = random.Random(6)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="tillbook-bench-reports-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    seeded = _has_invoices(data_dir / "tillbook.db")
    app = create_app(
        {
            "DATA_DIR": str(data_dir),
            "LOG_TO_FILE": False,
            "AUTO_BACKUP": False,
            "WTF_CSRF_ENABLED": False,
        }
    )
    if seeded:
        print(f"reusing the shop seeded in {data_dir}", flush=True)
    else:
        with app.app_context():
            users.create_user(db.session, "owner", PASSWORD, "admin")
            db.session.remove()
            db.engine.dispose()
        t0 = time.perf_counter()
        seed(data_dir / "tillbook.db", args.lines, args.products, args.days, rng)
        print(f"seeded {args.lines:,} lines in {time.perf_counter() - t0:.1f} s", flush=True)
        with app.app_context():
            t0 = time.perf_counter()
            with write_transaction(db.session):
                days = summaries.rebuild(db.session)
            print(f"rebuild-summaries: {days} days in {time.perf_counter() - t0:.1f} s", flush=True)
            db.session.remove()
    client = app.test_client()
    client.post("/login", data={"username": "owner", "password": PASSWORD})

    def get(url: str):  # type: ignore[no-untyped-def]
        def call() -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return call

    print("| what | p50 | p95 |\n|---|---:|---:|")
    p50, p95 = median_and_p95(get("/api/dashboard/stats"), args.n * 4)
    print(f"| `GET /api/dashboard/stats` | {p50:.0f} ms | {p95:.0f} ms |", flush=True)
    p50, p95 = median_and_p95(get("/dashboard/"), args.n)
    print(f"| dashboard page (HTML) | {p50:.0f} ms | {p95:.0f} ms |", flush=True)
    today = local_today()
    for label, start in (
        ("1 month", today - timedelta(days=30)),
        ("1 year", today - timedelta(days=365)),
    ):
        for name in RANGED:
            url = f"/reports/{name}?from={start.isoformat()}&to={today.isoformat()}"
            p50, p95 = median_and_p95(get(url), args.n)
            print(f"| {name}, {label} | {p50:.0f} ms | {p95:.0f} ms |", flush=True)


if __name__ == "__main__":
    main()
