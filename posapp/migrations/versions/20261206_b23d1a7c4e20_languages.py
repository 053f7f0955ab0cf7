"""Languages (issue 23): each user's screen language and each customer's language.

`users.language` and `customers.language` (a language code such as "hi", or "" for the default:
the browser's language for screens, the shop's document language for messages). Plain ADD
COLUMN with a server default: no table rebuild, so SQLite's FTS triggers on customers stay.

Revision ID: b23d1a7c4e20
Revises: a22c4e6f8b10
Create Date: 2026-12-06 22:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b23d1a7c4e20"
down_revision = "a22c4e6f8b10"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "users", sa.Column("language", sa.String(8), nullable=False, server_default="")
    )
    op.add_column(
        "customers", sa.Column("language", sa.String(12), nullable=False, server_default="")
    )


def downgrade():
    op.drop_column("customers", "language")
    op.drop_column("users", "language")
