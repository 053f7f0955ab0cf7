"""Shops and their HQ end to end: two shops (each its own SQLite file) enrol at a real HQ served
by waitress (on the test's backend: PostgreSQL and MariaDB in CI), sell, return and take
payments, push while HQ is up and keep selling while it is down; HQ ends up holding every
record once, and its totals per shop equal each shop's own to the paisa.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import Customer, HqRecord, Invoice, Product, SyncOutbox, User
from posapp.money import money_str
from posapp.services import checkout, hq, hq_client, returns, users
from tests.conftest import LiveServer, build_app
from tests.factories import PASSWORD, make_customer, make_product


@pytest.fixture
def hq_server(data_dir: Path) -> Iterator[LiveServer]:
    """HQ: the app in HQ mode on the test's database, served by waitress on loopback."""
    application = build_app(data_dir, HQ_MODE=True)
    with application.app_context():
        users.create_user(db.session, "owner", PASSWORD, "admin")
    server = LiveServer(application).start()
    yield server
    server.stop()
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _shop(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """A shop: its own SQLite file whatever backend HQ runs on (shops sell offline)."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    folder = tmp_path / name
    folder.mkdir()
    return build_app(folder)


def _code(server: LiveServer, name: str) -> str:
    with server.app.app_context():
        made = hq.create_shop(db.session, name, None)
        return made.code


def _sell(app: Flask, bills: int, *, credit: bool = False) -> list[int]:
    """`bills` sales of two lines each; the last one on credit when asked. Invoice ids."""
    with app.app_context():
        cashier = db.session.scalar(select(User).where(User.username == "cash1"))
        products = list(db.session.scalars(select(Product).order_by(Product.id)))
        customer = db.session.scalar(select(Customer))
        ids = []
        for i in range(bills):
            on_credit = credit and i == bills - 1
            items = [
                {"product_id": products[0].id, "quantity": 1 + i % 3},
                {"product_id": products[1].id, "quantity": "0.250"},
            ]
            body: dict[str, Any] = {"items": items}
            if on_credit:
                body["customer_id"] = customer.id
                priced = checkout.preview(db.session, checkout.parse_checkout(body)).priced
                body["payments"] = [{"method": "credit", "amount": money_str(priced.total)}]
            invoice = checkout.checkout(db.session, checkout.parse_checkout(body), cashier)
            ids.append(invoice.id)
        return ids


def _set_up_shop(app: Flask) -> None:
    with app.app_context():
        owner = users.create_user(db.session, "owner", PASSWORD, "admin")
        users.create_user(db.session, "cash1", PASSWORD, "cashier")
        make_product(db.session, owner.id, name="Atta 5kg", price="245.50", tax_rate="5")
        make_product(db.session, owner.id, name="Loose rice", price="62.00", unit="kg")
        make_customer(db.session, owner, name="Sunita Devi", credit_limit="5000")


def _enrol(app: Flask, server: LiveServer, code: str) -> str:
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == "owner"))
        return hq_client.enrol(db.session, server.url, code, owner.id, "test").shop_id


def _push(app: Flask) -> hq_client.PushResult:
    with app.app_context():
        try:
            return hq_client.push(db.session)
        finally:
            db.session.remove()


def _shop_totals(app: Flask) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            select(func.count(), func.sum(Invoice.total), func.sum(Invoice.paid))
        ).one()
        return {"bills": rows[0], "total": int(rows[1] or 0), "paid": int(rows[2] or 0)}


def _hq_totals(server: LiveServer, shop_id: str | None) -> dict[str, int]:
    with server.app.app_context():
        query = select(HqRecord).where(HqRecord.kind == "invoice")
        if shop_id is not None:
            query = query.where(HqRecord.shop_id == shop_id)
        invoices = list(db.session.scalars(query))
        db.session.remove()
        return {
            "bills": len(invoices),
            "total": sum(int(r.payload["total"]) for r in invoices),
            "paid": sum(int(r.payload["paid"]) for r in invoices),
        }


def _invoice_as_held(app: Flask, invoice_id: int) -> dict[str, Any]:
    """The shop's own record of an invoice, as its outbox would send it now."""
    from posapp.services import sync_outbox

    with app.app_context():
        connection = db.session.connection()
        (record,) = [
            r
            for r in sync_outbox.serialize(connection, [("invoice", invoice_id)])
            if r["kind"] == "invoice"
        ]
        db.session.remove()
        return dict(record["data"])


def _waiting(app: Flask) -> int:
    with app.app_context():
        return hq_client.status(db.session).waiting_changesets


def test_two_shops_sell_through_an_outage_and_hq_holds_each_record_once(
    hq_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each shop trades before it knows HQ: the backfill at enrolment carries that history.
    first = _shop(tmp_path, "first", monkeypatch)
    second = _shop(tmp_path, "second", monkeypatch)
    for shop in (first, second):
        _set_up_shop(shop)
    _sell(first, 3, credit=True)
    first_id = _enrol(first, hq_server, _code(hq_server, "Sharma Kirana, Main Road"))
    second_id = _enrol(second, hq_server, _code(hq_server, "Sharma Kirana, Station Road"))
    assert first_id != second_id

    _sell(second, 4)
    assert _push(first).acked > 0 and _push(second).acked > 0
    assert _waiting(first) == _waiting(second) == 0

    # HQ goes away; both shops keep selling (and one returns goods): the outbox holds it all.
    port = int(hq_server.url.rsplit(":", 1)[1])
    hq_server.stop()
    sold = _sell(first, 5, credit=True)
    _sell(second, 2)
    with first.app_context():
        owner = db.session.scalar(select(User).where(User.username == "owner"))
        invoice = db.session.get(Invoice, sold[0])
        line = invoice.lines[0]
        returns.create_return(
            db.session,
            invoice.id,
            {
                "lines": [{"line_id": line.id, "quantity": "1"}],
                "refund_method": "cash",
                "restock": True,
            },
            owner,
        )
    with pytest.raises(hq_client.HqUnavailable):
        _push(first)
    assert _waiting(first) > 0 and _waiting(second) > 0

    # HQ is back on the same address: everything arrives, once, and a second push sends nothing.
    from posapp.serving import Server

    hq_server.server = Server(hq_server.app, host="127.0.0.1", port=port, threads=8)
    hq_server.start()
    for shop in (first, second):
        assert _push(shop).acked > 0
        assert _push(shop).sent == 0
        assert _waiting(shop) == 0

    for shop, shop_id in ((first, first_id), (second, second_id)):
        assert _hq_totals(hq_server, shop_id) == _shop_totals(shop)
    both = _hq_totals(hq_server, None)
    mine = [_shop_totals(first), _shop_totals(second)]
    assert both == {key: mine[0][key] + mine[1][key] for key in both}

    # Every record once per shop, whatever was sent twice: keys are unique by construction,
    # and the returned bill carries its state after the return.
    with hq_server.app.app_context():
        record = db.session.get(HqRecord, (first_id, "invoice", str(sold[0])))
        assert record is not None
        assert record.payload == _invoice_as_held(first, sold[0])
        kinds = dict(
            db.session.execute(
                select(HqRecord.kind, func.count())
                .where(HqRecord.shop_id == first_id)
                .group_by(HqRecord.kind)
            ).all()
        )
        db.session.remove()
    assert kinds["credit_note"] == 1
    assert kinds["ledger_entry"] >= 2  # two credit sales on the khata
    assert kinds["audit"] > 0 and kinds["stock_movement"] > 0 and kinds["journal_entry"] > 0
    with first.app_context():
        assert db.session.scalar(select(func.count()).select_from(SyncOutbox)) > 0
