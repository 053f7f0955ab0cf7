"""Benchmark: HQ ingest (issue 24) — 50 shops push a day's sales at once; one shop catches up.

Usage: python bench/hq.py [--database-url URL] [--shops 50] [--invoices 2000]
                          [--catch-up 14000] [--threads 16] [--keep]
URL (or TILLBOOK_BENCH_POSTGRESQL_URL, else TILLBOOK_TEST_POSTGRESQL_URL) is a PostgreSQL
server whose user may create databases; the bench makes its own database there and drops it.

HQ is `python app.py hq serve` (waitress, PostgreSQL) in its own process, as deployed. A real
shop (its own SQLite file, this process) enrols at it and makes two sales, a cash one and one
partly on credit, each of 3 lines; their outbox changesets (what `sync_outbox` serialized at
commit: 3 products, the invoice with its lines and payments, 3 stock movements, the journal
entry, the audit entry, on credit the ledger entry) are the templates of every changeset the
simulated shops send, with their own ids, numbers and products. Each simulated shop is an
enrolled HQ shop with its credential, pushing its day (`--invoices` sales: 3 lines each) in
batches of 200 changesets, one request after another, as the shop's client does; all shops at
once, each on a thread of this process (request bodies are built before the clock starts).

Figures: the ingest rate (invoices, records and MB per second over the wall time of the whole
run) and the request latency; then the catch-up: the real shop's outbox gets `--catch-up`
more sale changesets (a week offline) and `hq_client.push` (the shop's own code: reads its
outbox, batches, stores each ack) sends them all; its wall time. HQ's record counts are
checked after each part (every invoice stored once). Not a test: it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import ROOT, pct

sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from posapp import create_app
from posapp.extensions import db
from posapp.models.base import utcnow
from posapp.money import money_str
from posapp.services import catalog, checkout, customers, hq, hq_client, users

PASSWORD = "bench-password-1"
BATCH = 200  # changesets per request: the client's MAX_CHANGESETS
PRODUCTS = 300  # each simulated shop's catalogue (the products its sales touch)
TOKEN = re.compile(r'"@@(\w+)@@"')


def database_url(given: str | None) -> str:
    url = (
        given
        or os.environ.get("TILLBOOK_BENCH_POSTGRESQL_URL")
        or os.environ.get("TILLBOOK_TEST_POSTGRESQL_URL")
    )
    if not url:
        raise SystemExit(
            "bench/hq.py needs PostgreSQL: --database-url postgresql+psycopg://user:pw@host/db "
            "(or TILLBOOK_BENCH_POSTGRESQL_URL)"
        )
    return url


class Database:
    """The bench's own database on the server: created fresh, dropped at the end."""

    def __init__(self, server_url: str) -> None:
        base = make_url(server_url)
        self.name = f"tbbench_hq_{os.getpid()}"
        self.admin = create_engine(
            base.set(database="postgres").render_as_string(hide_password=False),
            isolation_level="AUTOCOMMIT",
        )
        self.url = base.set(database=self.name).render_as_string(hide_password=False)
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}"'))
            conn.execute(text(f"CREATE DATABASE \"{self.name}\" ENCODING 'UTF8'"))

    def drop(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def hq_app(data_dir: Path, url: str) -> Any:
    """The HQ app in this process (migrates the database; used to add shops and count)."""
    return create_app(
        {
            "DATA_DIR": str(data_dir),
            "TESTING": True,
            "LOG_TO_FILE": False,
            "HQ_MODE": True,
            "SQLALCHEMY_DATABASE_URI": url,
        }
    )


def start_hq(data_dir: Path, url: str, threads: int) -> tuple[subprocess.Popen[str], str]:
    """`app.py hq serve --port 0` with DATABASE_URL; its process and base URL."""
    env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--data-dir", str(data_dir), "hq", "serve", "--port", "0",
         "--threads", str(threads)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        found = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
        if found:
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # drain the pipe
            return proc, found.group(1)
    raise SystemExit("HQ did not start")


# ---------------------------------------------------------------- the real shop and its templates


def real_shop(shop_dir: Path, hq_url: str, code: str) -> tuple[Any, list[list[dict[str, Any]]]]:
    """Set up and enrol a real shop, push its backfill, make a cash and a credit sale of 3
    lines; return its app and those two changesets' records (the templates)."""
    app = create_app({"DATA_DIR": str(shop_dir), "TESTING": True, "LOG_TO_FILE": False})
    with app.app_context():
        owner = users.create_first_admin(db.session, "owner", PASSWORD, PASSWORD, shop_name="B")
        made = [
            catalog.create_product(
                db.session,
                {
                    "name": f"Item {i}",
                    "price": price,
                    "tax_rate": rate,
                    "unit": unit,
                    "opening_stock": "100000",
                },
                owner.id,
            )
            for i, (price, rate, unit) in enumerate(
                (("245.50", "5", "pcs"), ("62.35", "0", "kg"), ("38.00", "18", "pcs"))
            )
        ]
        customer = customers.create_customer(
            db.session, {"name": "Sunita Devi", "phone": "9876543210", "credit_limit": "100000"},
            owner,
        )  # fmt: skip
        hq_client.enrol(db.session, hq_url, code, owner.id, "bench")
        hq_client.push(db.session)
        items = [
            {"product_id": made[0].id, "quantity": 1},
            {"product_id": made[1].id, "quantity": "1.250"},
            {"product_id": made[2].id, "quantity": 2},
        ]
        checkout.checkout(db.session, checkout.parse_checkout({"items": items}), owner)
        total = checkout.preview(db.session, checkout.parse_checkout({"items": items})).priced.total
        credit = {
            "items": items,
            "customer_id": customer.id,
            "payments": [
                {"method": "cash", "amount": "100.00"},
                {"method": "credit", "amount": money_str(total - 10000)},
            ],
        }
        checkout.checkout(db.session, checkout.parse_checkout(credit), owner)
        rows = db.session.execute(
            text("SELECT payload FROM sync_outbox ORDER BY seq DESC LIMIT 2")
        ).scalars()
        cash_sale, credit_sale = reversed([json.loads(p)["records"] for p in rows])
        hq_client.push(db.session)  # HQ holds all of it: the catch-up is only the week's sales
        db.session.remove()
    return app, [cash_sale, credit_sale]


class Template:
    """A sale changeset's records as a %-format string: ids, the number and products as fields.

    Every record of the sale gets fresh ids per invoice (unique per kind); its 3 products are
    picked per invoice from the shop's catalogue (HQ keeps each product's latest version).
    """

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = len(records)
        product_ids = [r["id"] for r in records if r["kind"] == "product"]
        slot = {pid: n for n, pid in enumerate(product_ids)}
        number = next(r["data"]["number"] for r in records if r["kind"] == "invoice")
        self.names: list[str] = []

        def mark(name: str) -> str:
            if name not in self.names:
                self.names.append(name)
            return f"@@{name}@@"

        def product(pid: str) -> dict[str, str]:
            return {"product_id": mark(f"p{slot[pid]}")}

        out = []
        for record in records:
            kind, data = record["kind"], dict(record["data"])
            if kind == "product":
                data["code"] = mark(f"pcode{slot[record['id']]}")
                out.append({"kind": kind, "id": mark(f"p{slot[record['id']]}"), "data": data})
                continue
            if kind == "customer":  # a credit sale's customer (their balance moved): the same
                out.append(record)
                continue
            own = mark(f"{kind}{sum(1 for r in out if r['kind'] == kind)}")
            if kind == "invoice":
                data["lines"] = [
                    {**line, "id": mark(f"line{n}"), "invoice_id": own,
                     **product(line["product_id"]),
                     "code": mark(f"pcode{slot[line['product_id']]}")}
                    for n, line in enumerate(data["lines"])
                ]  # fmt: skip
                data["payments"] = [
                    {**pay, "id": mark(f"pay{n}"), "invoice_id": own}
                    for n, pay in enumerate(data["payments"])
                ]
            elif kind == "stock_movement":
                data.update(product(data["product_id"]))
            elif kind == "journal_entry":
                data["lines"] = [
                    {**line, "id": mark(f"jline{n}"), "entry_id": own}
                    for n, line in enumerate(data["lines"])
                ]
            out.append({"kind": kind, "id": own, "data": data})
        encoded = json.dumps(out, separators=(",", ":"), ensure_ascii=False)
        # The number stands in the invoice, the movements' refs, the journal and the audit.
        encoded = encoded.replace("%", "%%").replace(number, "%(number)s")
        self.text = TOKEN.sub(lambda m: f'"%({m.group(1)})s"', encoded)

    def render(self, i: int) -> str:
        """The records of the shop's invoice i (from 1), as JSON text."""
        return self.text % fields(self.names, i)


def fields(names: list[str], i: int) -> dict[str, str]:
    """The values of invoice i: the number, 3 of PRODUCTS products, ids unique per kind."""
    values = {"number": f"INV2026-{i:06d}"}
    for k, name in enumerate(names):
        if name.startswith("pcode"):
            values[name] = f"20000{_product(i, int(name[5:])):08d}"
        elif name[0] == "p" and name[1:].isdigit():
            values[name] = str(_product(i, int(name[1:])))
        else:
            values[name] = str(100 * i + k)
    return values


def _product(i: int, n: int) -> int:
    return (i * 7 + n * 101) % PRODUCTS + 1


def changeset_json(templates: list[Template], seq: int, i: int, at: str) -> str:
    """One sale changeset (every fifth on credit) as JSON text."""
    records = templates[1 if i % 5 == 0 else 0].render(i)
    return f'{{"seq":{seq},"at":"{at}","records":{records}}}'


# ---------------------------------------------------------------- the day of 50 shops


def bodies_of(shop_id: str, templates: list[Template], invoices: int) -> list[bytes]:
    at = utcnow().isoformat() + "Z"
    out = []
    for start in range(1, invoices + 1, BATCH):
        sets = ",".join(
            changeset_json(templates, i, i, at)
            for i in range(start, min(start + BATCH, invoices + 1))
        )
        body = f'{{"shop_id":"{shop_id}","changesets":[{sets}],"shop_clock":"{at}"}}'
        out.append(body.encode("utf-8"))
    return out


def send(base: str, credential: str, body: bytes) -> tuple[int, dict[str, Any], float]:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=300)
    t0 = time.perf_counter()
    try:
        conn.request(
            "POST", hq_client.PUSH_PATH, body,
            {"Content-Type": "application/json", "Authorization": f"Bearer {credential}"},
        )  # fmt: skip
        response = conn.getresponse()
        answer = json.loads(response.read() or b"{}")
        return response.status, answer, (time.perf_counter() - t0) * 1000
    finally:
        conn.close()


