"""Scale PLU per product (issue 19): the item code a weighing scale prints on its labels.

`products.scale_plu` (4–6 digits, NULL for products no scale labels), unique among active
products. SQLite and PostgreSQL take a partial unique index; MariaDB has none, so there a
stored generated column that is NULL for archived products carries the unique index (NULLs
never collide), as for `uq_products_active_name`.

The column is added with a plain ADD COLUMN, not a batch rebuild: on SQLite a rebuild of
`products` would drop the triggers that keep its FTS5 search indexes in sync.

Revision ID: d19a5c1e0b77
Revises: c18e5a7f3b42
Create Date: 2026-12-05 23:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d19a5c1e0b77"
down_revision = "c18e5a7f3b42"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("products", sa.Column("scale_plu", sa.String(length=6), nullable=True))
    if op.get_bind().dialect.name == "mysql":
        op.execute(
            "ALTER TABLE products ADD COLUMN active_plu VARCHAR(6) "
            "AS (CASE WHEN archived = 0 THEN scale_plu END) STORED"
        )
        op.create_index("uq_products_active_plu", "products", ["active_plu"], unique=True)
    else:
        op.create_index(
            "uq_products_active_plu",
            "products",
            ["scale_plu"],
            unique=True,
            sqlite_where=sa.text("archived = 0"),
            postgresql_where=sa.text("archived = false"),
        )


def downgrade():
    op.drop_index("uq_products_active_plu", table_name="products")
    if op.get_bind().dialect.name == "mysql":
        op.drop_column("products", "active_plu")
    # SQLite 3.35+ drops a column in place (no rebuild, so the FTS triggers stay).
    op.drop_column("products", "scale_plu")
