"""UPI at the counter (issue 20): a payment's reference and the UPI bill reference.

`payments.reference` (up to 35 characters, "" for none) is what the cashier typed when the
money arrived: the 12-digit UTR of a UPI payment, or a card slip's reference.
`payments.upi_tr` (up to 35 letters and digits, "" for none) is the `tr` the till put in the
UPI QR it showed for that payment, so the shop's UPI statement (which repeats the `tr`) can
be matched to the bill. Both are plain ADD COLUMNs with a server default, so every existing
row reads "" and nothing is rebuilt.

Revision ID: e20b7a3c5d91
Revises: d19e7b3a5c21
Create Date: 2026-12-06 02:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e20b7a3c5d91"
down_revision = "d19e7b3a5c21"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "payments",
        sa.Column("reference", sa.String(length=35), nullable=False, server_default=""),
    )
    op.add_column(
        "payments",
        sa.Column("upi_tr", sa.String(length=35), nullable=False, server_default=""),
    )


def downgrade():
    op.drop_column("payments", "upi_tr")
    op.drop_column("payments", "reference")
