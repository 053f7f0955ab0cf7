"""Search across scripts ("cheeni", "chini", "चीनी"): each product's phonetic search keys.

`products.name_key` and `products.alias_key` hold the loose keys of the name's and the
aliases' words (services/translit.py: "चीनी 1 kg" -> "cini 1 kg"), written by the app with
the name and the aliases. Existing products get theirs here, computed by today's
services/translit.py (a later change of its rules comes with a migration that recomputes them).

On SQLite `products_fts` is rebuilt with the two key columns, and its triggers follow them;
the ordinary search names its columns (`{name code aliases}`), so the keys never change what
it finds. The trigram index of names (`products_trgm`) is unchanged and kept by the same
triggers. PostgreSQL and MariaDB search the columns with LIKE, so they only get the columns.
Plain added columns, so no batch rebuild of `products` (its FTS triggers).

Revision ID: b23d5f7a9c12
Revises: b23d1a7c4e20
Create Date: 2026-12-06 23:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

from posapp.services.translit import alias_key, name_key

# revision identifiers, used by Alembic.
revision = "b23d5f7a9c12"
down_revision = "b23d1a7c4e20"
branch_labels = None
depends_on = None

BATCH = 2000

DROP_FTS = [
    "DROP TRIGGER IF EXISTS products_fts_au",
    "DROP TRIGGER IF EXISTS products_fts_ad",
    "DROP TRIGGER IF EXISTS products_fts_ai",
    "DROP TABLE IF EXISTS products_fts",
]
# Written out (not built from a column list), so each statement reads as it runs.
WITH_KEYS = [
    "CREATE VIRTUAL TABLE products_fts USING fts5(name, code, aliases, name_key, alias_key, "
    "content='products', content_rowid='id', tokenize='unicode61 remove_diacritics 2', "
    "prefix='1 2 3')",
    """CREATE TRIGGER products_fts_ai AFTER INSERT ON products BEGIN
        INSERT INTO products_fts(rowid, name, code, aliases, name_key, alias_key)
            VALUES (new.id, new.name, new.code, new.aliases, new.name_key, new.alias_key);
        INSERT INTO products_trgm(rowid, name) VALUES (new.id, new.name);
    END""",
    """CREATE TRIGGER products_fts_ad AFTER DELETE ON products BEGIN
        INSERT INTO products_fts(products_fts, rowid, name, code, aliases, name_key, alias_key)
            VALUES ('delete', old.id, old.name, old.code, old.aliases, old.name_key,
                    old.alias_key);
        INSERT INTO products_trgm(products_trgm, rowid, name) VALUES ('delete', old.id, old.name);
    END""",
    """CREATE TRIGGER products_fts_au AFTER UPDATE OF name, code, aliases, name_key, alias_key
    ON products BEGIN
        INSERT INTO products_fts(products_fts, rowid, name, code, aliases, name_key, alias_key)
            VALUES ('delete', old.id, old.name, old.code, old.aliases, old.name_key,
                    old.alias_key);
        INSERT INTO products_trgm(products_trgm, rowid, name) VALUES ('delete', old.id, old.name);
        INSERT INTO products_fts(rowid, name, code, aliases, name_key, alias_key)
            VALUES (new.id, new.name, new.code, new.aliases, new.name_key, new.alias_key);
        INSERT INTO products_trgm(rowid, name) VALUES (new.id, new.name);
    END""",
    "INSERT INTO products_fts(products_fts) VALUES ('rebuild')",
]
# What revision d19a1f4c8e60 made, for the downgrade.
WITHOUT_KEYS = [
    "CREATE VIRTUAL TABLE products_fts USING fts5(name, code, aliases, content='products', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')",
    """CREATE TRIGGER products_fts_ai AFTER INSERT ON products BEGIN
        INSERT INTO products_fts(rowid, name, code, aliases)
            VALUES (new.id, new.name, new.code, new.aliases);
        INSERT INTO products_trgm(rowid, name) VALUES (new.id, new.name);
    END""",
    """CREATE TRIGGER products_fts_ad AFTER DELETE ON products BEGIN
        INSERT INTO products_fts(products_fts, rowid, name, code, aliases)
            VALUES ('delete', old.id, old.name, old.code, old.aliases);
        INSERT INTO products_trgm(products_trgm, rowid, name) VALUES ('delete', old.id, old.name);
    END""",
    """CREATE TRIGGER products_fts_au AFTER UPDATE OF name, code, aliases ON products BEGIN
        INSERT INTO products_fts(products_fts, rowid, name, code, aliases)
            VALUES ('delete', old.id, old.name, old.code, old.aliases);
        INSERT INTO products_trgm(products_trgm, rowid, name) VALUES ('delete', old.id, old.name);
        INSERT INTO products_fts(rowid, name, code, aliases)
            VALUES (new.id, new.name, new.code, new.aliases);
        INSERT INTO products_trgm(rowid, name) VALUES (new.id, new.name);
    END""",
    "INSERT INTO products_fts(products_fts) VALUES ('rebuild')",
]


def _fill_keys():
    """Give every existing product its keys, a batch of ids at a time."""
    bind = op.get_bind()
    products = sa.table(
        "products",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("aliases", sa.String),
        sa.column("name_key", sa.String),
        sa.column("alias_key", sa.String),
    )
    fill = (
        products.update()
        .where(products.c.id == sa.bindparam("pid"))
        .values(name_key=sa.bindparam("nk"), alias_key=sa.bindparam("ak"))
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(products.c.id, products.c.name, products.c.aliases)
            .where(products.c.id > last)
            .order_by(products.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            fill,
            [
                {"pid": pid, "nk": name_key(name), "ak": alias_key(aliases or "")}
                for pid, name, aliases in rows
            ],
        )
        last = rows[-1][0]


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column(
        "products", sa.Column("name_key", sa.String(400), nullable=False, server_default="")
    )
    op.add_column(
        "products", sa.Column("alias_key", sa.String(1000), nullable=False, server_default="")
    )
    if sqlite:
        # The old triggers would rewrite both FTS indexes for every product filled; the new
        # index is built once, after.
        for statement in DROP_FTS:
            op.execute(statement)
    _fill_keys()
    if sqlite:
        for statement in WITH_KEYS:
            op.execute(statement)


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for statement in DROP_FTS:
            op.execute(statement)
        # SQLite (3.35+) drops a column in place; a batch copy of products would lose the
        # expression index on lower(name).
        op.execute("ALTER TABLE products DROP COLUMN alias_key")
        op.execute("ALTER TABLE products DROP COLUMN name_key")
        for statement in WITHOUT_KEYS:
            op.execute(statement)
    else:
        op.drop_column("products", "alias_key")
        op.drop_column("products", "name_key")
