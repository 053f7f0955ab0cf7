"""Shared customers, the shop's side: the customer page's "Due at all shops" asks HQ.

A real HQ app answers in-process (an Opener hands each request to its test client): the
shop enrols and pushes its khata, another shop's khata is pushed straight to HQ, and the
customer's due at all shops is their sum once the owner shares customers; not enrolled,
sharing off, HQ away or an answer HQ never gives: no figure, and the page still shows the
shop's own due.
"""

from __future__ import annotations

import io
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import Customer, User
from posapp.money import money_str
from posapp.services import checkout, hq, hq_client, hq_customers, hq_reports, users
from tests.conftest import build_app
from tests.factories import PASSWORD, make_customer, make_product
from tests.web.helpers import login

pytestmark = pytest.mark.one_backend("the shop side: a shop sells on its own SQLite file")

PHONE = "919876543210"


class _Answer:
    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self._body = body

    def read(self) -> bytes:
        return self._body

    def close(self) -> None:
        return None


class ToHq:
    """An Opener that hands each request to the HQ app's test client (or fails, when down)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.down = False
        self.body: bytes | None = None  # an answer to give instead of HQ's own
        self.timeouts: list[float] = []

    def open(self, request: urllib.request.Request, data: None = None, timeout: float = 0) -> Any:
        self.timeouts.append(timeout)
        if self.down:
            raise urllib.error.URLError("connection refused")
        if self.body is not None:
            return _Answer(200, self.body)
        parts = urllib.parse.urlsplit(request.full_url)
        with self.app.test_client() as client:
            answer = client.open(
                parts.path + (f"?{parts.query}" if parts.query else ""),
                method=request.get_method(),
                data=request.data,
                headers=dict(request.header_items()),
            )
        if answer.status_code >= 400:
            raise urllib.error.HTTPError(
                request.full_url,
                answer.status_code,
                "",
                {},
                io.BytesIO(answer.data),  # type: ignore[arg-type]
            )
        return _Answer(answer.status_code, answer.data)


@pytest.fixture
def hq_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    folder = tmp_path / "hq"
    folder.mkdir()
    application = build_app(folder, HQ_MODE=True)
    with application.app_context():
        users.create_user(db.session, "owner", PASSWORD, "admin")
        db.session.remove()
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    folder = tmp_path / "shop"
    folder.mkdir()
    application = build_app(folder, WTF_CSRF_ENABLED=False)
    with application.app_context():
        owner = users.create_user(db.session, "owner", PASSWORD, "admin")
        make_product(db.session, owner.id, name="Atta", price="250.00")
        customer = make_customer(db.session, owner, name="Sunita", phone="9876543210")
        body: dict[str, Any] = {
            "items": [{"product_id": 1, "quantity": 1}],
            "customer_id": customer.id,
        }
        body["payments"] = [{"method": "credit", "amount": money_str(25000)}]
        checkout.checkout(db.session, checkout.parse_checkout(body), owner)
        db.session.remove()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _enrol(shop: Flask, hq_app: Flask, opener: ToHq) -> None:
    with hq_app.app_context():
        code = hq.create_shop(db.session, "Main Road", None).code
        db.session.remove()
    with shop.app_context():
        owner = db.session.scalar(select(User).where(User.username == "owner"))
        hq_client.enrol(db.session, "http://hq.test", code, owner.id, "test", opener=opener)
        hq_client.push(db.session, opener)
        db.session.remove()


def _other_shop_owes(hq_app: Flask, amount: int) -> None:
    """Another shop's khata for the same phone number, pushed straight to HQ."""
    with hq_app.app_context():
        made = hq.create_shop(db.session, "Station Road", None)
        body = {"code": made.code, "shop": {"name": "Station Road", "gstin": "", "version": ""}}
        other = hq.enrol(db.session, body, "HQ").shop_id
        records = [
            {"kind": "customer", "id": "1", "data": {"name": "Sunita", "phone_digits": PHONE}},
            {
                "kind": "ledger_entry",
                "id": "1",
                "data": {
                    "customer_id": "1",
                    "amount": amount,
                    "created_at": "2026-11-20T06:00:00Z",
                },
            },
        ]
        push = {"shop_id": other, "changesets": [{"seq": 1, "records": records}]}
        hq.ingest(db.session, other, hq.parse_push(push))
        db.session.remove()


