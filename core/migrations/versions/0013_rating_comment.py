"""A rating's comment: what the user adds after rating the help on a resolved ticket.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("csat_comment", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("csat_comment")
