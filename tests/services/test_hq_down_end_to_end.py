"""HQ's catalog reaches shops end to end: HQ served by waitress on the test's backend, shops on
their own SQLite files. A price changed at HQ while a shop is offline (and edited there too)
arrives when the shop is back: HQ wins for the price, the shop keeps its stock, and the
invoices it issued before are unchanged to the byte. A transfer moves stock between shops and
HQ sees both sides applied.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select

from posapp.cli import main
from posapp.documents.invoice_pdf import invoice_html
from posapp.extensions import db
from posapp.models import HqShop, Invoice, Product, StockMovement, User
from posapp.models.base import write_transaction
from posapp.models.hq import HqDown
from posapp.services import catalog, checkout, hq, hq_apply, hq_client, hq_down, inventory, users
from posapp.services.integrity import run_checks
from posapp.services.settings import load_settings
from tests.conftest import LiveServer, build_app
from tests.factories import PASSWORD, make_product

CODE = "ATTA5"
SETTINGS = {
    "receipt_footer": "Dhanyavaad",
    "low_stock_default": "5",
    "new_customer_credit_limit": "1000",
    "discount_audit_percent": "10",
    "cashier_max_line_discount_percent": "10",
    "cashier_max_bill_discount_percent": "5",
}


@pytest.fixture
def hq_server(data_dir: Path) -> Iterator[LiveServer]:
    """HQ: the app in HQ mode on the test's database, served by waitress on loopback."""
    application = build_app(data_dir, HQ_MODE=True)
    with application.app_context():
        owner = users.create_user(db.session, "owner", PASSWORD, "admin")
        make_product(db.session, owner.id, code=CODE, name="Atta 5kg", price="100.00", tax_rate="5")
        make_product(db.session, owner.id, code="RICE", name="Loose rice", price="62", unit="kg")
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
    app = build_app(folder)
    with app.app_context():
        users.create_user(db.session, "owner", PASSWORD, "admin")
        users.create_user(db.session, "cash1", PASSWORD, "cashier")
    return app


def _enrol(app: Flask, server: LiveServer, name: str) -> str:
    with server.app.app_context():
        code = hq.create_shop(db.session, name, None).code
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == "owner"))
        return hq_client.enrol(db.session, server.url, code, owner.id, "test").shop_id


def _sync(app: Flask) -> hq_client.PushResult:
    with app.app_context():
        try:
            return hq_client.push(db.session)
        finally:
            db.session.remove()


def _at_hq(server: LiveServer, work: Any) -> Any:
    with server.app.app_context():
        try:
            return work()
        finally:
            db.session.remove()


def _owner() -> User:
    found = db.session.scalar(select(User).where(User.username == "owner"))
    assert found is not None
    return found


def _product(code: str = CODE) -> Product:
    found = db.session.scalar(select(Product).where(Product.code == code))
    assert found is not None
    return found


def _receive(app: Flask, qty: str, code: str = CODE) -> None:
    with app.app_context():
        product = _product(code)
        inventory.adjust_stock(
            db.session,
            product.id,
            {"delta": qty, "reason": "purchase", "unit_cost": "80.00"},
            _owner().id,
        )
        db.session.remove()


def _sell(app: Flask, qty: int = 1) -> int:
    with app.app_context():
        cashier = db.session.scalar(select(User).where(User.username == "cash1"))
        body = {"items": [{"product_id": _product().id, "quantity": qty}]}
        invoice = checkout.checkout(db.session, checkout.parse_checkout(body), cashier)
        number = invoice.id
        db.session.remove()
        return number


def _as_issued(app: Flask, invoice_id: int) -> dict[str, Any]:
    """Everything an issued invoice is: its row, its lines and its document's bytes."""
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        assert invoice is not None
        row = {c.name: getattr(invoice, c.name) for c in Invoice.__table__.columns}
        lines = [
            {c.name: getattr(line, c.name) for c in line.__table__.columns}
            for line in invoice.lines
        ]
        document = invoice_html(invoice, load_settings(db.session)).encode("utf-8")
        db.session.remove()
        return {"row": row, "lines": lines, "document": document}


def _check_clean(app: Flask) -> None:
    """What `app.py check` checks: the money, stock and books invariants hold."""
    with app.app_context():
        report = run_checks(db.session)
        db.session.remove()
    assert report.ok, report


