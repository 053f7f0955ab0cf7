"""Walk every route in url_map with hostile values for every parameter: no answer may be a 5xx.

The walk runs as the admin and as a cashier (web pages, cookie session) and as an API bearer
user (routes under /api). Each route is first called once with nothing, then once with every
known parameter name filled, and the request records which query and form names the view
actually read; each name read is then sent alone with every hostile value. Path parameters get
a real id or key, and hostile strings where the rule takes a string. API writes also get JSON
bodies: every known field at once, non-string values where text is expected, and nesting far
deeper than any document. Every 5xx is collected and the test fails listing them all.

A few routes are left out because their purpose is to act on the machine itself (restore a
backup, take one, write files to a folder, drive a printer port) or to end the walking session;
their own tests cover their input rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import pytest
from flask import Flask, Request
from flask.testing import FlaskClient
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import Rule

from posapp.extensions import db
from posapp.services import checkout
from tests.conftest import build_app
from tests.factories import PASSWORD, make_customer, make_product, make_user

pytestmark = pytest.mark.sqlite_only("one walk is enough; it takes tens of seconds")

HOSTILE: list[str] = [
    "-1",
    "0",
    str(2**64),
    "-" + "9" * 30,
    "0001-01-01",
    "9999-12-31",
    "x" * 60_000,
    "a\x00b",
    "\u00b2",  # superscript two: isdigit() but not int()
    "\u0968.\u096b",  # Devanagari 2.5
    "1e3",
    "2,5",
    "%",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
]
# Sent alone in each name a view reads: the values that found 500s.
SINGLES: list[Any] = [str(2**64), "0001-01-01", "9999-12-31", "x" * 60_000, "\u00b2", ["1", "2"]]
SHORT: list[Any] = [str(2**64), "x" * 60_000]
# Views that hash a password or render a PDF per request (a second or so on a busy machine).
SLOW = {
    "auth.change_password",
    "auth.login",
    "auth.setup",
    "api.login",
    "users.create",
    "users.reset_password",
    "invoices.pdf",
    "api.invoice_pdf",
    "api.credit_note_pdf",
    "customers.statement",
    "customers.payment_pdf",
    "cash.z_report_pdf",
    "products.label",
    "products.label_sheet",
}
# Names a view may read from the query string or a form; the recording request finds which.
PARAM_NAMES = [
    "page",
    "per_page",
    "q",
    "from",
    "to",
    "format",
    "ids",
    "id",
    "cashier",
    "user",
    "sort",
    "order",
    "status",
    "method",
    "name",
    "price",
    "quantity",
    "qty",
    "code",
    "unit",
    "tax_rate",
    "category",
    "customer",
    "customer_id",
    "product_id",
    "amount",
    "delta",
    "reason",
    "note",
    "next",
    "days",
    "limit",
    "kind",
    "range",
    "date",
    "start",
    "end",
    "open_float",
    "counted",
    "minutes",
    "role",
    "active",
    "password",
    "username",
    "invoice_prefix",
    "prefix",
    "folder",
    "table",
]
JSON_FIELDS = [
    "name",
    "code",
    "price",
    "cost",
    "mrp",
    "tax_rate",
    "unit",
    "category",
    "opening_stock",
    "hsn",
    "phone",
    "email",
    "address",
    "credit_limit",
    "amount",
    "method",
    "note",
    "delta",
    "reason",
    "items",
    "payments",
    "discount",
    "customer_id",
    "product_id",
    "quantity",
    "username",
    "password",
    "archived",
    "key",
    "lines",
]
SKIPPED = {
    "auth.logout",  # ends the walking session
    "api.logout",  # end the walking bearer token
    "api.refresh",
    "backups.restore",  # swaps the database
    "backups.backup_now",  # writes a whole backup per call
    "backups.start_job",
    "backups.offsite",  # copies backups to a folder
    "exports.to_folder",  # writes files to a folder
    "exports.all_zip",  # zips every table per call
    "settings.save_printer",  # a hostile port would make the print tests below wait
    "settings.test_print",
    "cash.open_drawer",
    "static",
}


class Reads:
    """The query and form names the current view read."""

    names: ClassVar[set[str]] = set()


class RecordingDict(ImmutableMultiDict):  # type: ignore[type-arg]
    """An args/form dict that notes every name a view asks for."""

    def __getitem__(self, key: Any) -> Any:
        Reads.names.add(str(key))
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:
        Reads.names.add(str(key))
        return super().get(key, default, type)

    def getlist(self, key: Any, type: Any = None) -> Any:
        Reads.names.add(str(key))
        return super().getlist(key, type)

    def __contains__(self, key: object) -> bool:
        Reads.names.add(str(key))
        return super().__contains__(key)


class RecordingRequest(Request):
    """The app's request with recording args and form."""

    parameter_storage_class = RecordingDict


