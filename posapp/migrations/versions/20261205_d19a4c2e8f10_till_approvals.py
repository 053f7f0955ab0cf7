"""Till approvals (issue 19): admin PINs and the stock policy.

- `users.pin_hash`: an admin's till PIN, hashed like a password (NULL: no PIN).
- The setting `allow_negative_stock` becomes `stock_policy`: on ("1") becomes "warn" (sell
  and tell), off or never saved becomes "block" (an admin approves a short sale at the till).

Revision ID: d19a4c2e8f10
Revises: d19c4e2a8b61
Create Date: 2026-12-05 23:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d19a4c2e8f10"
down_revision = "d19c4e2a8b61"
branch_labels = None
depends_on = None

SETTINGS = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.Text))
YES = ("1", "true", "yes", "on")


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("pin_hash", sa.String(length=256), nullable=True))
    bind = op.get_bind()
    old = bind.execute(
        sa.select(SETTINGS.c.value).where(SETTINGS.c.key == "allow_negative_stock")
    ).scalar()
    if old is not None:
        policy = "warn" if old.strip().lower() in YES else "block"
        bind.execute(sa.delete(SETTINGS).where(SETTINGS.c.key == "allow_negative_stock"))
        bind.execute(sa.insert(SETTINGS).values(key="stock_policy", value=policy))


def downgrade():
    bind = op.get_bind()
    policy = bind.execute(
        sa.select(SETTINGS.c.value).where(SETTINGS.c.key == "stock_policy")
    ).scalar()
    if policy is not None:
        bind.execute(sa.delete(SETTINGS).where(SETTINGS.c.key == "stock_policy"))
        bind.execute(
            sa.insert(SETTINGS).values(
                key="allow_negative_stock", value="1" if policy == "warn" else "0"
            )
        )
    with op.batch_alter_table("users") as batch:
        batch.drop_column("pin_hash")
