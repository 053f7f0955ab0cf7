"""Freeze the invoices and credit notes issued before snapshots existed (issue 18).

Until now every reprint read today's settings and customer record. From this revision each
document prints its `issued_as` snapshot (services/issued.py); documents without one are
frozen here, once, as they would have printed today:

- the shop part (seller, title, declaration, print settings) from today's settings, stored
  once in the setting `issued_legacy_base`, not repeated on every row;
- per document, `{"v": 1, "base": "legacy", "kind", "tax_split", "place_of_supply",
  "buyer"}` with the buyer copied from its customer row now.

Set-based: one UPDATE per table and id range of BATCH ids, the JSON built by the database's
own JSON functions (SQLite json_object, PostgreSQL json_build_object, MySQL/MariaDB
JSON_OBJECT), so a shop with a million lines is done in seconds.

Revision ID: c18e5a7f3b42
Revises: b18a0c5e7d31
Create Date: 2026-12-05 14:10:00.000000

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from posapp.gst import STATES
from posapp.services import issued
from posapp.services.settings import load_settings

# revision identifiers, used by Alembic.
revision = "c18e5a7f3b42"
down_revision = "b18a0c5e7d31"
branch_labels = None
depends_on = None

BATCH = 50_000
TABLES = {"invoices": "invoice", "credit_notes": "credit_note"}
SETTINGS = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.Text))
BUYER_FIELDS = ("name", "legal_name", "gstin", "address", "phone", "state_code")


def _state_name(column):
    """The state's name for a code column, as a CASE over the GST state list."""
    whens = " ".join(
        f"WHEN '{code}' THEN '{name.replace(chr(39), chr(39) * 2)}'"
        for code, name in STATES.items()
    )
    return f"CASE {column} {whens} ELSE '' END"


def _pairs(pairs):
    return ", ".join(f"'{key}', {value}" for key, value in pairs)


def _document_json(dialect, table, kind):
    """The SQL expression of one frozen document's JSON text (the customer joined as c)."""
    buyer = [(field, f"c.{field}") for field in BUYER_FIELDS]
    buyer.append(("state", _state_name("c.state_code")))
    head = [
        ("v", "1"),
        ("base", f"'{issued.LEGACY}'"),
        ("kind", f"'{kind}'"),
        ("tax_split", f"{table}.tax_split"),
        ("place_of_supply", f"{table}.place_of_supply"),
    ]
    where = f"c.id = {table}.customer_id"
    if dialect == "postgresql":
        person = f"(SELECT json_build_object({_pairs(buyer)}) FROM customers c WHERE {where})"
        return f"json_build_object({_pairs([*head, ('buyer', person)])})::text"
    if dialect == "mysql":
        person = f"(SELECT JSON_OBJECT({_pairs(buyer)}) FROM customers c WHERE {where})"
        # JSON_EXTRACT keeps a subquery's object an object (not a quoted string) on MariaDB.
        extracted = f"JSON_EXTRACT({person}, '$')"
        return f"JSON_OBJECT({_pairs([*head, ('buyer', extracted)])})"
    # SQLite: json() gives the subquery's text its JSON type back, so it nests as an object.
    person = f"json((SELECT json_object({_pairs(buyer)}) FROM customers c WHERE {where}))"
    return f"json_object({_pairs([*head, ('buyer', person)])})"


def upgrade():
    bind = op.get_bind()
    dialect = bind.dialect.name
    pending = {
        table: bind.execute(
            sa.text(f"SELECT MIN(id), MAX(id) FROM {table} WHERE issued_as IS NULL")
        ).one()
        for table in TABLES
    }
    if all(low is None for low, _ in pending.values()):
        return  # a new shop: nothing was issued before
    settings = load_settings(Session(bind=bind))
    base = issued.dumps(issued.legacy_base(settings))
    # Core statements: `key` is a reserved word on MySQL/MariaDB and needs its quoting.
    bind.execute(SETTINGS.delete().where(SETTINGS.c.key == issued.LEGACY_BASE_KEY))
    bind.execute(SETTINGS.insert().values(key=issued.LEGACY_BASE_KEY, value=base))
    for table, kind in TABLES.items():
        low, high = pending[table]
        if low is None:
            continue
        statement = sa.text(
            f"UPDATE {table} SET issued_as = {_document_json(dialect, table, kind)} "
            "WHERE issued_as IS NULL AND id BETWEEN :low AND :high"
        )
        for start in range(low, high + 1, BATCH):
            bind.execute(statement, {"low": start, "high": min(high, start + BATCH - 1)})


def downgrade():
    for table in TABLES:
        op.execute(
            f"UPDATE {table} SET issued_as = NULL WHERE issued_as LIKE '%\"base\":\"legacy\"%'"
            f" OR issued_as LIKE '%\"base\" : \"legacy\"%'"
        )
    op.get_bind().execute(SETTINGS.delete().where(SETTINGS.c.key == issued.LEGACY_BASE_KEY))
