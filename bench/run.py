"""Benchmark: the whole till on a seeded shop, through the real server, as one table.

Usage: python bench/run.py DATA_DIR [--small] [--only NAME,NAME] [--n N] [--import-rows N]
DATA_DIR is a shop built by `python bench/seed.py DATA_DIR`. Its database is copied (SQLite
backup API) into a temp data dir, so DATA_DIR itself is never changed; `python app.py serve
--port 0` (waitress, SQLite in WAL with synchronous=FULL) runs on the copy and every figure is
taken over keep-alive HTTP from this process: a bearer token for the JSON API, the real login
form's cookie and CSRF token for the pages. Sections (for --only):

  start      source start to first HTTP 200 of /api/health (migrations checked, daily backup)
  till       the till page: HTML and every CSS/JS file it links, as a browser with no cache
  scan       scan lookup (GET /api/products/lookup, random codes)
  search     name search as the till types it (GET /api/products?q=<2-6 letter prefixes>)
  preview    add-to-cart price preview (POST /pos/price, a growing 1-3 line cart)
  checkout   3-line bill (POST /api/invoice/create), 1, 4 and 8 concurrent clients
  customer   customer phone lookup (GET /api/customers?q=<digits>)
  dashboard  GET /api/dashboard/stats
  reports    every sales/tax report page at 1 month and 1 year
  pdf        A4 invoice PDF of a 50-line bill
  labels     label sheet PDF (240 labels, 10 products)
  import     CSV import of N new products (upload + check, then confirm)
  backup     backup of the whole database (Backups page "Back up now": copy + verify)
  frozen     dist/TillBook start to first HTTP 200 (if built)
  raw        the checkout's writes with plain sqlite3 and the same pragmas (the storage limit)

Server RSS is read from /proc after the till sections and at the end. Not a test: it prints
figures and asserts nothing about speed (it stops if a request fails).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog import generate_csv
from common import (
    ROOT,
    Api,
    Browser,
    checkout_clients,
    p50_p95,
    rss_mb,
    start,
    stop,
    three_line_bill,
    timed,
)

SECTIONS = [
    "start",
    "till",
    "scan",
    "search",
    "preview",
    "checkout",
    "customer",
    "dashboard",
    "reports",
    "pdf",
    "labels",
    "import",
    "backup",
    "frozen",
    "raw",
]
REPORTS = [
    "sales-by-day",
    "sales-by-month",
    "sales-by-product",
    "sales-by-category",
    "sales-by-cashier",
    "sales-by-method",
    "profit-and-loss",
    "tax-by-rate",
]


@dataclass
class Row:
    what: str
    figure: str
    target: str = ""


class Table:
    """Rows printed as they are measured, and once more together at the end.

    While `pid` names the running server, each progress line also shows its RSS at that
    moment, so a step that leaves memory behind stands out.
    """

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.pid: int | None = None

    def add(self, what: str, figure: str, target: str = "") -> None:
        self.rows.append(Row(what, figure, target))
        rss = f"  [server RSS {rss_mb(self.pid)}]" if self.pid else ""
        print(f"  {what:<52} {figure}{rss}", flush=True)

    def print(self) -> None:
        width = max(len(r.what) for r in self.rows)
        fig = max(len(r.figure) for r in self.rows)
        print(f"\n| {'what':<{width}} | {'figure':<{fig}} | target |")
        print(f"|{'-' * (width + 2)}|{'-' * (fig + 2)}|--------|")
        for r in self.rows:
            print(f"| {r.what:<{width}} | {r.figure:<{fig}} | {r.target} |")


def copy_data_dir(source: Path, target: Path) -> None:
    """Copy the shop: the database through SQLite's backup API, and the secret key."""
    target.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"{(source / 'tillbook.db').resolve().as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(target / "tillbook.db")
    src.backup(dst)
    dst.execute("PRAGMA journal_mode=WAL")
    dst.close()
    src.close()
    if (source / "secret_key").exists():
        shutil.copy2(source / "secret_key", target / "secret_key")


def wait_for_daily_backup(folder: Path, limit: float = 300) -> float:
    """Wait until the day's backup is written (no .partial left); return seconds waited.

    A shop seeded before the newest migration is migrated at start, and the copy made before
    migrating is that day's backup: any finished backup counts.
    """
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        done = list(folder.glob("*.db"))
        if done and not list(folder.glob("*.partial")):
            break
        time.sleep(0.05)
    return time.perf_counter() - t0