def _share(hq_app: Flask, shared: bool) -> None:
    with hq_app.app_context():
        hq_reports.set_customers_shared(db.session, shared, None)
        db.session.remove()


def _ask(shop: Flask, opener: ToHq) -> hq_customers.SharedDue:
    with shop.app_context():
        try:
            return hq_customers.due_at_all_shops(db.session, PHONE, opener)
        finally:
            db.session.remove()


def test_a_shop_not_enrolled_never_asks(shop: Flask, hq_app: Flask) -> None:
    opener = ToHq(hq_app)
    assert _ask(shop, opener).state == "off"
    assert opener.timeouts == []
    with shop.app_context():
        client = shop.test_client()
        login(client, "owner")
        page = client.get("/customers/1").get_data(as_text=True)
        assert "data-balance" in page and "data-hq-due" not in page and "hq_due.js" not in page
        assert client.get("/customers/1/hq-due").get_json() == {
            "state": "off",
            "text": "",
            "shops": [],
        }
        db.session.remove()


def test_the_due_at_all_shops_is_the_sum_once_customers_are_shared(
    shop: Flask, hq_app: Flask
) -> None:
    opener = ToHq(hq_app)
    _enrol(shop, hq_app, opener)
    _other_shop_owes(hq_app, 12000)
    assert _ask(shop, opener).state == "off"  # the owner has not shared customers
    _share(hq_app, True)
    found = _ask(shop, opener)
    assert found.state == "shown"
    assert (found.due, found.shops) == (37000, [("Main Road", 25000), ("Station Road", 12000)])
    assert opener.timeouts[-1] == hq_customers.LOOKUP_SECONDS


def test_the_customer_page_fills_in_the_due_at_all_shops(
    shop: Flask, hq_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    opener = ToHq(hq_app)
    _enrol(shop, hq_app, opener)
    _share(hq_app, True)
    monkeypatch.setattr(hq_client, "default_opener", lambda: opener)
    with shop.app_context():
        customer_id = db.session.scalar(select(Customer.id))
        client = shop.test_client()
        login(client, "owner")
        page = client.get(f"/customers/{customer_id}").get_data(as_text=True)
        assert f'data-url="/customers/{customer_id}/hq-due"' in page and "hq_due.js" in page
        answer = client.get(f"/customers/{customer_id}/hq-due").get_json()
        assert answer["state"] == "shown"
        assert answer["text"].startswith("Due at all shops: ") and "250.00 (HQ, " in answer["text"]
        opener.down = True
        down = client.get(f"/customers/{customer_id}/hq-due").get_json()
        assert down == {"state": "unreachable", "text": "HQ not reachable", "shops": []}
        page = client.get(f"/customers/{customer_id}").get_data(as_text=True)
        assert "data-balance" in page  # the shop's own due, always
        assert client.get("/customers/999/hq-due").status_code == 404
        db.session.remove()


@pytest.mark.parametrize(
    "body",
    [
        b'{"due": "lots", "shops": []}',
        b'{"due": 5, "shops": [{"name": 3, "due": 5}]}',
        b'{"due": 5, "shops": [{"name": "A", "due": 1.5}]}',
        b'{"due": true, "shops": []}',
        b"[]",
        b"not json",
    ],
)
def test_an_answer_hq_never_gives_shows_nothing(shop: Flask, hq_app: Flask, body: bytes) -> None:
    opener = ToHq(hq_app)
    _enrol(shop, hq_app, opener)
    opener.body = body
    assert _ask(shop, opener).state == "unreachable"
