"""Tickets, deflections, conversations and processed events.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import JsonType, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(32), unique=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("role", sa.String(64)),
        sa.Column("ulb", sa.String(64)),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("module", sa.String(64), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("priority", sa.String(4), nullable=False),
        sa.Column("priority_reason", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("attachments", JsonType, nullable=False),
        sa.Column("transcript", JsonType, nullable=False),
        sa.Column("faq_offered", JsonType, nullable=False),
        sa.Column("faq_rejected", JsonType, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_tickets_user", "tickets", ["channel", "user_id"])
    op.create_table(
        "deflections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("entry_id", sa.String(128), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("ulb", sa.String(64)),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("data", JsonType, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("channel", "user_id", name="uq_conversations_user"),
    )
    op.create_table(
        "processed_events",
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("message_id", sa.String(128), primary_key=True),
        sa.Column("processed_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    for table in ("processed_events", "conversations", "deflections", "tickets"):
        op.drop_table(table)