class Page(Browser):
    """The logged-in browser of common.py, plus the CSRF token pages carry."""

    def csrf(self) -> str:
        _, html = self.request("GET", "/pos/")
        return re.search(rb'name="csrf-token" content="([^"]+)"', html).group(1).decode()  # type: ignore[union-attr]

    def ok(self, method: str, path: str, body: bytes | str | None = None, **headers: str) -> bytes:
        status, data = self.request(method, path, body, **headers)
        if status not in (200, 302):
            raise SystemExit(f"{method} {path}: {status} {data[:300]!r}")
        return data


def shop_facts(db_path: Path, rng: random.Random) -> dict:
    """What to look up: codes, name words, phones, a few products for bills (read-only)."""
    con = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    codes = [r[0] for r in con.execute("SELECT code FROM products WHERE archived = 0")]
    names = [r[0] for r in con.execute("SELECT name FROM products ORDER BY random() LIMIT 2000")]
    phones = [r[0] for r in con.execute("SELECT phone_digits FROM customers LIMIT 5000")]
    pcs = [r[0] for r in con.execute("SELECT id FROM products WHERE unit = 'pcs' AND archived = 0"
                                     " ORDER BY id LIMIT 200")]  # fmt: skip
    loose = con.execute(
        "SELECT id FROM products WHERE unit = 'kg' AND archived = 0 ORDER BY id LIMIT 1"
    ).fetchone()
    con.close()
    return {
        "codes": codes,
        "names": names,
        "phones": phones,
        "pcs": pcs,
        "loose": loose[0] if loose else pcs[-1],
        "rng": rng,
    }


def typed_prefixes(names: list[str], rng: random.Random, n: int) -> list[str]:
    """What the till sends while a cashier types a name: 2-6 letters, sometimes a second word."""
    out = []
    while len(out) < n:
        words = rng.choice(names).split()
        first = words[0][: rng.randint(2, 6)]
        if len(words) > 1 and rng.random() < 0.4:
            out.append(f"{words[0]} {words[1][: rng.randint(1, 4)]}")
        else:
            out.append(first)
    return out


