"""HQ's projections from real shop records: shops on SQLite sell, take returns and payments,
enrol at a real HQ (on the test's backend) and push; HQ's dashboard and tax figures for each
shop equal the shop's own to the paisa, all shops equal their sum, a bill paid later updates
its projection, and `rebuild` makes the same tables as the pushes did.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from posapp.extensions import db
from posapp.maintenance.startup import restore
from posapp.models import Customer, Invoice, Product, User
from posapp.models.base import table
from posapp.models.hq_views import PROJECTIONS, HqInvoice
from posapp.money import money_str
from posapp.services import (
    backups,
    checkout,
    dashboard,
    hq,
    hq_client,
    hq_projections,
    hq_reports,
    ledger,
    returns,
    sales_reports,
    users,
)
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
    """A shop: its own SQLite file whatever backend HQ runs on."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    folder = tmp_path / name
    folder.mkdir()
    app = build_app(folder)
    with app.app_context():
        owner = users.create_user(db.session, "owner", PASSWORD, "admin")
        users.create_user(db.session, "cash1", PASSWORD, "cashier")
        make_product(
            db.session, owner.id, name="Atta 5kg", price="245.50", tax_rate="5", cost="201.37"
        )
        make_product(
            db.session, owner.id, name="Loose rice", price="62.00", unit="kg", cost="48.10"
        )
        make_product(db.session, owner.id, name="Soap", price="38.00", tax_rate="18")
        make_customer(
            db.session, owner, name="Sunita Devi", phone="9876543210", credit_limit="50000"
        )
    return app


def _sell(app: Flask, bills: int, *, credit: bool = False, offset: int = 0) -> list[int]:
    """`bills` sales of three lines (three rates); the last on credit when asked."""
    with app.app_context():
        cashier = db.session.scalar(select(User).where(User.username == "cash1"))
        products = list(db.session.scalars(select(Product).order_by(Product.id)))
        customer = db.session.scalar(select(Customer))
        ids = []
        for i in range(bills):
            items = [
                {"product_id": products[0].id, "quantity": 1 + (i + offset) % 3},
                {"product_id": products[1].id, "quantity": "0.250"},
                {"product_id": products[2].id, "quantity": 2},
            ]
            body: dict[str, Any] = {"items": items}
            if credit and i == bills - 1:
                body["customer_id"] = customer.id
                priced = checkout.preview(db.session, checkout.parse_checkout(body)).priced
                body["payments"] = [{"method": "credit", "amount": money_str(priced.total)}]
            ids.append(checkout.checkout(db.session, checkout.parse_checkout(body), cashier).id)
        db.session.remove()
        return ids


def _return_one(app: Flask, invoice_id: int, method: str) -> None:
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == "owner"))
        invoice = db.session.get(Invoice, invoice_id)
        returns.create_return(
            db.session,
            invoice.id,
            {
                "lines": [{"line_id": invoice.lines[0].id, "quantity": "1"}],
                "refund_method": method,
                "restock": True,
            },
            owner,
        )
        db.session.remove()


def _pay(app: Flask, amount: str) -> None:
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == "owner"))
        customer = db.session.scalar(select(Customer))
        ledger.record_payment(db.session, customer.id, {"amount": amount, "method": "cash"}, owner)
        db.session.remove()


def _enrol(app: Flask, server: LiveServer, name: str) -> str:
    with server.app.app_context():
        code = hq.create_shop(db.session, name, None).code
        db.session.remove()
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == "owner"))
        shop_id = hq_client.enrol(db.session, server.url, code, owner.id, "test").shop_id
        db.session.remove()
        return shop_id


def _push(app: Flask) -> None:
    with app.app_context():
        try:
            assert hq_client.push(db.session).acked > 0
        finally:
            db.session.remove()


def _shop_figures(app: Flask) -> dict[str, Any]:
    """The shop's own dashboard and GST figures."""
    with app.app_context():
        today = ledger.local_today()
        stats = dashboard.stats(db.session, today)
        start = dashboard.month_start(today, dashboard.MONTHS - 1)
        tax = sales_reports.tax_by_rate(db.session, start, today)
        db.session.remove()
    return {
        "today": {k: stats.today[k] for k in ("sales", "invoices", "gross_profit", "average_bill")},
        "days": sum(day["sales"] for day in stats.daily),
        "days_bills": sum(day["invoices"] for day in stats.daily),
        "months": sum(month["sales"] for month in stats.monthly),
        "months_profit": sum(month["gross_profit"] for month in stats.monthly),
        "methods": {m["method"]: m["amount"] for m in stats.payment_methods},
        "outstanding": stats.outstanding_credit,
        "tax": [list(row) for row in tax.rows],
    }


def _hq_figures(server: LiveServer, shop_id: str | None, today: date) -> dict[str, Any]:
    with server.app.app_context():
        session = db.session
        now = hq_reports.dashboard(session, shop_id, "today", today).total
        days = hq_reports.dashboard(session, shop_id, "days", today).total
        months = hq_reports.dashboard(session, shop_id, "months", today)
        start = dashboard.month_start(today, dashboard.MONTHS - 1)
        tax = hq_reports.tax_by_rate(session, shop_id, start, today)
        session.remove()
    return {
        "today": {
            "sales": now.sales,
            "invoices": now.bills,
            "gross_profit": now.gross_profit,
            "average_bill": now.average_bill,
        },
        "days": days.sales,
        "days_bills": days.bills,
        "months": months.total.sales,
        "months_profit": months.total.gross_profit,
        "paid": days.paid,
        "credit": days.credit,
        "outstanding": months.outstanding,
        "tax": [row[:6] for row in tax.rows],
        "shop_rows": [(row.shop.id, row.figures.sales) for row in months.rows],
    }


