"""Credit limits may be "no limit": customers.credit_limit becomes nullable (issue 19).

NULL is no limit, 0 is no credit allowed, N is a limit in minor units. Existing rows keep
their numbers: a shop's 0 stays "no credit allowed", exactly what it enforced before. The
limit for new customers is a shop setting whose default (₹2,000.00) applies until an admin
saves another, so nothing is written to the settings here.

Revision ID: d19c4e2a8b61
Revises: d19a1f4c8e60
Create Date: 2026-12-05 23:45:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d19c4e2a8b61"
down_revision = "d19a1f4c8e60"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch_alter_table rebuilds the table on SQLite (which cannot alter a column in place)
    # and is a plain ALTER on PostgreSQL and MariaDB; the check constraint lets NULL pass.
    with op.batch_alter_table("customers") as batch:
        batch.alter_column("credit_limit", existing_type=sa.BigInteger(), nullable=True)


def downgrade() -> None:
    # The old schema has no "no limit": the nearest safe meaning is no credit (0), which an
    # admin can raise, rather than inventing a number.
    op.execute("UPDATE customers SET credit_limit = 0 WHERE credit_limit IS NULL")
    with op.batch_alter_table("customers") as batch:
        batch.alter_column("credit_limit", existing_type=sa.BigInteger(), nullable=False)
