"""Operators and shifts, notifications, webhooks, escalation level and CSAT on tickets.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import JsonType, UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("escalation_level", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("csat_fixed", sa.Boolean))
        batch.add_column(sa.Column("csat_rating", sa.Integer))
        batch.add_column(sa.Column("csat_at", UtcDateTime))
    op.create_index("ix_tickets_created", "tickets", ["created_at"])
    op.create_table(
        "operators",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("team", sa.String(64)),
        sa.Column("on_shift", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("away", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("last_assigned_at", UtcDateTime),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("recipient", sa.String(64), nullable=False, index=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id")),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("read_at", UtcDateTime),
    )
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("events", JsonType, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    for table in ("webhooks", "notifications", "operators"):
        op.drop_table(table)
    op.drop_index("ix_tickets_created", "tickets")
    with op.batch_alter_table("tickets") as batch:
        for column in ("csat_at", "csat_rating", "csat_fixed", "escalation_level"):
            batch.drop_column(column)
