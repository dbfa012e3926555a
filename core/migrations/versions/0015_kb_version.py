"""The knowledge base's version: bumped on each console save so every server process reloads.

Revision ID: 0015
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from core.db import UtcDateTime

revision = "0015"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "kb_version",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("updated_by", sa.String(64)),
    )
    op.bulk_insert(table, [{"id": 1, "version": 0, "updated_at": datetime(2026, 12, 2, tzinfo=UTC)}])


def downgrade() -> None:
    op.drop_table("kb_version")
