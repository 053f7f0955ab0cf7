"""Real processes for the HQ proof: HQ (`app.py hq serve` on PostgreSQL), shops (`app.py serve`,
each on its own SQLite file), the one-shot `app.py hq push`, and what the tests read of each.

A shop is set up in this process before its server starts (users, products, a customer, an
API token, enrolment at HQ through the link proxy); afterwards it is only reached over HTTP:
sales through its JSON API (a cashier's bearer token), "Sync now" through its Admin -> HQ page
(an admin's session cookie and CSRF token, as a browser). What each side holds is read from
its database directly: the shop's SQLite file, HQ's PostgreSQL database.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from posapp.extensions import db
from posapp.models import User
from posapp.money import money_str, parse_money
from posapp.services import hq, hq_client, sync_outbox, users
from tests.conftest import build_app
from tests.factories import PASSWORD, make_customer, make_product

REPO = Path(__file__).resolve().parents[1]
START_SECONDS = 90  # bounded: a process that never starts fails the test instead of hanging
SERVING = re.compile(r"(http://127\.0\.0\.1:(\d+))/")

TOTALS_ALL = (
    "SELECT count(*), coalesce(sum((payload->>'total')::bigint), 0), "
    "coalesce(sum((payload->>'paid')::bigint), 0) FROM hq_records WHERE kind = 'invoice'"
)
# Each synced kind and the shop table its records come from (payments: those on account only;
# a till payment travels inside its invoice).
# Every synced kind and its table, as the shop's outbox knows them (a new kind is compared too).
SHOP_TABLES = {kind: source.name for kind, source in sync_outbox._TABLE_OF_KIND.items()}


def child_env(database_url: str | None = None) -> dict[str, str]:
    """The environment of a child process: a shop never sees a DATABASE_URL, HQ gets its own."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PYTHONUNBUFFERED"] = "1"
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return env


