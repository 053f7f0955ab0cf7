"""Leaving and coming back: a shop's "Export everything", imported into an empty TillBook, gives
the same shop — every customer's and supplier's balance, every product's stock and book value,
and the books' receivable, payable and inventory, to the paisa.

The trading shop of test_exports_everything (cash, card and credit sales, a void, returns, a
payment and an advance, a supplier with an opening balance, a bill on credit, a payment and a
debit note, an order, a drawer session) is exported to a folder: CSV files and the workbook.
Shop B is a fresh app on its own database; it imports the products CSV on the product import
the customers CSV and the workbook's suppliers sheet on the switch-in imports, as an owner would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import Customer, Product, Supplier, User
from posapp.services import books, catalog_csv, exports, integrity, ledger, suppliers, switch_in
from tests import databases
from tests.conftest import build_app
from tests.factories import make_user
from tests.services.test_exports_everything import Trading, shop  # noqa: F401  (the fixture)


@pytest.fixture
def shop_b(tmp_path: Path, database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """An empty TillBook beside the test's own, on a database of its own."""
    dropped: list[tuple[databases.Server, str]] = []
    if database != "sqlite":
        server = databases.backend(database)
        name, url = server.fresh()
        dropped.append((server, name))
        monkeypatch.setenv("DATABASE_URL", url)
    folder = tmp_path / "shop-b"
    folder.mkdir()
    app = build_app(folder, WTF_CSRF_ENABLED=False)
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        for server, name in dropped:
            server.drop(name)


def _picture() -> dict[str, object]:
    """Everything the round trip must keep, keyed by what identifies it across shops."""
    customers = db.session.scalars(select(Customer)).all()
    owed = ledger.balances(db.session, [c.id for c in customers])
    people = {
        c.phone: (c.name, owed[c.id], c.credit_limit, c.gstin, c.address, c.notes)
        for c in customers
    }
    parties = db.session.scalars(select(Supplier)).all()
    payable = suppliers.balances(db.session, [s.id for s in parties])
    goods = {
        p.code: (p.name, p.stock_milli, p.cost, p.stock_value, p.price, p.tax_rate_bp)
        for p in db.session.scalars(select(Product))
    }
    return {
        "customers": people,
        "suppliers": {s.name: payable[s.id] for s in parties},
        "products": goods,
        "receivable": books.balance(db.session, "receivable"),
        "payable": books.balance(db.session, "payable"),
        "inventory": books.balance(db.session, "inventory"),
        "dues": sum(b for b in owed.values() if b > 0),
        "advances": -sum(b for b in owed.values() if b < 0),
        "stock_value": sum(v[3] for v in goods.values()),
    }


def test_an_export_imported_into_an_empty_tillbook_gives_the_same_shop(
    shop: Trading,  # noqa: F811
    shop_b: Flask,
    tmp_path: Path,
) -> None:
    before = _picture()
    assert before["dues"] and before["advances"] and before["payable"] and before["stock_value"]
    folder = exports.write_folder(db.session, tmp_path)
    book = next(folder.glob("*.xlsx"))
    products_csv = folder / "products.csv"

    with shop_b.app_context():
        owner = make_user(db.session, "owner", "admin")
        owner = db.session.get(User, owner.id)
        assert owner is not None
        catalog_csv.apply_import(db.session, products_csv, owner.id)
        # Customers from their CSV, suppliers from the workbook: both forms read back (the
        # workbook drops control characters an .xlsx cannot hold; the CSV keeps them).
        sources = {"customers": folder / "customers.csv", "suppliers": book}
        for kind, source in sources.items():
            plan = switch_in.plan(db.session, kind, source)
            assert plan.ok, (kind, plan.problems, plan.errors[:5])
            switch_in.apply(db.session, kind, source, owner)
        after = _picture()
        assert integrity.run_checks(db.session).ok
        # Imported again: nothing changes (balances are set, not added).
        for kind, source in sources.items():
            assert switch_in.apply(db.session, kind, source, owner).unchanged > 0
        assert _picture() == after

    for key in ("customers", "suppliers", "products"):
        assert after[key] == before[key], key
    for key in ("receivable", "payable", "inventory", "dues", "advances", "stock_value"):
        assert after[key] == before[key], key