class Walk:
    """The shop, its three callers and the 5xx found."""

    def __init__(self, app: Flask, ids: dict[str, str]) -> None:
        self.app = app
        self.ids = ids
        self.failures: list[str] = []
        self.sent = 0

    def send(self, client: FlaskClient, method: str, url: str, who: str, **kwargs: Any) -> set[str]:
        """Send one request; note a 5xx; answer the names the view read."""
        Reads.names = set()
        self.sent += 1
        response = client.open(url, method=method, **kwargs)
        if response.status_code >= 500:
            shown = {k: (v if len(str(v)) < 80 else f"{str(v)[:40]}...") for k, v in kwargs.items()}
            self.failures.append(f"{response.status_code} {who} {method} {url[:120]} {shown}")
        response.close()
        return set(Reads.names)


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    data_dir: Path = tmp_path_factory.mktemp("walk") / "data"
    data_dir.mkdir()
    app = build_app(data_dir, WTF_CSRF_ENABLED=False, API_CHECK_RESPONSES=False)
    app.request_class = RecordingRequest
    with app.app_context():
        owner = make_user(db.session, "owner", "admin")
        make_user(db.session, "till", "cashier")
        make_user(db.session, "victim", "cashier")
        make_user(db.session, "script", "admin")  # the API caller: the web walk revokes owner's
        product = make_product(db.session, owner.id, name="Tea", stock="1000")
        make_product(db.session, owner.id, name="Rice", unit="kg", opening_stock="50")
        customer = make_customer(db.session, owner, credit_limit="1000.00")
        invoice = checkout.checkout(
            db.session,
            checkout.parse_checkout(
                {"items": [{"product_id": product.id, "quantity": 1}], "customer_id": customer.id}
            ),
            owner,
        )
        ids = {"invoice_key": str(invoice.number), "victim": "3"}
        db.session.remove()
    yield Walk(app, ids)
    with app.app_context():
        db.engine.dispose()


def _login(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def _bearer(app: Flask) -> dict[str, str]:
    response = app.test_client().post(
        "/api/auth/login", json={"username": "script", "password": PASSWORD}
    )
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def _paths(rule: Rule, walk: Walk) -> tuple[list[str], list[str]]:
    """URLs for a rule: with real ids and keys, and with a hostile value in one parameter."""
    real: dict[str, str] = {}
    for name in rule.arguments:
        if name == "user_id":
            real[name] = walk.ids["victim"]  # never the walking users themselves
        elif _is_id(rule, name):
            real[name] = "1"
        elif name == "key":
            real[name] = walk.ids["invoice_key"]
        else:
            real[name] = "products"  # a table to export; elsewhere simply an unknown name

    def build(values: dict[str, str]) -> str:
        url = rule.rule
        for name, value in values.items():
            url = url.replace(f"<{_spec(rule, name)}>", value)
        return url

    reals = [build(real)]
    if rule.endpoint == "reports.show":
        # A ranged report and the movements report: each reads its own filters.
        reals = [build({"name": "sales-by-day"}), build({"name": "movements"})]
    hostile = []
    for name in rule.arguments:
        values = [str(2**64)] if _is_id(rule, name) else HOSTILE
        hostile += [build({**real, name: quote(value[:2000], safe="")}) for value in values]
    return reals, hostile


def _is_id(rule: Rule, name: str) -> bool:
    return type(rule._converters[name]).__name__ == "IdConverter"


def _spec(rule: Rule, name: str) -> str:
    """The placeholder text of a parameter in the rule ("int:product_id" or "key")."""
    for part in rule.rule.split("<")[1:]:
        inner = part.split(">")[0]
        if inner.split(":")[-1] == name:
            return inner
    raise AssertionError(name)


def _walk_rule(walk: Walk, client: FlaskClient, rule: Rule, method: str, who: str,
               headers: dict[str, str]) -> None:  # fmt: skip
    api = rule.rule.startswith("/api")
    send_args = "query_string" if method == "GET" else "data"
    reals, hostile = _paths(rule, walk)
    for url in hostile:
        walk.send(client, method, url, who, headers=headers)
    for url in reals:
        read = walk.send(client, method, url, who, headers=headers)
        everything = {name: "1" for name in PARAM_NAMES}
        read |= walk.send(client, method, url, who, headers=headers, **{send_args: everything})
        # Each value in every name at once, then the values that broke views alone per name
        # (one name's 422 can hide another's 500; every value in every name alone is too slow).
        slow = rule.endpoint in SLOW
        for value in SHORT if slow else HOSTILE:
            walk.send(client, method, url, who, headers=headers,
                      **{send_args: dict.fromkeys(read, value)})  # fmt: skip
        singles = SHORT if slow else SINGLES
        for name in sorted(read):
            for value in singles:
                walk.send(client, method, url, who, headers=headers, **{send_args: {name: value}})
        if api and method in {"POST", "PUT"}:
            for value in [*HOSTILE, 2**64, -(2**64), ["a", "b"], {"a": 1}, None, True]:
                body = {name: value for name in JSON_FIELDS}
                walk.send(client, method, url, who, headers=headers, json=body)
            deep = "[" * 100_000 + "]" * 100_000
            walk.send(client, method, url, who, headers={**headers, "Content-Type":
                      "application/json"}, data=deep)  # fmt: skip
            walk.send(client, method, url, who, headers=headers, json={"name": ["a", "b"]})
        if not api and method == "POST":
            # The till's own JSON calls (price preview, held bills) read a JSON body.
            walk.send(client, method, url, who, headers=headers, json={"items": [{"x": [1]}]})


def test_no_route_answers_5xx_to_hostile_input(walk: Walk) -> None:
    app = walk.app
    admin = _login(app, "owner")
    cashier = _login(app, "till")
    bearer = _bearer(app)
    api_client = app.test_client()
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
    for rule in rules:
        if rule.endpoint in SKIPPED:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            import time

            t0 = time.perf_counter()
            n0 = walk.sent
            if rule.rule.startswith("/api"):
                _walk_rule(walk, api_client, rule, method, "api", bearer)
            else:
                _walk_rule(walk, admin, rule, method, "admin", {})
                _walk_rule(walk, cashier, rule, method, "cashier", {})
            print("TIME", round(time.perf_counter() - t0, 2), walk.sent - n0, method, rule.rule)
    print(f"route walk: {walk.sent} requests, {len(walk.failures)} answered 5xx")
    for failure in walk.failures:
        print(failure)
    assert not walk.failures, "\n".join(walk.failures)