def raw_baseline(db_path: Path, product_ids: list[int], n: int) -> tuple[list[float], float]:
    """The writes of one 3-line cash sale with plain sqlite3, same pragmas as the app."""
    con = sqlite3.connect(db_path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=15000"):
        con.execute(f"PRAGMA {pragma}")
    user_id = con.execute("SELECT id FROM users ORDER BY id LIMIT 1").fetchone()[0]
    today = date.today().isoformat()
    samples = []
    started = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        con.execute("BEGIN IMMEDIATE")
        con.execute("SELECT key, value FROM settings").fetchall()
        rows = con.execute(
            "SELECT id, code, name, unit, hsn, price, cost, tax_rate_bp, archived FROM products"
            " WHERE id IN (?, ?, ?)",
            product_ids,
        ).fetchall()
        seq = con.execute(
            "UPDATE document_counters SET last = last + 1 WHERE kind = 'invoice' AND fy = 9999"
            " RETURNING last"
        ).fetchone()
        if seq is None:
            con.execute(
                "INSERT INTO document_counters (kind, fy, last) VALUES ('invoice', 9999, 1)"
            )
            seq = (1,)
        now = time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime())
        invoice_id = con.execute(
            "INSERT INTO invoices (number, fy, seq, created_at, cashier_id, prices_include_tax,"
            " subtotal, discount_total, bill_discount, tax_total, round_off, total, paid,"
            " tendered, change, status, note) VALUES (?, 9999, ?, ?, ?, 1, 100000, 0, 0, 5000,"
            " 0, 100000, 100000, 100000, 0, 'paid', '') RETURNING id",
            (f"RAW9999-{seq[0]:06d}", seq[0], now, user_id),
        ).fetchone()[0]
        for row in rows:
            con.execute(
                "UPDATE products SET stock_milli = stock_milli - 1000 WHERE id = ?"
                " AND stock_milli >= 1000",
                (row[0],),
            )
        con.executemany(
            "INSERT INTO invoice_lines (invoice_id, position, product_id, code, name, unit, hsn,"
            " unit_price, qty_milli, gross, line_discount, bill_discount_share, tax_rate_bp,"
            " taxable, tax, total, unit_cost) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1000, ?, 0, 0, ?,"
            " ?, 0, ?, ?)",
            [(invoice_id, p, r[0], r[1], r[2], r[3], r[4], r[5], r[5], r[7], r[5], r[5], r[6])
             for p, r in enumerate(rows, start=1)],
        )  # fmt: skip
        con.executemany(
            "INSERT INTO stock_movements (product_id, delta_milli, reason, ref, note, user_id,"
            " created_at) VALUES (?, -1000, 'sale', ?, '', ?, ?)",
            [(r[0], f"RAW9999-{seq[0]:06d}", user_id, now) for r in rows],
        )
        con.execute(
            "INSERT INTO payments (invoice_id, method, amount, created_at, user_id, note)"
            " VALUES (?, 'cash', 100000, ?, ?, '')",
            (invoice_id, now, user_id),
        )
        con.execute(
            "INSERT INTO daily_sales (day, invoices, sales, net, tax, discount, cost, cash, card,"
            " upi, credit) VALUES (?, 1, 100000, 95000, 5000, 0, 80000, 100000, 0, 0, 0)"
            " ON CONFLICT(day) DO UPDATE SET invoices = invoices + 1, sales = sales + 100000",
            (today,),
        )
        previous = con.execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        con.execute(
            "INSERT INTO audit_log (created_at, user_id, action, entity, entity_id, after, hash)"
            " VALUES (?, ?, 'raw.sale', 'invoice', ?, '{}', ?)",
            (now, user_id, invoice_id, (previous[0] if previous else "")[:32] + uuid.uuid4().hex),
        )
        con.execute("COMMIT")
        samples.append((time.perf_counter() - t0) * 1000)
        del i
    rate = n / (time.perf_counter() - started)
    con.close()
    return samples, rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--small", action="store_true", help="few repetitions, small import")
    parser.add_argument("--only", default="", help=f"comma-separated: {','.join(SECTIONS)}")
    parser.add_argument("--n", type=int, help="repetitions of each lookup (default 300)")
    parser.add_argument("--import-rows", type=int, help="CSV rows to import (default 100000)")
    parser.add_argument("--keep", action="store_true", help="keep the copied data dir")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(","))) or set(SECTIONS)
    unknown = only - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    if not (args.data_dir / "tillbook.db").exists():
        parser.error(f"{args.data_dir} has no tillbook.db; build one with bench/seed.py")
    n = args.n or (20 if args.small else 300)
    sales = {1: 20, 4: 40, 8: 40} if args.small else {1: 400, 4: 800, 8: 800}
    import_rows = args.import_rows or (500 if args.small else 100_000)
    report_n = 1 if args.small else 3
    rng = random.Random(10)
    table = Table()
    work = Path(tempfile.mkdtemp(prefix="tillbook-run-"))
    copy = work / "data"
    print(f"copying {args.data_dir} to {copy} ...", flush=True)
    copy_data_dir(args.data_dir, copy)
    facts = shop_facts(copy / "tillbook.db", rng)
    con = sqlite3.connect(copy / "tillbook.db")
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
              for t in ("products", "customers", "invoice_lines")}  # fmt: skip
    con.close()
    print(
        f"shop: {counts['products']:,} products, {counts['customers']:,} customers, "
        f"{counts['invoice_lines']:,} invoice lines; {os.cpu_count()} CPUs; "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    proc, port, seconds = start(copy)
    table.pid = proc.pid
    try:
        if "start" in only:
            table.add("server start (source) to first HTTP 200", f"{seconds:.2f} s")
        # The day's first start backs the database up on a thread; let it finish so it does
        # not share the cores with what is measured next.
        waited = wait_for_daily_backup(copy / "backups")
        if "start" in only:
            table.add("day's first backup done (copy + verify, in the background)",
                      f"{seconds + waited:.1f} s after start")  # fmt: skip
        api = Api(port)
        token = api.login()
        page = Page(port)
        page.login()
        csrf = page.csrf()
        json_headers = {"Content-Type": "application/json", "X-CSRFToken": csrf}

        if "till" in only:
            _, html = page.request("GET", "/pos/")
            assets = sorted(set(re.findall(rb'(?:src|href)="(/static/[^"]+)"', html)))

            def till_page(_i: int) -> None:
                page.ok("GET", "/pos/")
                for asset in assets:
                    page.ok("GET", asset.decode())

            samples = timed(max(10, n // 10), till_page, warm=2)
            table.add(
                f"till page: HTML + {len(assets)} CSS/JS files, no cache",
                p50_p95(samples),
                "< 300 ms ready",
            )
        if "scan" in only:
            codes = [rng.choice(facts["codes"]) for _ in range(n + 5)]
            samples = timed(
                n, lambda i: api.call("GET", f"/api/products/lookup?code={quote(codes[i])}")
            )
            table.add("scan lookup (GET /api/products/lookup)", p50_p95(samples), "p95 < 5 ms")
        if "search" in only:
            queries = typed_prefixes(facts["names"], rng, n + 5)
            samples = timed(
                n,
                lambda i: api.call("GET", f"/api/products?q={quote(queries[i])}&per_page=8"),
            )
            table.add("name search keystroke (GET /api/products?q=)", p50_p95(samples),
                      "p95 < 20 ms")  # fmt: skip
        if "preview" in only:
            picks = facts["pcs"][:50]

            def price(i: int) -> None:
                items = [{"product_id": picks[(i + k) % len(picks)], "quantity": 1}
                         for k in range(i % 3 + 1)]  # fmt: skip
                page.ok("POST", "/pos/price", json.dumps({"items": items}), **json_headers)

            samples = timed(n, price)
            table.add("add-to-cart price preview (POST /pos/price)", p50_p95(samples))
        bill_ids = [*facts["pcs"][-2:], facts["loose"]]
        if "checkout" in only:
            for pid in bill_ids:  # enough stock for every bill of the run
                api.call("POST", f"/api/products/{pid}/stock",
                         {"delta": "100000", "reason": "purchase", "note": "bench"})  # fmt: skip
            bill = three_line_bill(bill_ids, "1.00", "100000", loose=2)
            checkout_clients(port, token, bill, 1, 20)  # warm-up
            for clients, total in sales.items():
                latencies, rate = checkout_clients(port, token, bill, clients, total // clients)
                table.add(
                    f"checkout 3 lines, {clients} client{'s' if clients > 1 else ''}",
                    f"{p50_p95(latencies)}, {rate:.0f}/s",
                    {1: "p50 < 6 ms", 4: ">= 300/s (aim 420)"}.get(clients, ""),
                )
        if "customer" in only:
            phones = [rng.choice(facts["phones"])[2:][rng.randint(0, 4):][:6 + rng.randint(0, 4)]
                      for _ in range(n + 5)]  # fmt: skip
            samples = timed(
                n, lambda i: api.call("GET", f"/api/customers?q={phones[i]}&per_page=8")
            )
            table.add("customer phone lookup (GET /api/customers?q=)", p50_p95(samples))
        table.add("server RSS after the till work", rss_mb(proc.pid), "< 150 MB")
        if "dashboard" in only:
            samples = timed(max(5, n // 30), lambda i: api.call("GET", "/api/dashboard/stats"),
                            warm=1)  # fmt: skip
            table.add("dashboard stats (GET /api/dashboard/stats)", p50_p95(samples), "< 300 ms")
        if "reports" in only:
            today = date.today()
            for name in REPORTS:
                figures = []
                for days in (30, 365):
                    url = f"/reports/{name}?from={(today - timedelta(days=days)).isoformat()}" \
                          f"&to={today.isoformat()}"  # fmt: skip
                    samples = timed(report_n, lambda _i, u=url: page.ok("GET", u), warm=0)
                    figures.append(f"{statistics.median(samples):.0f}")
                table.add(f"report {name}, 1 month / 1 year", f"{' / '.join(figures)} ms")
            # The GST returns of last month: GSTR-1 page, its ZIP (every CSV + JSON), GSTR-3B.
            month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
            figures = []
            for url in (f"/reports/gst/gstr1?month={month}",
                        f"/reports/gst/gstr1?month={month}&format=zip",
                        f"/reports/gst/gstr3b?month={month}"):  # fmt: skip
                samples = timed(report_n, lambda _i, u=url: page.ok("GET", u), warm=0)
                figures.append(f"{statistics.median(samples):.0f}")
            table.add("GSTR-1 page / ZIP / GSTR-3B, last month", f"{' / '.join(figures)} ms")
        if "pdf" in only:
            items = [{"product_id": pid, "quantity": 1} for pid in facts["pcs"][:50]]
            for pid in facts["pcs"][:50]:
                api.call("POST", f"/api/products/{pid}/stock",
                         {"delta": "100", "reason": "purchase", "note": "bench"})  # fmt: skip
            invoice = api.call("POST", "/api/invoice/create", {"items": items}, ok=201)
            url = f"/api/invoice/{invoice['id']}/pdf"
            samples = timed(max(3, n // 60), lambda _i: api.call("GET", url), warm=1)
            table.add("invoice PDF, 50 lines (GET /api/invoice/<id>/pdf)", p50_p95(samples))
        if "labels" in only:
            form = [("csrf_token", csrf), ("sheet", "a4-3x8"), ("skip", "0")]
            for code in rng.sample(facts["codes"], 10):
                form += [("code", code), ("count", "24")]
            body = urlencode(form)
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            samples = timed(max(2, n // 100), lambda _i: page.ok("POST", "/products/labels", body,
                                                                 **headers), warm=1)  # fmt: skip
            table.add("label sheet PDF, 240 labels (POST /products/labels)", p50_p95(samples))
        if "import" in only:
            raw, _codes, _names = generate_csv(import_rows, random.Random(7))
            boundary = uuid.uuid4().hex
            body = (
                (
                    f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
                    f'{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                    f'filename="products.csv"\r\nContent-Type: text/csv\r\n\r\n'
                ).encode()
                + raw
                + f"\r\n--{boundary}--\r\n".encode()
            )
            t0 = time.perf_counter()
            status, data = page.request(
                "POST", "/products/import", body,
                **{"Content-Type": f"multipart/form-data; boundary={boundary}",
                   "X-Requested-With": "fetch"},
            )  # fmt: skip
            if status != 200:
                raise SystemExit(f"import upload: {status} {data[:300]!r}")
            checked = time.perf_counter() - t0
            target = json.loads(data)["next"]
            t1 = time.perf_counter()
            page.ok("POST", target, urlencode({"csrf_token": csrf}),
                    **{"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
            confirmed = time.perf_counter() - t1
            table.add(
                f"CSV import of {import_rows:,} products",
                f"{checked + confirmed:.1f} s (check {checked:.1f} s + write {confirmed:.1f} s)",
                "< 30 s",
            )
        if "backup" in only:
            size = (copy / "tillbook.db").stat().st_size
            t0 = time.perf_counter()
            page.ok("POST", "/backups/now", urlencode({"csrf_token": csrf}),
                    **{"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
            table.add(
                f"backup of the whole database ({size / 1e6:.0f} MB, copy + verify)",
                f"{time.perf_counter() - t0:.1f} s",
            )
        table.add("server RSS after the run", rss_mb(proc.pid), "< 150 MB")
    finally:
        table.pid = None
        stop(proc)

    if "frozen" in only:
        frozen = ROOT / "dist" / ("TillBook.exe" if os.name == "nt" else "TillBook")
        if frozen.exists():
            proc, _port, seconds = start(copy, [str(frozen)])
            stop(proc)
            table.add("frozen executable start to first HTTP 200", f"{seconds:.2f} s")
        else:
            table.add("frozen executable start to first HTTP 200", "not built (dist/TillBook)")
    if "raw" in only:
        raw_samples, raw_rate = raw_baseline(copy / "tillbook.db", bill_ids, max(50, n))
        app_row = next((r for r in table.rows if r.what == "checkout 3 lines, 1 client"), None)
        ratio = ""
        if app_row is not None:
            app_p50 = float(re.search(r"p50 ([\d.]+)", app_row.figure).group(1))  # type: ignore[union-attr]
            ratio = f"; app p50 is {app_p50 / statistics.median(raw_samples):.1f}x"
        table.add(
            "raw sqlite3, the same sale's writes, 1 writer",
            f"{p50_p95(raw_samples)}, {raw_rate:.0f}/s{ratio}",
        )
    table.print()
    if args.keep:
        print(f"\nkept the copied data dir: {copy}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
