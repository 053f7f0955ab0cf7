"""The shop applies what HQ sends (services/hq_apply.py): HQ wins for catalog fields, the shop
for its stock and cost; an issued invoice never changes; each item once, with the cursor; an
item the shop cannot apply is recorded and skipped; settings only from the whitelist; transfers
as stock movements that keep the books whole.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import AuditLog, Category, Invoice, Product, StockMovement, User
from posapp.models.base import write_transaction
from posapp.services import catalog, checkout, hq_apply, hq_client
from posapp.services.integrity import run_checks
from posapp.services.settings import load_hq, load_settings, save_hq
from tests.factories import make_product

pytestmark = pytest.mark.one_backend("the shop side: a shop applies HQ's items on its own SQLite")


def product_item(seq: int, code: str = "ATTA", **data: Any) -> dict[str, Any]:
    fields = {
        "code": code,
        "name": "Atta 5kg",
        "category": "Grocery",
        "unit": "pcs",
        "price": 12000,
        "mrp": 13000,
        "tax_rate_bp": 500,
        "hsn": "1101",
        "aliases": ["aata", "gehun ka aata"],
        "archived": False,
    }
    fields.update(data)
    return {"seq": seq, "kind": "product", "key": code, "data": fields}


def by_code(code: str = "ATTA") -> Product:
    db.session.expire_all()
    found = db.session.scalar(select(Product).where(Product.code == code))
    assert found is not None
    return found


def audits(action: str) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(AuditLog.after).where(AuditLog.action == action))
    return [json.loads(row or "{}") for row in rows]


def test_a_product_new_to_the_shop_is_created_with_no_stock(admin: User) -> None:
    assert hq_apply.apply(db.session, product_item(3)) is None
    product = by_code()
    assert (product.name, product.price, product.mrp, product.tax_rate_bp) == (
        "Atta 5kg",
        12000,
        13000,
        500,
    )
    assert product.stock_milli == 0 and product.cost == 0 and product.category_name == "Grocery"
    assert product.aliases == "aata,gehun ka aata" and product.hsn == "1101"
    assert hq_apply.pulled_seq(db.session) == 3
    (entry,) = audits("hq.catalog_apply")
    assert entry["created"] is True and entry["code"] == "ATTA"
    assert hq_apply.state(db.session).last_item["seq"] == 3  # type: ignore[index]


def test_hq_wins_for_catalog_fields_and_the_shop_for_stock_even_after_an_offline_edit(
    admin: User,
) -> None:
    product = make_product(
        db.session,
        admin.id,
        code="ATTA",
        name="Atta",
        price="100",
        cost="80",
        opening_stock="10",
        aliases="atta",
        category="Flour",
    )
    sale = checkout.checkout(
        db.session,
        checkout.parse_checkout({"items": [{"product_id": product.id, "quantity": 2}]}),
        admin,
    )
    # The shop edits the product while HQ cannot reach it.
    catalog.update_product(db.session, product.id, {"price": "110", "name": "Atta local"}, admin.id)
    issued = {c.name: getattr(sale, c.name) for c in Invoice.__table__.columns}
    lines = [{c.name: getattr(line, c.name) for c in line.__table__.columns} for line in sale.lines]

    assert hq_apply.apply(db.session, product_item(7, price=12000)) is None

    product = by_code()
    assert (
        product.price == 12000 and product.name == "Atta 5kg" and product.category_name == "Grocery"
    )
    assert product.aliases == "aata,gehun ka aata"
    assert product.stock_milli == 8000 and product.cost == 8000  # the shop's, untouched
    (entry,) = audits("hq.catalog_apply")
    assert {"price", "name", "aliases", "category"} <= set(entry["fields"])
    assert "stock_milli" not in entry["fields"]
    db.session.expire_all()
    again = db.session.get(Invoice, sale.id)
    assert {c.name: getattr(again, c.name) for c in Invoice.__table__.columns} == issued
    assert [{c.name: getattr(x, c.name) for c in x.__table__.columns} for x in again.lines] == lines
    assert (
        db.session.scalar(
            select(func.count()).select_from(Category).where(Category.name == "Grocery")
        )
        == 1
    )
    assert run_checks(db.session).ok


def test_each_item_applies_once_and_the_same_data_again_changes_nothing(admin: User) -> None:
    hq_apply.apply(db.session, product_item(2))
    hq_apply.apply(db.session, product_item(2, price=1))  # an answer seen twice: skipped
    assert by_code().price == 12000
    hq_apply.apply(db.session, product_item(5))  # the same data again: no change, no audit
    assert len(audits("hq.catalog_apply")) == 1 and hq_apply.pulled_seq(db.session) == 5
    hq_apply.move_cursor(db.session, 3)  # the cursor never goes back
    assert hq_apply.pulled_seq(db.session) == 5


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ({"seq": 4, "kind": "coupon", "key": "x", "data": {}}, "does not know"),
        (product_item(4, price=12.5), "price"),
        (product_item(4, price=-1), "price"),
        (product_item(4, unit="dozen"), "unit"),
        (product_item(4, tax_rate_bp=20000), "tax_rate_bp"),
        (product_item(4, code="A B"), "code"),
        (product_item(4, name=""), "name"),
        (product_item(4, aliases=[1]), "ias"),
        (product_item(4, archived="yes"), "archived"),
        ({"seq": 4, "kind": "product", "key": "x", "data": None}, "without data"),
    ],
)
def test_an_item_the_shop_cannot_apply_is_recorded_and_skipped(
    admin: User, item: dict[str, Any], words: str
) -> None:
    error = hq_apply.apply(db.session, item)
    assert error is not None and words in error
    assert hq_apply.pulled_seq(db.session) == 4
    assert db.session.scalar(select(func.count()).select_from(Product)) == 0
    (recorded,) = hq_apply.state(db.session).errors
    assert recorded["seq"] == 4 and words in recorded["error"]


def test_a_name_another_product_holds_is_an_error_not_a_crash(admin: User) -> None:
    make_product(db.session, admin.id, code="OTHER", name="Atta 5kg")
    error = hq_apply.apply(db.session, product_item(9))
    assert error is not None and "OTHER" in error
    assert db.session.scalar(select(Product).where(Product.code == "ATTA")) is None
    assert hq_apply.pulled_seq(db.session) == 9


def test_settings_from_hq_replace_the_shops_within_the_whitelist(admin: User) -> None:
    data = {
        "receipt_footer": "Dhanyavaad",
        "round_off": True,
        "stock_policy": "warn",
        "new_customer_credit_limit": 150000,
        "cashier_max_line_discount_percent": 15,
    }
    assert (
        hq_apply.apply(db.session, {"seq": 1, "kind": "settings", "key": "shop", "data": data})
        is None
    )
    settings = load_settings(db.session)
    assert settings.receipt_footer == "Dhanyavaad" and settings.round_off is True
    assert settings.stock_policy == "warn" and settings.new_customer_credit_limit == 150000
    assert settings.cashier_max_line_discount_percent == 15
    assert len(audits("hq.settings_apply")) == 1
    for seq, bad in enumerate(
        (
            {"tax_number": "27AAAAA0000A1Z5"},
            {"printer_host": "x"},
            {"round_off": "1"},
            {"stock_policy": "maybe"},
            {"discount_audit_percent": 101},
        ),
        start=2,
    ):
        error = hq_apply.apply(
            db.session, {"seq": seq, "kind": "settings", "key": "shop", "data": bad}
        )
        assert error is not None, bad
    assert load_settings(db.session).tax_number == ""


def transfer(
    seq: int, direction: str, *lines: tuple[str, int], number: str = "TR-000001"
) -> dict[str, Any]:
    return {
        "seq": seq,
        "kind": "transfer",
        "key": "0d5e",
        "data": {
            "id": "0d5e",
            "number": number,
            "direction": direction,
            "from_shop": "a",
            "to_shop": "b",
            "from_name": "Andheri",
            "to_name": "Bandra",
            "note": "",
            "lines": [{"code": code, "qty_milli": qty} for code, qty in lines],
        },
    }


def test_a_transfer_moves_stock_once_and_keeps_the_books_whole(admin: User) -> None:
    make_product(
        db.session, admin.id, code="ATTA", name="Atta", price="100", cost="80", opening_stock="10"
    )
    make_product(
        db.session,
        admin.id,
        code="RICE",
        name="Rice",
        price="60",
        cost="50",
        unit="kg",
        opening_stock="5",
    )
    assert hq_apply.apply(db.session, transfer(1, "out", ("ATTA", 3000), ("RICE", 1500))) is None
    assert by_code("ATTA").stock_milli == 7000 and by_code("RICE").stock_milli == 3500
    moves = list(db.session.scalars(select(StockMovement).where(StockMovement.ref == "TR-000001")))
    assert {(m.reason, m.delta_milli) for m in moves} == {
        ("transfer_out", -3000),
        ("transfer_out", -1500),
    }
    # The same side again (another seq, e.g. HQ sent it twice): applied once by its number.
    assert hq_apply.apply(db.session, transfer(2, "out", ("ATTA", 3000))) is None
    assert by_code("ATTA").stock_milli == 7000
    assert hq_apply.apply(db.session, transfer(3, "in", ("ATTA", 2000), number="TR-000002")) is None
    assert by_code("ATTA").stock_milli == 9000
    report = run_checks(db.session)
    assert report.ok, report
    assert len(audits("hq.transfer_apply")) == 2


def test_a_transfer_naming_a_product_the_shop_lacks_is_an_error(admin: User) -> None:
    make_product(db.session, admin.id, code="ATTA", name="Atta", opening_stock="10")
    error = hq_apply.apply(db.session, transfer(6, "in", ("ATTA", 1000), ("GHEE", 1000)))
    assert error is not None and "GHEE" in error
    assert by_code("ATTA").stock_milli == 10000  # nothing of it applied
    assert hq_apply.pulled_seq(db.session) == 6


class _Hq(BaseHTTPRequestHandler):
    """An HQ answering every push with an empty ack and every pull with `answer`."""

    answer: tuple[int, bytes] = (200, b"{}")

    def log_message(self, *_args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send(200, b'{"acked": 0}')

    def do_GET(self) -> None:
        self._send(*type(self).answer)

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.mark.parametrize(
    ("status", "body", "fails"),
    [
        (404, b'{"error": {"code": "not_found", "message": "No such page."}}', False),
        (200, b'{"items": [], "last": 0, "more": false}', False),
        (200, b'{"items": [{"seq": "one"}], "last": 1, "more": false}', True),
        (200, b'{"items": [], "last": -1, "more": false}', True),
        (200, b'{"items": {}, "last": 1, "more": false}', True),
        (503, b"", True),
    ],
)
def test_the_pull_after_a_push_survives_what_hq_answers(
    admin: User, status: int, body: bytes, fails: bool
) -> None:
    _Hq.answer = (status, body)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hq)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with write_transaction(db.session):
            url = f"http://127.0.0.1:{server.server_address[1]}"
            save_hq(db.session, url=url, shop_id="s-1", credential="c" * 40)
        if fails:
            with pytest.raises(hq_client.HqUnavailable):
                hq_client.push(db.session)
            assert load_hq(db.session).last_error
        else:
            assert hq_client.push(db.session).applied == 0
            assert load_hq(db.session).last_error == ""
        assert hq_apply.pulled_seq(db.session) == 0
    finally:
        server.shutdown()
        server.server_close()
