"""The knowledge base's version (bumped on each console save so every server process reloads), and the
changes waiting for a second maintainer's approval.

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from core.db import UtcDateTime

revision = "0015"
down_revision = "0011"
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

    op.create_table(
        "kb_drafts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.String(128), nullable=False),
        sa.Column("replaces", sa.String(128)),
        sa.Column("file", sa.String(255), nullable=False),
        sa.Column("entry", sa.Text, nullable=False),
        sa.Column("started_from", sa.String(16)),
        sa.Column("diff", sa.Text, nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("decided_at", UtcDateTime),
        sa.Column("commit", sa.String(64)),
    )


def downgrade() -> None:
    op.drop_table("kb_drafts")
    op.drop_table("kb_version")
