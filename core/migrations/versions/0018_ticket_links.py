"""The operators' workspace: tickets merged into another (`tickets.merged_into`), links between duplicate
tickets, and each operator's saved queue filters.

A plain ADD COLUMN on `tickets` (never a batch table copy: on SQLite that would drop the search triggers of
0014) and two new tables.

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import UtcDateTime

revision = "0018"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("merged_into", sa.String(32)))
    op.create_table(
        "ticket_links",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, index=True),
        sa.Column("other_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("ticket_id", "other_id", name="uq_ticket_links_pair"),
    )
    op.create_table(
        "saved_filters",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(64), nullable=False, index=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("query", sa.String(1000), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("owner", "name", name="uq_saved_filters_owner_name"),
    )


def downgrade() -> None:
    op.drop_table("saved_filters")
    op.drop_table("ticket_links")
    op.drop_column("tickets", "merged_into")
