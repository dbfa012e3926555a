"""Reliability: a processed event keeps the replies it produced, so a retried request gets them again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import JsonType

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("processed_events") as batch:
        batch.add_column(sa.Column("replies", JsonType))


def downgrade() -> None:
    with op.batch_alter_table("processed_events") as batch:
        batch.drop_column("replies")
