"""Perishable products: the flag on products, its migration, and the return form's default."""

from __future__ import annotations

import json

import pytest
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from posapp import MIGRATIONS_DIR
from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.models import AuditLog, Product, User
from posapp.services import catalog, checkout, returns
from tests.factories import make_product

REVISION = "d19e7b3a5c21"


# ---------------------------------------------------------------- the flag on products


def test_products_are_not_perishable_unless_marked(admin: User) -> None:
    salt = make_product(db.session, admin.id, name="Tata Salt 1kg")
    milk = make_product(db.session, admin.id, name="Amul Taaza 500 ml", perishable="yes")
    assert (salt.perishable, milk.perishable) == (False, True)


def test_an_update_changes_the_flag_only_when_sent_and_audits_it(admin: User) -> None:
    curd = make_product(db.session, admin.id, name="Curd 400 g")
    catalog.update_product(db.session, curd.id, {"perishable": "on"}, admin.id)
    catalog.update_product(db.session, curd.id, {"price": "36.00"}, admin.id)
    assert db.session.get(Product, curd.id).perishable is True  # type: ignore[union-attr]
    entries = db.session.scalars(
        select(AuditLog)
        .where(AuditLog.action == "product.update", AuditLog.entity_id == curd.id)
        .order_by(AuditLog.id)
    ).all()
    flagged = entries[0]
    assert json.loads(flagged.before or "{}")["perishable"] is False
    assert json.loads(flagged.after or "{}")["perishable"] is True
    catalog.update_product(db.session, curd.id, {"perishable": ""}, admin.id)  # unticked
    assert db.session.get(Product, curd.id).perishable is False  # type: ignore[union-attr]


def test_a_flag_that_is_not_yes_or_no_is_refused_with_the_other_errors(admin: User) -> None:
    with pytest.raises(ValidationError) as caught:
        make_product(db.session, admin.id, name="", perishable="fresh")
    assert caught.value.fields == {
        "name": "Name is required.",
        "perishable": "Perishable must be yes or no.",
    }
    assert db.session.scalar(select(Product.id)) is None


# ---------------------------------------------------------------- the return form's default


@pytest.mark.parametrize(
    ("returnable", "perishable", "ticked"),
    [
        ([1, 2], set(), True),
        ([1, 2], {1}, True),  # rice and milk: the rice may go back; the page's script decides
        ([1, 2], {1, 2}, False),  # only perishable goods on the bill
        ([2], {2}, False),  # the rice already came back: milk is all that is left
        ([], set(), True),
    ],
)
def test_the_box_starts_unticked_only_when_every_returnable_line_is_perishable(
    returnable: list[int], perishable: set[int], ticked: bool
) -> None:
    assert returns.restock_default(returnable, perishable) is ticked


def test_perishable_lines_follow_the_products_flag(admin: User) -> None:
    rice = make_product(db.session, admin.id, name="Basmati Rice 1 kg")
    milk = make_product(db.session, admin.id, name="Milk 500 ml", perishable=True)
    payload = {"items": [{"product_id": p.id, "quantity": 1} for p in (rice, milk)]}
    invoice = checkout.checkout(db.session, checkout.parse_checkout(payload), admin)
    line_of = {line.product_id: line.id for line in invoice.lines}
    assert returns.perishable_lines(db.session, invoice.id) == {line_of[milk.id]}
    # Marked later (the owner noticed): the next return of this bill follows the product.
    catalog.update_product(db.session, rice.id, {"perishable": True}, admin.id)
    assert returns.perishable_lines(db.session, invoice.id) == set(line_of.values())


# ---------------------------------------------------------------- the migration


def test_the_migration_adds_the_column_as_false_and_keeps_search_working(app: Flask) -> None:
    script = ScriptDirectory(MIGRATIONS_DIR).get_revision(REVISION)
    assert script is not None and isinstance(script.down_revision, str)
    make_product(db.session, name="Amul Gold Milk", perishable=True)
    db.session.remove()
    downgrade(directory=MIGRATIONS_DIR, revision=script.down_revision)
    columns = {column["name"] for column in inspect(db.engine).get_columns("products")}
    assert "perishable" not in columns and "aliases" in columns
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE products SET name = 'Amul Taaza Milk'"))
    upgrade(directory=MIGRATIONS_DIR)

    # Every product there before the column is not perishable (NOT NULL, default false).
    milk = db.session.scalars(select(Product)).one()
    assert (milk.name, milk.perishable) == ("Amul Taaza Milk", False)
    # The search indexes still follow names: ADD COLUMN kept the FTS triggers on SQLite.
    items, total = catalog.search_products(db.session, "taaza")
    assert total == 1 and items[0].id == milk.id
    catalog.update_product(db.session, milk.id, {"name": "Nandini Milk"}, None)
    assert catalog.search_products(db.session, "nandini")[1] == 1
    assert catalog.search_products(db.session, "taaza")[1] == 0
