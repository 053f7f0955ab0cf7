"""Perishable products (issue 19): returns of milk or bread do not go back on the shelf.

`products.perishable` (boolean, NOT NULL, false for every existing product). The return
form's "back on the shelf" box starts from it; nothing else reads it.

The column is added with a plain ADD COLUMN and a server default, not a batch rebuild: on
SQLite a rebuild of `products` would drop the triggers that keep its FTS5 search indexes in
sync. PostgreSQL and MariaDB fill existing rows from the default as well.

Revision ID: d19e7b3a5c21
Revises: d19a4c2e8f10
Create Date: 2026-12-06 02:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d19e7b3a5c21"
down_revision = "d19a4c2e8f10"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "products",
        sa.Column("perishable", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade():
    # SQLite 3.35+ drops a column in place (no rebuild, so the FTS triggers stay).
    op.drop_column("products", "perishable")
