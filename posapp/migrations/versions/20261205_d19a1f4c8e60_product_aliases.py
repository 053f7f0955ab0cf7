"""Product aliases: the search words people say ("chini", "aata") beside the printed name.

`products.aliases` holds them normalised (lower-case, comma-separated, no spaces around the
commas: "chini,cheeni,shakkar"). On SQLite the word-prefix index `products_fts` is rebuilt
with an `aliases` column and its triggers follow that column too; the trigram index of names
(`products_trgm`) is unchanged but kept by the same triggers. PostgreSQL and MariaDB search
the column with LIKE, so they only get the column.

Revision ID: d19a1f4c8e60
Revises: d19a5c1e0b77
Create Date: 2026-12-05 23:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d19a1f4c8e60"
down_revision = "d19a5c1e0b77"
branch_labels = None
depends_on = None

DROP_FTS = [
    "DROP TRIGGER IF EXISTS products_fts_au",
    "DROP TRIGGER IF EXISTS products_fts_ad",
    "DROP TRIGGER IF EXISTS products_fts_ai",
    "DROP TABLE IF EXISTS products_fts",
]
# Written out (not built from a column list), so each statement reads as it runs.
WITH_ALIASES = [
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
# What revision 5a27cfc83f18 made, for the downgrade.
WITHOUT_ALIASES = [
    "CREATE VIRTUAL TABLE products_fts USING fts5(name, code, content='products', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')",
    """CREATE TRIGGER products_fts_ai AFTER INSERT ON products BEGIN
        INSERT INTO products_fts(rowid, name, code) VALUES (new.id, new.name, new.code);
        INSERT INTO products_trgm(rowid, name) VALUES (new.id, new.name);
    END""",
    """CREATE TRIGGER products_fts_ad AFTER DELETE ON products BEGIN
        INSERT INTO products_fts(products_fts, rowid, name, code)
            VALUES ('delete', old.id, old.name, old.code);
        INSERT INTO products_trgm(products_trgm, rowid, name) VALUES ('delete', old.id, old.name);
    END""",
    """CREATE TRIGGER products_fts_au AFTER UPDATE OF name, code ON products BEGIN
        INSERT INTO products_fts(products_fts, rowid, name, code)
            VALUES ('delete', old.id, old.name, old.code);
        INSERT INTO products_trgm(products_trgm, rowid, name) VALUES ('delete', old.id, old.name);
        INSERT INTO products_fts(rowid, name, code) VALUES (new.id, new.name, new.code);
        INSERT INTO products_trgm(rowid, name) VALUES (new.id, new.name);
    END""",
    "INSERT INTO products_fts(products_fts) VALUES ('rebuild')",
]


def upgrade():
    op.add_column(
        "products", sa.Column("aliases", sa.String(400), nullable=False, server_default="")
    )
    if op.get_bind().dialect.name == "sqlite":
        for statement in DROP_FTS + WITH_ALIASES:
            op.execute(statement)


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for statement in DROP_FTS:
            op.execute(statement)
    if sqlite:
        # SQLite (3.35+) drops a column in place; a batch copy of products would lose the
        # expression index on lower(name).
        op.execute("ALTER TABLE products DROP COLUMN aliases")
    else:
        op.drop_column("products", "aliases")
    if sqlite:
        for statement in WITHOUT_ALIASES:
            op.execute(statement)