def enrol_simulated(app: Any, hq_url: str, count: int) -> list[tuple[str, str]]:
    """`count` shops added at HQ and enrolled through its API: (shop id, credential) each."""
    found = []
    for n in range(count):
        with app.app_context():
            code = hq.create_shop(db.session, f"Shop {n + 1}", None).code
            db.session.remove()
        body = json.dumps({"code": code, "shop": {"name": f"Shop {n + 1}"}}).encode()
        host, port = hq_url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        conn.request("POST", hq_client.ENROL_PATH, body, {"Content-Type": "application/json"})
        answer = json.loads(conn.getresponse().read())
        conn.close()
        found.append((answer["shop_id"], answer["credential"]))
    return found


def day_of_shops(
    hq_url: str, shops: list[tuple[str, str]], templates: list[Template], invoices: int
) -> None:
    print(f"building {len(shops)} shops x {invoices} sales ...", flush=True)
    work = [(credential, bodies_of(shop_id, templates, invoices)) for shop_id, credential in shops]
    size = sum(len(b) for _c, bodies in work for b in bodies)
    records = sum(b.count(b'"kind"') for _c, bodies in work for b in bodies)
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def shop_day(credential: str, bodies: list[bytes]) -> None:
        for body in bodies:
            status, answer, ms = send(hq_url, credential, body)
            with lock:
                latencies.append(ms)
                if status != 200:
                    failures.append(f"{status} {answer}")

    threads = [threading.Thread(target=shop_day, args=item) for item in work]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - t0
    if failures:
        raise SystemExit(f"pushes failed: {failures[:3]}")
    total = len(shops) * invoices
    per_body = size / sum(len(bodies) for _c, bodies in work)
    print(f"{len(shops)} shops x {invoices} sales ({3 * total} lines) pushed at once, "
          f"batches of {BATCH}: {wall:.1f} s")  # fmt: skip
    print(f"  HQ ingest: {total / wall:,.0f} invoices/s ({records / wall:,.0f} records/s, "
          f"{size / wall / 1e6:.1f} MB/s of JSON; {size / 1e6:.0f} MB in all, "
          f"{per_body / 1e6:.2f} MB a request)")  # fmt: skip
    p50, p95 = pct(latencies, 0.5), pct(latencies, 0.95)
    print(f"  request latency: p50 {p50:,.0f} ms, p95 {p95:,.0f} ms, "
          f"max {max(latencies):,.0f} ms ({len(latencies)} requests)")  # fmt: skip


