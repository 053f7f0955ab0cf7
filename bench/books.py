"""Benchmark: the books' statements on a shop with a million journal lines.

Usage: python bench/books.py [--lines 1000000] [--days 1095] [--n 5] [--data-dir DIR]
Creates a temp data dir (migrated by the app factory) and bulk-inserts balanced entries
straight into SQLite the way `books.post` writes them — entries, their lines and the per-day
account totals (`account_days`) — spread over the last `--days` days: cash, card and credit
sales with GST and cost of goods, purchases on credit, supplier and customer payments,
expenses. Then it times, in-process with an admin session, the trial balance and balance
sheet (service and `GET /api/books/...`), the P&L of a year, the day book of one day and the
cash book of one month, and checks that the trial balance agrees. Not a test: it prints
figures and asserts nothing about speed. `--data-dir` keeps the seeded shop for a rerun.
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
from datetime import date, timedelta
from pathlib import Path

from common import PASSWORD, ROOT, timed

sys.path.insert(0, str(ROOT))

from posapp import create_app
from posapp.extensions import db
from posapp.services import books_reports, customers, suppliers, users
from posapp.services.ledger import local_today

BATCH = 20_000
CUSTOMERS = 300
SUPPLIERS = 30


def _entry(
    ids: dict[str, int], rng: random.Random
) -> tuple[str, list[tuple[int, int, int, int | None, int | None]]]:
    """One balanced entry: (source_kind, lines of account, debit, credit, customer, supplier)."""
    pick = rng.random()
    taxable = rng.randint(1_000, 500_000)
    tax = taxable * 9 // 100
    cost = taxable * 7 // 10
    if pick < 0.70:  # a sale: cash, card/upi or credit; 6 lines
        if pick < 0.45:
            first = (ids["cash"], taxable + 2 * tax, 0, None, None)
        elif pick < 0.62:
            first = (ids["bank"], taxable + 2 * tax, 0, None, None)
        else:
            first = (ids["receivable"], taxable + 2 * tax, 0, rng.randint(1, CUSTOMERS), None)
        return "sale", [
            first,
            (ids["sales"], 0, taxable, None, None),
            (ids["output_cgst"], 0, tax, None, None),
            (ids["output_sgst"], 0, tax, None, None),
            (ids["cogs"], cost, 0, None, None),
            (ids["inventory"], 0, cost, None, None),
        ]
    if pick < 0.80:  # a purchase on credit: 4 lines
        supplier = rng.randint(1, SUPPLIERS)
        return "purchase", [
            (ids["inventory"], taxable, 0, None, None),
            (ids["input_cgst"], tax, 0, None, None),
            (ids["input_sgst"], tax, 0, None, None),
            (ids["payable"], 0, taxable + 2 * tax, None, supplier),
        ]
    if pick < 0.88:  # a customer pays on account
        return "payment", [
            (ids["cash"], taxable, 0, None, None),
            (ids["receivable"], 0, taxable, rng.randint(1, CUSTOMERS), None),
        ]
    if pick < 0.94:  # the shop pays a supplier from the bank
        return "supplier_payment", [
            (ids["payable"], taxable, 0, None, rng.randint(1, SUPPLIERS)),
            (ids["bank"], 0, taxable, None, None),
        ]
    return "expense", [
        (ids[rng.choice(["expense_rent", "expense_electricity", "expense_other"])], cost, 0,
         None, None),
        (ids["cash"], 0, cost, None, None),
    ]  # fmt: skip


def seed(db_path: Path, lines: int, days: int, rng: random.Random) -> int:
    """Insert entries until `lines` journal lines exist; return how many entries."""
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    ids = dict(con.execute("SELECT system_key, id FROM accounts WHERE system_key IS NOT NULL"))
    start = local_today() - timedelta(days=days - 1)
    per_day: dict[tuple[int, str], list[int]] = {}
    entries, entry_rows, line_rows = 0, [], []
    written = 0
    entry_id = 0
    line_id = 0
    while written < lines:
        entry_id += 1
        day = start + timedelta(days=rng.randrange(days))
        kind, entry_lines = _entry(ids, rng)
        iso = day.isoformat()
        entry_rows.append(
            (entry_id, iso, f"{iso} 10:00:00.000000", kind, entry_id, f"B-{entry_id}")
        )
        for account, debit, credit, customer, supplier in entry_lines:
            line_id += 1
            line_rows.append((line_id, entry_id, account, debit, credit, customer, supplier))
            totals = per_day.setdefault((account, iso), [0, 0])
            totals[0] += debit
            totals[1] += credit
        written += len(entry_lines)
        entries += 1
        if len(line_rows) >= BATCH:
            _flush(con, entry_rows, line_rows)
    _flush(con, entry_rows, line_rows)
    con.executemany(
        "INSERT INTO account_days (account_id, day, debit, credit) VALUES (?, ?, ?, ?)",
        [(account, day, d, c) for (account, day), (d, c) in per_day.items()],
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return entries


def _flush(con: sqlite3.Connection, entry_rows: list, line_rows: list) -> None:  # type: ignore[type-arg]
    con.executemany(
        "INSERT INTO journal_entries (id, day, created_at, source_kind, source_id, reference,"
        " narration) VALUES (?, ?, ?, ?, ?, ?, '')",
        entry_rows,
    )
    con.executemany(
        "INSERT INTO journal_lines (id, entry_id, account_id, debit, credit, customer_id,"
        " supplier_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
        line_rows,
    )
    con.commit()
    entry_rows.clear()
    line_rows.clear()


def median_and_p95(fn: Callable[[], object], n: int) -> tuple[float, float]:
    """Time fn() n times after one warm-up; return its p50 and p95 in milliseconds."""
    samples = sorted(timed(n, lambda _i: fn(), warm=1))
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=1095)
    parser.add_argument("--n", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, help="seed here once, reuse on later runs")
    args = parser.parse_args()
    rng = random.Random(21)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="tillbook-bench-books-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    config = {"DATA_DIR": str(data_dir), "LOG_TO_FILE": False, "AUTO_BACKUP": False,
              "WTF_CSRF_ENABLED": False}  # fmt: skip
    app = create_app(config)
    db_path = data_dir / "tillbook.db"
    with sqlite3.connect(db_path) as con:
        seeded = con.execute("SELECT COUNT(*) FROM journal_lines").fetchone()[0] > 0
    if seeded:
        print(f"reusing the shop seeded in {data_dir}", flush=True)
    else:
        with app.app_context():
            owner = users.create_user(db.session, "owner", PASSWORD, "admin")
            # The parties the control lines name, made by the real services (ids 1..N).
            for i in range(1, CUSTOMERS + 1):
                customers.create_customer(
                    db.session, {"name": f"Bench customer {i}", "phone": f"98{i:08d}"}, owner
                )
            for i in range(1, SUPPLIERS + 1):
                suppliers.create_supplier(db.session, {"name": f"Bench supplier {i}"}, owner)
            db.session.remove()
            db.engine.dispose()
        t0 = time.perf_counter()
        entries = seed(db_path, args.lines, args.days, rng)
        print(f"seeded {entries:,} entries, {args.lines:,}+ lines over {args.days} days "
              f"in {time.perf_counter() - t0:.1f} s", flush=True)  # fmt: skip
    with sqlite3.connect(db_path) as con:
        counts = [con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: S608 (fixed names)
                  for t in ("journal_entries", "journal_lines", "account_days")]  # fmt: skip
    print(f"journal_entries {counts[0]:,}, journal_lines {counts[1]:,}, account_days {counts[2]:,}")
    today = local_today()
    year_ago = today - timedelta(days=364)
    busy_day: date = today - timedelta(days=10)
    client = app.test_client()
    client.post("/login", data={"username": "owner", "password": PASSWORD})

    def get(url: str) -> Callable[[], None]:
        def call() -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return call

    with app.app_context():
        tb = books_reports.trial_balance(db.session, today)
        assert tb.figures["total_debit"] == tb.figures["total_credit"], "the books do not balance"
        cash = int(
            db.session.execute(
                db.text("SELECT id FROM accounts WHERE system_key='cash'")
            ).scalar_one()
        )
        cases: list[tuple[str, Callable[[], object]]] = [
            ("trial balance (service)", lambda: books_reports.trial_balance(db.session, today)),
            ("balance sheet (service)", lambda: books_reports.balance_sheet(db.session, today)),
            ("P&L of a year (service)",
             lambda: books_reports.profit_and_loss(db.session, year_ago, today)),
            ("day book of one day (service)",
             lambda: books_reports.day_book(db.session, busy_day, busy_day)),
            ("cash book of one month (service)",
             lambda: books_reports.account_book(
                 db.session, cash, today - timedelta(days=30), today)),
            ("`GET /api/books/trial-balance`", get("/api/books/trial-balance")),
            ("`GET /api/books/balance-sheet`", get("/api/books/balance-sheet")),
            ("`GET /api/books/profit-and-loss` (a year)",
             get(f"/api/books/profit-and-loss?from={year_ago}&to={today}")),
            ("trial balance page (HTML)", get("/books/trial-balance")),
            ("day book page, one day (HTML)",
             get(f"/books/day-book?from={busy_day}&to={busy_day}")),
            ("cash book page, one month (HTML)",
             get(f"/books/account-book?account={cash}&from={today - timedelta(days=30)}&to={today}")),  # noqa: E501
        ]  # fmt: skip
        print("| what | p50 | p95 |\n|---|---:|---:|")
        for label, fn in cases:
            p50, p95 = median_and_p95(fn, args.n)
            print(f"| {label} | {p50:.0f} ms | {p95:.0f} ms |", flush=True)
            db.session.rollback()


if __name__ == "__main__":
    main()
