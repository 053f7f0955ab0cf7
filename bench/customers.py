"""Benchmark: customer search, the customer page and the dues list at shop scale.

Usage: python bench/customers.py [--customers 20000] [--entries 200000] [--big 2000] [--n 200]
       [--distinct-names]
Creates a temp data dir (migrated by `app.py create-user`), bulk-inserts customers and ledger
entries (credit sales with their invoices, payments with their payment rows) straight into
SQLite, starts the real server (`app.py serve --port 0`) and prints p50/p95 of:
  phone lookup (partial digits and whole numbers in other spellings), fuzzy name search
  (typos), the customer page of one customer with `--big` ledger entries (HTML and the API's
  detail + newest ledger page), and the dues list (HTML, by amount and by age).
Not a test: it prints figures and asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from common import Api, Browser, create_admin, pct, start, stop, timed

FIRST = [
    "Ramesh",
    "Suresh",
    "Mahesh",
    "Rakesh",
    "Dinesh",
    "Ganesh",
    "Lakshmi",
    "Sunita",
    "Anita",
    "Kavita",
    "Priya",
    "Pooja",
    "Neha",
    "Ravi",
    "Vijay",
    "Ajay",
    "Sanjay",
    "Manoj",
    "Arun",
    "Kiran",
    "Deepak",
    "Anil",
    "Sunil",
    "Meena",
    "Geeta",
    "Rekha",
    "Savita",
    "Asha",
    "Usha",
    "Mohan",
    "Sohan",
    "Gopal",
    "Krishna",
    "Radha",
    "Shyam",
    "Hari",
    "Prakash",
    "Arjun",
    "Rahul",
    "Rohit",
    "Amit",
    "Sumit",
    "Nitin",
    "Farhan",
    "Imran",
    "Salma",
    "Ayesha",
    "Joseph",
    "Mary",
    "Thomas",
    "Gurpreet",
    "Harpreet",
    "Balwinder",
    "Venkat",
    "Srinivas",
    "Lalitha",
    "Padma",
    "Karthik",
    "Senthil",
]
LAST = [
    "Kumar",
    "Sharma",
    "Verma",
    "Gupta",
    "Patel",
    "Shah",
    "Mehta",
    "Joshi",
    "Iyer",
    "Nair",
    "Reddy",
    "Rao",
    "Naidu",
    "Pillai",
    "Menon",
    "Singh",
    "Yadav",
    "Das",
    "Ghosh",
    "Bose",
    "Sen",
    "Khan",
    "Ali",
    "Shaikh",
    "Fernandes",
    "DSouza",
    "Agarwal",
    "Jain",
    "Bansal",
    "Chopra",
    "Kapoor",
    "Malhotra",
    "Chauhan",
    "Thakur",
    "Pandey",
    "Mishra",
    "Tiwari",
    "Dubey",
    "Saxena",
    "Kulkarni",
]


SYLLABLES = [
    "ra",
    "me",
    "sh",
    "ku",
    "ma",
    "la",
    "ks",
    "hmi",
    "pri",
    "ya",
    "su",
    "ni",
    "ta",
    "an",
    "vi",
    "jay",
    "de",
    "ep",
    "ka",
    "go",
    "pa",
    "ha",
    "ri",
    "na",
    "th",
]


def made_up_name(rng: random.Random) -> str:
    """A name from syllables, so nearly every customer's name differs (fuzzy's worst case)."""

    def word() -> str:
        return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).title()

    return f"{word()} {word()}"


def seed(
    db_path: Path,
    customers: int,
    entries: int,
    big: int,
    rng: random.Random,
    distinct_names: bool = False,
) -> dict:
    """Bulk-insert customers, invoices, payments and ledger entries; return what to look up."""
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")  # seeding only; the server runs with FULL
    user_id = con.execute("SELECT id FROM users LIMIT 1").fetchone()[0]
    now = datetime.utcnow().replace(microsecond=0)
    start = now - timedelta(days=400)

    phones: set[int] = set()
    rows = []
    for i in range(1, customers + 1):
        while True:
            national = rng.randint(6_000_000_000, 9_999_999_999)
            if national not in phones:
                phones.add(national)
                break
        name = made_up_name(rng) if distinct_names else f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        created = start + timedelta(minutes=i)
        limit = rng.choice((0, 0, 100_000, 500_000, 1_000_000))
        rows.append(
            (i, name, f"+91{national}", f"91{national}", "", "", "", limit, 0, created, created)
        )
    con.executemany(
        "INSERT INTO customers (id, name, phone, phone_digits, email, address, notes,"
        " credit_limit, archived, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )

    # Who gets each entry: the big customer `big` of them, the rest spread at random.
    owners = [1] * big + [rng.randint(2, customers) for _ in range(entries - big)]
    times = sorted(start + timedelta(seconds=rng.randint(0, 400 * 86400)) for _ in owners)
    rng.shuffle(owners)
    invoices, payments, ledger = [], [], []
    balance: dict[int, int] = {}
    seq = 0
    for entry_id, (owner, when) in enumerate(zip(owners, times, strict=True), start=1):
        owed = balance.get(owner, 0)
        if owed > 0 and rng.random() < 0.4:
            amount = min(owed, rng.randint(1, 40) * 5000)
            payment_id = len(payments) + 1
            payments.append((payment_id, None, owner, "cash", amount, when, user_id, ""))
            ledger.append(
                (entry_id, owner, "payment", -amount, None, payment_id, "", user_id, when)
            )
            balance[owner] = owed - amount
        else:
            amount = rng.randint(50, 5000) * 100
            seq += 1
            invoices.append(
                (
                    seq,
                    f"INV2026-{seq:07d}",
                    2026,
                    seq,
                    when,
                    user_id,
                    owner,
                    1,
                    amount,
                    0,
                    0,
                    0,
                    0,
                    amount,
                    0,
                    0,
                    0,
                    "unpaid",
                    "",
                )
            )
            ledger.append((entry_id, owner, "credit_sale", amount, seq, None, "", user_id, when))
            balance[owner] = owed + amount
    con.executemany(
        "INSERT INTO invoices (id, number, fy, seq, created_at, cashier_id, customer_id,"
        " prices_include_tax, subtotal, discount_total, bill_discount, tax_total, round_off,"
        " total, paid, tendered, change, status, note)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        invoices,
    )
    con.executemany(
        "INSERT INTO payments (id, invoice_id, customer_id, method, amount, created_at, user_id,"
        " note) VALUES (?,?,?,?,?,?,?,?)",
        payments,
    )
    con.executemany(
        "INSERT INTO ledger_entries (id, customer_id, kind, amount, invoice_id, payment_id,"
        " note, user_id, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
        ledger,
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()
    owing = sum(1 for v in balance.values() if v > 0)
    return {"names": [r[1] for r in rows], "phones": [r[3][2:] for r in rows], "owing": owing}


def typo(name: str, rng: random.Random) -> str:
    """Swap two neighbouring letters of the first name ("Ramesh" -> "Rmaesh")."""
    first = name.split()[0]
    if len(first) < 4:
        return first
    i = rng.randint(1, len(first) - 2)
    return first[:i] + first[i + 1] + first[i] + first[i + 2 :]


def spell(national: str, rng: random.Random) -> str:
    """Write a number the ways people do."""
    return rng.choice(
        (
            f"{national[:5]} {national[5:]}",
            f"+91-{national[:5]}-{national[5:]}",
            f"0{national}",
            national[rng.randint(0, 4) :][:6],  # a part of it
        )
    )


def measure(label: str, n: int, fn: Callable[[int], object]) -> tuple[str, float, float]:
    times = timed(n, fn, warm=min(10, n))
    p50, p95 = statistics.median(times), pct(times, 0.95)
    print(f"  {label:<58} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   (n={n})")
    return label, p50, p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--big", type=int, default=2_000)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument(
        "--distinct-names", action="store_true", help="made-up names, nearly all different"
    )
    args = parser.parse_args()
    rng = random.Random(4)

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        create_admin(data_dir)  # migrates the new database
        # A first start takes the day's backup of the empty shop, so none runs while measuring.
        stop(start(data_dir)[0])
        t0 = time.perf_counter()
        seeded = seed(
            data_dir / "tillbook.db",
            args.customers,
            args.entries,
            args.big,
            rng,
            args.distinct_names,
        )
        print(
            f"seeded {args.customers} customers, {args.entries} ledger entries "
            f"({seeded['owing']} customers owe, {len(set(seeded['names']))} distinct names) "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        proc, port, _seconds = start(data_dir)
        try:
            browser = Browser(port)
            browser.login()
            api = Api(port)
            api.login()

            def get_api(path: str) -> dict:
                return api.call("GET", path)

            def get_page(path: str) -> None:
                status, body = browser.request("GET", path)
                if status != 200:
                    raise SystemExit(f"{path}: {status} {body[:200]!r}")

            phones = [spell(rng.choice(seeded["phones"]), rng) for _ in range(args.n + 10)]
            typos = [typo(rng.choice(seeded["names"]), rng) for _ in range(args.n + 10)]
            found = sum(
                1 for q in typos[:50] if get_api(f"/api/customers?q={quote(q)}&per_page=8")["items"]
            )
            print(f"  (fuzzy: {found}/50 typo queries found at least one customer)")
            print(f"{args.customers} customers, {args.entries} ledger entries:")
            measure(
                "phone lookup  GET /api/customers?q=<phone, any spelling>",
                args.n,
                lambda i: get_api(f"/api/customers?q={quote(phones[i])}&per_page=8"),
            )
            measure(
                "fuzzy name    GET /api/customers?q=<typo>",
                args.n,
                lambda i: get_api(f"/api/customers?q={quote(typos[i])}&per_page=8"),
            )
            measure(
                f"customer page GET /customers/1 (HTML, {args.big} entries)",
                max(20, args.n // 4),
                lambda i: get_page("/customers/1"),
            )
            measure(
                "customer API  GET /api/customers/1 + /ledger?order=desc",
                max(20, args.n // 4),
                lambda i: (
                    get_api("/api/customers/1"),
                    get_api("/api/customers/1/ledger?order=desc"),
                ),
            )
            measure(
                "dues list     GET /customers/dues (HTML, by amount)",
                20,
                lambda i: get_page("/customers/dues"),
            )
            measure(
                "dues list     GET /customers/dues?sort=age (HTML)",
                20,
                lambda i: get_page("/customers/dues?sort=age"),
            )
        finally:
            stop(proc)


if __name__ == "__main__":
    main()