# ---------------------------------------------------------------- the week offline


def catch_up(app: Any, templates: list[Template], invoices: int) -> None:
    """Append `invoices` sale changesets to the real shop's outbox, then time its own push."""
    with app.app_context():
        at = utcnow()
        first = 100_000  # ids past the shop's own records
        rows = []
        for i in range(first, first + invoices):
            records = templates[1 if i % 5 == 0 else 0].render(i)
            payload = '{"records":' + records + "}"
            rows.append({"created_at": at, "payload": payload, "size": payload.count('"kind"')})
        db.session.execute(
            text(
                "INSERT INTO sync_outbox (created_at, payload, size) "
                "VALUES (:created_at, :payload, :size)"
            ),
            rows,
        )  # fmt: skip
        db.session.commit()
        waiting = hq_client.status(db.session).waiting_changesets
        t0 = time.perf_counter()
        result = hq_client.push(db.session)
        wall = time.perf_counter() - t0
        db.session.remove()
    print(f"one shop back from a week offline: {waiting} changesets ({invoices} sales) "
          f"caught up in {wall:.1f} s ({result.requests} requests, "
          f"{invoices / wall:,.0f} invoices/s)")  # fmt: skip


def phases(app: Any, templates: list[Template], reps: int = 5) -> None:
    """Where one push of 200 sales goes at HQ, in this process (no HTTP): the JSON parse as
    the API does it, the checks (`parse_push` as the route calls it for a clean text, and the
    long way, walking every value), the store (`ingest`); medians of `reps`."""
    times: dict[str, list[float]] = {
        "parse JSON": [],
        "check": [],
        "(the long way": [],
        "store": [],
    }
    with app.app_context():
        for _rep in range(reps):
            shop_id = hq.create_shop(db.session, "Phases", None).shop.id
            body = bodies_of(shop_id, templates, BATCH)[0]
            t0 = time.perf_counter()
            parsed = app.json.loads(body)
            t1 = time.perf_counter()
            push = hq.parse_push(parsed, scalars_checked=True)
            t2 = time.perf_counter()
            hq.parse_push(parsed)
            t3 = time.perf_counter()
            hq.ingest(db.session, shop_id, push)
            t4 = time.perf_counter()
            for name, took in zip(times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                times[name].append(took * 1000)
        db.session.remove()
    shown = ", ".join(f"{name} {statistics.median(ms):.0f} ms" for name, ms in times.items())
    shown = shown.replace(", store", "), store")
    print(f"one push of {BATCH} sales at HQ, in-process: {shown}")


def count_invoices(app: Any) -> int:
    with app.app_context():
        found = db.session.execute(
            text("SELECT count(*) FROM hq_records WHERE kind = 'invoice'")
        ).scalar_one()
        db.session.remove()
        return int(found)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url")
    parser.add_argument("--shops", type=int, default=50)
    parser.add_argument("--invoices", type=int, default=2000)
    parser.add_argument("--catch-up", type=int, default=14_000)
    parser.add_argument("--threads", type=int, default=16, help="HQ's waitress threads")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()

    database = Database(database_url(args.database_url))
    tmp = Path(tempfile.mkdtemp(prefix="tbbench_hq_"))
    proc = None
    try:
        app = hq_app(tmp / "hq", database.url)
        with app.app_context():
            users.create_first_admin(db.session, "owner", PASSWORD, PASSWORD, shop_name="HQ")
            code = hq.create_shop(db.session, "The real shop", None).code
            db.session.remove()
        proc, hq_url = start_hq(tmp / "hq", database.url, args.threads)
        print(f"HQ: {hq_url} (waitress, {args.threads} threads) on PostgreSQL; "
              f"{os.cpu_count()} CPUs; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
              flush=True)  # fmt: skip
        shop_app, records = real_shop(tmp / "shop", hq_url, code)
        templates = [Template(r) for r in records]
        print(f"templates: a cash sale {len(records[0])} records, a credit sale {len(records[1])} "
              f"({len(changeset_json(templates, 1, 1, 'x'))} bytes)", flush=True)  # fmt: skip
        shops = enrol_simulated(app, hq_url, args.shops)
        before = count_invoices(app)
        day_of_shops(hq_url, shops, templates, args.invoices)
        stored = count_invoices(app) - before
        assert stored == args.shops * args.invoices, (stored, args.shops * args.invoices)
        if args.catch_up:
            before = count_invoices(app)
            catch_up(shop_app, templates, args.catch_up)
            assert count_invoices(app) - before == args.catch_up
        print(f"HQ holds {count_invoices(app):,} invoices, each once.")
        phases(app, templates)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=60)
        if not args.keep:
            database.drop()


if __name__ == "__main__":
    main()