def _tables(server: LiveServer) -> dict[str, list[tuple[Any, ...]]]:
    with server.app.app_context():
        found = {
            model.__tablename__: sorted(
                tuple(str(v) for v in row) for row in db.session.execute(select(table(model)))
            )
            for model in PROJECTIONS
        }
        db.session.remove()
        return found


def test_hq_figures_equal_each_shops_own_and_all_shops_their_sum(
    hq_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _shop(tmp_path, "first", monkeypatch)
    second = _shop(tmp_path, "second", monkeypatch)
    _sell(first, 3, credit=True)  # before enrolment: the backfill carries these
    first_id = _enrol(first, hq_server, "Main Road")
    second_id = _enrol(second, hq_server, "Station Road")
    sold = _sell(first, 4, credit=True, offset=1)
    _sell(second, 5)
    _return_one(first, sold[0], "cash")
    _return_one(first, sold[-1], "credit")  # a credit bill returned: off what is owed
    _push(first)
    _push(second)

    with first.app_context():
        today = ledger.local_today()
    mine = {first_id: _shop_figures(first), second_id: _shop_figures(second)}
    for shop_id, own in mine.items():
        held = _hq_figures(hq_server, shop_id, today)
        for key in ("today", "days", "days_bills", "months", "months_profit", "outstanding"):
            assert held[key] == own[key], key
        assert held["tax"] == own["tax"]
        assert held["paid"] == sum(own["methods"][m] for m in ("cash", "card", "upi"))
        assert held["credit"] == own["methods"]["credit"]

    both = _hq_figures(hq_server, None, today)
    assert both["months"] == sum(own["months"] for own in mine.values())
    assert both["today"]["invoices"] == sum(own["today"]["invoices"] for own in mine.values())
    assert both["outstanding"] == sum(own["outstanding"] for own in mine.values())
    assert sum(sales for _id, sales in both["shop_rows"]) == both["months"]
    assert {shop for shop, _sales in both["shop_rows"]} == {first_id, second_id}

    # A credit bill paid later: the shop sends the bill again, its projection follows.
    _pay(first, "100.00")
    _push(first)
    with first.app_context():
        paid = {i.id: i.paid for i in db.session.scalars(select(Invoice))}
        db.session.remove()
    with hq_server.app.app_context():
        held = {
            int(row.invoice_id): row.paid
            for row in db.session.scalars(select(HqInvoice).where(HqInvoice.shop_id == first_id))
        }
        db.session.remove()
    assert held == paid
    assert (
        _hq_figures(hq_server, first_id, today)["outstanding"]
        == (_shop_figures(first)["outstanding"])
    )

    # The tables the pushes made are the tables a rebuild makes from hq_records.
    pushed = _tables(hq_server)
    assert pushed["hq_invoices"] and pushed["hq_credit_notes"] and pushed["hq_ledger"]
    with hq_server.app.app_context():
        hq_projections.rebuild(db.session)
        db.session.remove()
    assert _tables(hq_server) == pushed
    with hq_server.app.app_context():
        hq_projections.rebuild(db.session, first_id)
        db.session.remove()
    assert _tables(hq_server) == pushed


def test_after_a_restore_hq_figures_drop_the_sales_the_shop_no_longer_has(
    hq_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HQ had sales the restored data does not: the restore sends them as deletions, and
    HQ's figures for the shop (the day's sums, the tax, the khata) are the shop's own again."""
    shop = _shop(tmp_path, "shop", monkeypatch)
    shop_id = _enrol(shop, hq_server, "Main Road")
    _sell(shop, 3)
    _push(shop)
    with shop.app_context():
        data_dir = Path(shop.config["DATA_DIR"])
        saved = backups.backup_database(data_dir / "tillbook.db", tmp_path / "saved.db").path
        db.session.remove()
    _sell(shop, 2, credit=True, offset=1)  # at HQ, then discarded by the restore
    _push(shop)
    with shop.app_context():
        today = ledger.local_today()
    assert _hq_figures(hq_server, shop_id, today)["days_bills"] == 5

    with shop.app_context():
        db.session.remove()
        restore(shop, saved)
    _push(shop)

    own, held = _shop_figures(shop), _hq_figures(hq_server, shop_id, today)
    assert own["days_bills"] == 3
    for key in ("today", "days", "days_bills", "months", "months_profit", "outstanding"):
        assert held[key] == own[key], key
    assert held["tax"] == own["tax"]
    with hq_server.app.app_context():
        kept = set(db.session.scalars(select(HqInvoice.invoice_id)))
        db.session.remove()
    with shop.app_context():
        assert kept == {str(i) for i in db.session.scalars(select(Invoice.id))}
        db.session.remove()
    # The rebuild from hq_records agrees: the deleted records are gone there too.
    pushed = _tables(hq_server)
    with hq_server.app.app_context():
        hq_projections.rebuild(db.session)
        db.session.remove()
    assert _tables(hq_server) == pushed