def test_a_price_changed_at_hq_reaches_an_offline_shop_and_earlier_invoices_stay(
    hq_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = _shop(tmp_path, "andheri", monkeypatch)
    shop_id = _enrol(shop, hq_server, "Andheri")
    sent = _at_hq(hq_server, lambda: hq_down.send_catalog(db.session, shop_id, None, whole=True))
    assert sent == 2
    result = _sync(shop)
    assert result.applied == 2 and result.refused == 0
    _receive(shop, "10")
    invoice_a = _sell(shop)
    with shop.app_context():
        assert _product().price == 10000 and _product().stock_milli == 9000
    before_a = _as_issued(shop, invoice_a)

    # HQ goes away. The owner changes the price at HQ; the shop edits it too and sells.
    port = int(hq_server.url.rsplit(":", 1)[1])
    hq_server.stop()

    def reprice() -> int:
        owner = db.session.scalar(select(User).where(User.username == "owner"))
        product = _product()
        catalog.update_product(db.session, product.id, {"price": "120.00"}, owner.id)
        return hq_down.send_catalog(db.session, shop_id, owner.id)

    assert _at_hq(hq_server, reprice) == 1
    with shop.app_context():
        catalog.update_product(db.session, _product().id, {"price": "110.00"}, _owner().id)
        db.session.remove()
    invoice_b = _sell(shop)
    before_b = _as_issued(shop, invoice_b)
    assert before_b["row"]["total"] == 11000
    with pytest.raises(hq_client.HqUnavailable):
        _sync(shop)

    # HQ is back: the shop pushes, then pulls; HQ wins for the price, the shop for its stock.
    from posapp.serving import Server

    hq_server.server = Server(hq_server.app, host="127.0.0.1", port=port, threads=8)
    hq_server.start()
    result = _sync(shop)
    assert result.applied == 1 and result.refused == 0
    with shop.app_context():
        product = _product()
        assert product.price == 12000
        assert product.stock_milli == 8000  # 10 received, two sold: HQ never sends stock
        assert product.cost == 8000
        state = hq_apply.state(db.session)
        assert state.errors == [] and state.pulled_seq == result.pulled_seq
        db.session.remove()
    assert _as_issued(shop, invoice_a) == before_a
    assert _as_issued(shop, invoice_b) == before_b
    _check_clean(shop)

    # Once applied, nothing comes again; HQ knows how far the shop has applied.
    assert _sync(shop).applied == 0
    pulled = _at_hq(hq_server, lambda: db.session.get(HqShop, shop_id).pulled_seq)
    assert pulled == result.pulled_seq
    # The shop's product record went back up with HQ's price and the shop's stock.
    _sync(shop)
    records = _at_hq(
        hq_server,
        lambda: [r.payload for r in hq.records_of(db.session, shop_id, "product") if r.payload],
    )
    assert any(record.get("price") == 12000 for record in records)


def test_a_transfer_moves_stock_between_shops_and_hq_sees_both_sides(
    hq_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _shop(tmp_path, "first", monkeypatch)
    second = _shop(tmp_path, "second", monkeypatch)
    first_id = _enrol(first, hq_server, "First")
    second_id = _enrol(second, hq_server, "Second")
    _at_hq(hq_server, lambda: hq_down.send_catalog(db.session, None, None))
    for shop in (first, second):
        assert _sync(shop).applied == 2
    _receive(first, "10")

    def make() -> str:
        owner = db.session.scalar(select(User).where(User.username == "owner"))
        made = hq_down.create_transfer(
            db.session,
            {"from_shop": first_id, "to_shop": second_id, "lines": f"{CODE} 3", "note": ""},
            owner.id,
        )
        return made.number

    number = _at_hq(hq_server, make)
    assert number == "TR-000001"
    sides = _at_hq(hq_server, lambda: hq_down.transfers(db.session)[0].applied)
    assert sides == {"out": False, "in": False}
    for shop in (first, second):
        assert _sync(shop).applied == 1
        _sync(shop)  # the movements travel up
    with first.app_context():
        assert _product().stock_milli == 7000
        moved = db.session.scalar(select(StockMovement).where(StockMovement.ref == number))
        assert moved is not None and moved.reason == "transfer_out"
        db.session.remove()
    with second.app_context():
        assert _product().stock_milli == 3000
        db.session.remove()
    sides = _at_hq(hq_server, lambda: hq_down.transfers(db.session)[0].applied)
    assert sides == {"out": True, "in": True}
    for shop in (first, second):
        _check_clean(shop)


def test_an_item_the_shop_cannot_apply_is_skipped_and_the_rest_arrive(
    hq_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = _shop(tmp_path, "andheri", monkeypatch)
    other = _shop(tmp_path, "bandra", monkeypatch)
    shop_id = _enrol(shop, hq_server, "Andheri")
    other_id = _enrol(other, hq_server, "Bandra")

    def send() -> None:
        with write_transaction(db.session):
            hq_down.add_items(db.session, shop_id, "coupon", [("DIWALI", {"off": 10})], None)
        hq_down.send_catalog(db.session, shop_id, None)
        hq_down.send_settings(db.session, other_id, SETTINGS | {"stock_policy": "warn"}, None)

    _at_hq(hq_server, send)
    # The command line's push, as a shop's scheduled task runs it: it says what it applied.
    answer = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "andheri"), "hq", "push"])
    assert answer.exit_code == 0, answer.output
    assert "Applied 2 of HQ's changes; 1 could not be applied" in answer.output
    with shop.app_context():
        state = hq_apply.state(db.session)
        (error,) = state.errors
        assert error["kind"] == "coupon" and "does not know" in error["error"]
        # The cursor passed the other shop's settings too: nothing is asked for twice.
        assert state.pulled_seq == _at_hq(
            hq_server, lambda: db.session.scalar(select(func.max(HqDown.seq)))
        )
        assert _product().price == 10000
        db.session.remove()
    assert _sync(other).applied == 1
    with other.app_context():
        assert load_settings(db.session).stock_policy == "warn"
        db.session.remove()