class Process:
    """`python app.py ARGS` as a child; waits for its "serving at" line (unless one-shot)."""

    def __init__(self, args: list[str], env: dict[str, str], *, serving: bool = True) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "app.py"), *args],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.output: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        assert self.process.stdout is not None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = ""
        self.port = 0
        if serving:
            self._wait_for_url()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def _wait_for_url(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while True:
            line = self._lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line is None:
                raise AssertionError("the process ended before serving:\n" + self.log())
            found = SERVING.search(line)
            if found:
                self.url, self.port = found.group(1), int(found.group(2))
                return

    def log(self) -> str:
        """Everything the process printed so far."""
        return "".join(self.output)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when the power goes."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._close_output()

    def _close_output(self) -> None:
        self._reader.join(timeout=30)  # the pipe ends with the process
        if self.process.stdout is not None:
            self.process.stdout.close()

    def stop(self) -> None:
        """Stop the shop's server gracefully, if it runs."""
        """The graceful stop (SIGTERM), as a service manager does."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        self._close_output()

    def wait(self, timeout: float = 120) -> int:
        """Wait for a one-shot command; its exit code."""
        code = self.process.wait(timeout=timeout)
        self._close_output()
        return code


def start_hq(data_dir: Path, database_url: str) -> Process:
    """`app.py --data-dir D hq serve --port 0` with DATABASE_URL on PostgreSQL."""
    args = ["--data-dir", str(data_dir), "hq", "serve", "--host", "127.0.0.1", "--port", "0"]
    return Process(args, child_env(database_url))


def start_shop(data_dir: Path) -> Process:
    """`app.py --data-dir D serve --port 0`: the shop's server, with its HQ push thread."""
    return Process(["--data-dir", str(data_dir), "serve", "--port", "0"], child_env())


def push_once(data_dir: Path) -> Process:
    """`app.py --data-dir D hq push`: one push of everything waiting, as its own process."""
    return Process(["--data-dir", str(data_dir), "hq", "push"], child_env(), serving=False)


def wait_until(check: Callable[[], bool], what: str, seconds: float = 90) -> None:
    """Poll until `check()` holds; fail saying `what` did not happen (a bound, not a timing)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still not so after {seconds:.0f} s")
        time.sleep(0.2)


# ---------------------------------------------------------------- HQ


class HqSide:
    """HQ's database (fresh, migrated, on PostgreSQL) and the in-process app used to add shops."""

    def __init__(self, data_dir: Path, database_url: str) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.app = build_app(data_dir, HQ_MODE=True, SQLALCHEMY_DATABASE_URI=database_url)
        with self.app.app_context():
            # HQ's owner: until an admin exists every request is sent to the first-run page.
            users.create_first_admin(db.session, "owner", PASSWORD, PASSWORD, shop_name="HQ")
            db.session.remove()
        self.engine: Engine = create_engine(database_url)
        self.process: Process | None = None

    def start(self) -> Process:
        """Start HQ's process (again, after a kill: on a new port)."""
        self.process = start_hq(self.data_dir, self.database_url)
        return self.process

    def new_code(self, name: str) -> str:
        """Add a shop at HQ (as the owner's "Add a shop" does); its one-time code."""
        with self.app.app_context():
            made = hq.create_shop(db.session, name, None)
            db.session.remove()
            return made.code

    def acked(self, shop_id: str) -> int:
        """The highest contiguous seq HQ holds of the shop."""
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    text("SELECT acked_seq FROM hq_shops WHERE id = :s"), {"s": shop_id}
                ).scalar_one()
            )

    def clock_skew(self, shop_id: str) -> int | None:
        """The shop's clock against HQ's at its last push, in seconds (as HQ recorded it)."""
        with self.engine.connect() as conn:
            return conn.execute(
                text("SELECT shop_clock_skew_seconds FROM hq_shops WHERE id = :s"),
                {"s": shop_id},
            ).scalar_one()

    def ids(self, shop_id: str) -> dict[str, set[str]]:
        """Every record HQ holds of a shop: the record ids per kind."""
        found: dict[str, set[str]] = {kind: set() for kind in SHOP_TABLES}
        with self.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT kind, record_id FROM hq_records WHERE shop_id = :s"), {"s": shop_id}
            )
            for kind, record_id in rows:
                found.setdefault(kind, set()).add(record_id)
        return found

    def invoices(self, shop_id: str) -> dict[str, tuple[int, int, str]]:
        """Each invoice HQ holds of a shop: (total, paid, status) by its id."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT record_id, (payload->>'total')::bigint, (payload->>'paid')::bigint, "
                    "payload->>'status' FROM hq_records WHERE shop_id = :s AND kind = 'invoice'"
                ),
                {"s": shop_id},
            )
            return {r[0]: (int(r[1]), int(r[2]), str(r[3])) for r in rows}

    def totals(self, shop_id: str | None) -> dict[str, int]:
        """HQ's sales totals in SQL over the JSONB payloads: one shop, or all shops (None)."""
        query = TOTALS_ALL if shop_id is None else TOTALS_ALL + " AND shop_id = :s"
        with self.engine.connect() as conn:
            row = conn.execute(text(query), {"s": shop_id}).one()
        return {"bills": int(row[0]), "total": int(row[1]), "paid": int(row[2])}

    def snapshot(self, shop_id: str) -> dict[tuple[str, str], tuple[int, Any, Any]]:
        """Every record of a shop as stored: (seq, payload, received_at) by (kind, id)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT kind, record_id, seq, payload, received_at FROM hq_records "
                    "WHERE shop_id = :s"
                ),
                {"s": shop_id},
            )
            return {(r[0], r[1]): (int(r[2]), r[3], r[4]) for r in rows}

    def payload(self, shop_id: str, kind: str, record_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            found = conn.execute(
                text(
                    "SELECT payload FROM hq_records "
                    "WHERE shop_id = :s AND kind = :k AND record_id = :i"
                ),
                {"s": shop_id, "k": kind, "i": record_id},
            ).scalar()
        return dict(found) if found is not None else None

    def close(self) -> None:
        """Stop HQ's process and close this side's connections."""
        if self.process is not None:
            self.process.stop()
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        self.engine.dispose()


# ---------------------------------------------------------------- a shop


@dataclass
class Shop:
    """A shop's data dir, what the tests use to reach it, and its server when running."""

    name: str
    data_dir: Path
    token: str = ""  # a cashier's API token
    products: list[int] = field(default_factory=list)
    customer_id: int = 0
    cart_total = ""  # what the fixed cart costs (UPI and credit bills)
    shop_id: str = ""
    process: Process | None = None

    @property
    def url(self) -> str:
        """The shop server's base URL."""
        assert self.process is not None, "the shop's server is not running"
        return self.process.url

    def start(self) -> Process:
        """Start the shop's server (its push thread starts with it when enrolled)."""
        self.process = start_shop(self.data_dir)
        return self.process

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def kill(self) -> None:
        """SIGKILL the shop's server."""
        assert self.process is not None
        self.process.kill()
        self.process = None

    # -- setup, in this process, before the server runs

    def set_up(self, sales: int = 0) -> None:
        """Users, three products, a customer with credit, a cashier's token; `sales` sales."""
        from posapp.services import checkout

        self.data_dir.mkdir(parents=True, exist_ok=True)
        app = build_app(self.data_dir)
        with app.app_context():
            owner = users.create_first_admin(
                db.session, "owner", PASSWORD, PASSWORD, shop_name=self.name
            )
            cashier = users.create_user(db.session, "cash1", PASSWORD, "cashier")
            plenty = "100000"  # far more than any test sells
            made = [
                make_product(
                    db.session,
                    owner.id,
                    name="Atta 5kg",
                    price="245.50",
                    tax_rate="5",
                    opening_stock=plenty,
                ),
                make_product(
                    db.session,
                    owner.id,
                    name="Loose rice",
                    price="62.35",
                    unit="kg",
                    opening_stock=plenty,
                ),
                make_product(
                    db.session,
                    owner.id,
                    name="Soap",
                    price="38.00",
                    tax_rate="18",
                    opening_stock=plenty,
                ),
            ]
            self.products = [product.id for product in made]
            self.customer_id = make_customer(
                db.session, owner, name="Sunita Devi", credit_limit="100000"
            ).id
            self.token = users.issue_token(db.session, cashier)
            # The bills paid by UPI or on credit are one fixed cart, priced here once.
            priced = checkout.preview(db.session, checkout.parse_checkout({"items": self.cart}))
            self.cart_total = money_str(priced.priced.total)
            db.session.remove()
            db.engine.dispose()
        if sales:
            self.sell_here(sales)

    def sell_here(self, count: int, give_back: bool = False) -> list[int]:
        """`count` cash sales in this process (the server stopped); with `give_back`, one unit of
        the first is then returned (a later version of that invoice). The invoice ids."""
        from posapp.services import checkout, returns

        app = build_app(self.data_dir)
        with app.app_context():
            cashier = db.session.query(User).filter_by(username="cash1").one()
            sold = []
            for i in range(count):
                body = {"items": self.items(i)}
                sold.append(checkout.checkout(db.session, checkout.parse_checkout(body), cashier))
            ids = [invoice.id for invoice in sold]
            if give_back:
                line = sold[0].lines[0]
                returns.create_return(
                    db.session,
                    ids[0],
                    {
                        "lines": [{"line_id": line.id, "quantity": "1"}],
                        "refund_method": "cash",
                        "restock": True,
                    },
                    cashier,
                )
            db.session.remove()
            db.engine.dispose()
        return ids

    def enrol(self, hq_url: str, code: str) -> None:
        """Enrol at HQ (the Admin -> HQ form's service), which writes the backfill."""
        app = build_app(self.data_dir)
        with app.app_context():
            owner = db.session.query(User).filter_by(username="owner").one()
            self.shop_id = hq_client.enrol(db.session, hq_url, code, owner.id, "proof").shop_id
            db.session.remove()
            db.engine.dispose()

    @property
    def cart(self) -> list[dict[str, Any]]:
        """The fixed cart of the UPI and credit bills."""
        return [
            {"product_id": self.products[0], "quantity": 2},
            {"product_id": self.products[1], "quantity": "1.375"},
        ]

    def items(self, i: int) -> list[dict[str, Any]]:
        """A bill's lines, varying with i (some loose quantities: thousandths)."""
        lines: list[dict[str, Any]] = [
            {"product_id": self.products[0], "quantity": 1 + i % 3},
            {"product_id": self.products[1], "quantity": f"0.{125 + i % 700:03d}"},
        ]
        if i % 4 == 0:
            lines.append({"product_id": self.products[2], "quantity": 2, "discount": "1.50"})
        return lines

    # -- over HTTP, once the server runs

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """One JSON API call as the cashier."""
        return http_json(self.url, method, path, body, {"Authorization": f"Bearer {self.token}"})

    def sell(self, count: int, start: int = 0) -> list[dict[str, Any]]:
        """`count` sales through the API: cash, UPI, part UPI and part on credit; the invoices."""
        sold = []
        for i in range(start, start + count):
            body: dict[str, Any] = {"items": self.items(i)}
            if i % 5 == 1:
                body = {
                    "items": self.cart,
                    "customer_id": self.customer_id,
                    "payments": [
                        {"method": "upi", "amount": "50.00"},
                        {"method": "credit", "amount": _minus(self.cart_total, "50.00")},
                    ],
                }
            elif i % 5 == 2:
                body = {
                    "items": self.cart,
                    "payments": [{"method": "upi", "amount": self.cart_total}],
                }
            status, answer = self.api("POST", "/api/v1/invoice/create", body)
            assert status == 201, answer
            sold.append(answer)
        return sold

    def pay_on_account(self, amount: str) -> None:
        """The customer pays `amount` in cash on account (a payment and a ledger entry)."""
        status, answer = self.api(
            "POST",
            f"/api/v1/customers/{self.customer_id}/payments",
            {"amount": amount, "method": "cash"},
        )
        assert status in (200, 201), answer

    def give_back(self, invoice: dict[str, Any]) -> None:
        """Return one unit of the invoice's first line, cash refunded, restocked."""
        line = invoice["lines"][0]
        status, answer = self.api(
            "POST",
            f"/api/v1/invoice/{invoice['id']}/return",
            {
                "lines": [{"line_id": line["id"], "quantity": "1"}],
                "refund_method": "cash",
                "restock": True,
            },
        )
        assert status in (200, 201), answer

    def admin(self) -> WebAdmin:
        """The shop's admin, logged in through the web form."""
        return WebAdmin(self.url)

    # -- the shop's own figures, from its SQLite file

    def engine(self) -> Engine:
        """An engine on the shop's SQLite file (read beside the running server)."""
        return create_engine(f"sqlite:///{(self.data_dir / 'tillbook.db').as_posix()}")

    def read(self, reader: Callable[[Any], Any]) -> Any:
        """Run `reader(connection)` on the shop's database and close it."""
        engine = self.engine()
        try:
            with engine.connect() as conn:
                return reader(conn)
        finally:
            engine.dispose()

    def ids(self) -> dict[str, set[str]]:
        """The shop's own records: the ids per synced kind."""

        def reader(conn: Any) -> dict[str, set[str]]:
            found = {}
            for kind, name in SHOP_TABLES.items():
                where = " WHERE invoice_id IS NULL" if kind == "payment" else ""
                rows = conn.execute(text(f"SELECT id FROM {name}{where}"))  # noqa: S608
                found[kind] = {str(r[0]) for r in rows}
            return found

        result: dict[str, set[str]] = self.read(reader)
        return result

    def invoices(self) -> dict[str, tuple[int, int, str]]:
        """Each of the shop's invoices: (total, paid, status) by its id."""
        rows = self.read(
            lambda c: c.execute(text("SELECT id, total, paid, status FROM invoices")).all()
        )
        return {str(r[0]): (int(r[1]), int(r[2]), str(r[3])) for r in rows}

    def totals(self) -> dict[str, int]:
        """The shop's own sales totals: bills, total and paid (paise)."""
        row = self.read(
            lambda c: c.execute(
                text(
                    "SELECT count(*), coalesce(sum(total), 0), coalesce(sum(paid), 0) FROM invoices"
                )
            ).one()
        )
        return {"bills": int(row[0]), "total": int(row[1]), "paid": int(row[2])}

    def last_seq(self) -> int:
        """The shop's newest outbox number (0: none)."""
        return int(
            self.read(lambda c: c.execute(text("SELECT max(seq) FROM sync_outbox")).scalar()) or 0
        )

    def stored_ack(self) -> int:
        """The ack the shop stored (what it believes HQ holds)."""
        value = self.read(
            lambda c: c.execute(
                text("SELECT value FROM settings WHERE key = 'hq_acked_seq'")
            ).scalar()
        )
        return int(value or 0)

    def credential(self) -> str:
        """The shop's HQ credential, as stored at enrolment."""
        found = self.read(
            lambda c: c.execute(
                text("SELECT value FROM settings WHERE key = 'hq_credential'")
            ).scalar()
        )
        return str(found)

    def outbox(self) -> list[dict[str, Any]]:
        """The changesets as the push sends them: {"seq", "at", "records"} in seq order."""
        rows = self.read(
            lambda c: c.execute(
                text("SELECT seq, created_at, payload FROM sync_outbox ORDER BY seq")
            ).all()
        )
        return [
            {
                "seq": int(seq),
                "at": str(created_at).replace(" ", "T") + "Z",
                "records": json.loads(payload)["records"],
            }
            for seq, created_at, payload in rows
        ]


