"""The suppliers migration: one supplier per name, purchases linked, nothing owed."""

from __future__ import annotations

from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from posapp import MIGRATIONS_DIR, open_books
from posapp.extensions import db
from posapp.models import Purchase, Supplier, User
from posapp.services import inventory, suppliers
from posapp.services.integrity import run_checks
from tests.factories import make_product

REVISION = "e21a4b7c9d30"
DOWN = "d19e7b3a5c21"


def test_existing_purchases_get_suppliers_and_count_as_paid(app: Flask, admin: User) -> None:
    tea = make_product(db.session, name="Tea", opening_stock="0", tax_rate="5")
    for name in ("Metro", "Kumar Traders", "Metro", ""):
        inventory.receive_stock(
            db.session,
            {"supplier": name, "lines": [{"code": tea.code, "quantity": "10",
                                           "unit_cost": "100.00"}]},
            admin.id,
        )  # fmt: skip
    db.session.remove()
    downgrade(directory=MIGRATIONS_DIR, revision=DOWN)
    assert "suppliers" not in inspect(db.engine).get_table_names()
    with db.engine.begin() as connection:
        # As old versions stored them: free text, spelt differently, a GSTIN on one bill.
        connection.execute(text("UPDATE purchases SET supplier = ' metro' WHERE id = 3"))
        connection.execute(
            text(
                "UPDATE purchases SET supplier_gstin = '27AAPFU0939F1ZV', supplier_state = '27'"
                " WHERE id = 2"
            )
        )
    upgrade(directory=MIGRATIONS_DIR)
    open_books()  # as the app does after every upgrade: the history goes into the books

    made = {s.name: s for s in db.session.scalars(select(Supplier))}
    assert set(made) == {"Metro", "Kumar Traders"}
    assert (made["Kumar Traders"].gstin, made["Kumar Traders"].state_code) == (
        "27AAPFU0939F1ZV", "27",
    )  # fmt: skip
    bills = db.session.scalars(select(Purchase).order_by(Purchase.id)).all()
    assert [b.supplier_id for b in bills] == [
        made["Metro"].id, made["Kumar Traders"].id, made["Metro"].id, None,
    ]  # fmt: skip
    # ₹1,000.00 at 5 %: the bill with tax is ₹1,050.00, paid in full at receipt.
    assert {(b.payable, b.paid_now, b.paid, b.paid_method) for b in bills} == {
        (105_000, 105_000, 105_000, "cash")
    }
    assert suppliers.balances(db.session, [s.id for s in made.values()]) == {
        s.id: 0 for s in made.values()
    }
    assert suppliers.to_pay(db.session, suppliers.local_today()) == []
    assert run_checks(db.session).ok
