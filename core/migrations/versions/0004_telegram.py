"""Telegram: updates received by the webhook (stored before they are acknowledged), per-chat state, and
the operators' group topic of each ticket.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import JsonType, UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telegram_updates",
        sa.Column("update_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("payload", JsonType, nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.Column("due_at", UtcDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("processed_at", UtcDateTime),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_telegram_updates_due", "telegram_updates", ["processed_at", "due_at"])
    op.create_table(
        "telegram_chats",
        sa.Column("chat_id", sa.String(32), primary_key=True),
        sa.Column("start_ulb", sa.String(64)),
        sa.Column("blocked_at", UtcDateTime),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "telegram_topics",
        sa.Column("ticket_number", sa.String(32), primary_key=True),
        sa.Column("thread_id", sa.BigInteger, nullable=False, unique=True),
        sa.Column("opened_at", UtcDateTime, nullable=False),
        sa.Column("closed_at", UtcDateTime),
    )


def downgrade() -> None:
    op.drop_table("telegram_topics")
    op.drop_table("telegram_chats")
    op.drop_index("ix_telegram_updates_due", "telegram_updates")
    op.drop_table("telegram_updates")