def _minus(total: str, part: str) -> str:
    return money_str(parse_money(total) - parse_money(part))


def http_json(
    base: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """One JSON request; (status, parsed body)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        with exc:
            raw = exc.read()
        return exc.code, json.loads(raw) if raw else None


class WebAdmin:
    """The shop's admin in a browser: the session cookie and CSRF token of the real login form."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        token = self._csrf(self._get("/login"))
        self._post("/login", {"username": "owner", "password": PASSWORD, "csrf_token": token})

    def _get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            return str(response.read().decode("utf-8"))

    def _post(self, path: str, form: dict[str, str]) -> str:
        data = urllib.parse.urlencode(form).encode()
        with self.opener.open(self.base + path, data=data, timeout=120) as response:
            return str(response.read().decode("utf-8"))

    @staticmethod
    def _csrf(page: str) -> str:
        found = re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert found, "no CSRF token on the page"
        return found.group(1)

    @staticmethod
    def _last_attempt(page: str) -> str:
        found = re.search(r'data-hq-last-attempt="([^"]*)"', page)
        assert found, "no last attempt on the HQ page"
        return found.group(1)

    def sync_now(self, *, ok: bool = False) -> str:
        """Press Admin -> HQ's "Sync now", then read the page until a push has ended after the
        press (the shop's push thread runs it; the page answered at once): the page then says
        how it went ("The last sync failed: ..." or no error).

        `ok`: the link is known good again, so a failure can only be a push that began before
        the press (the thread's own retry): press again, as a person would, a few times.
        """
        for _press in range(5):
            page = self._get("/hq-link/")
            before = self._last_attempt(page)
            answer = self._post("/hq-link/sync", {"csrf_token": self._csrf(page)})
            assert any(word in answer for word in ("Sync started", "Synced", "Not synced")), answer
            deadline = time.monotonic() + 120
            while self._last_attempt(page) == before:
                if time.monotonic() > deadline:
                    raise AssertionError("Sync now: no push ended within 120 s")
                time.sleep(0.2)
                page = self._get("/hq-link/")
            if not ok or "data-hq-error" not in page:
                return page
        return page
