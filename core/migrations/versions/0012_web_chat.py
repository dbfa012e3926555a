"""Web chat: a browser's conversation (language, resume code) and the bubbles its page redraws.

Revision ID: 0012
Revises: 0016
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import JsonType, UtcDateTime

revision = "0012"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_chats",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("resume_code", sa.String(16), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_web_chats_resume_code", "web_chats", ["resume_code"], unique=True)
    op.create_table(
        "web_chat_lines",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("ticket", sa.String(32), nullable=True),
        sa.Column("photo", sa.String(80), nullable=True),
        sa.Column("choices", JsonType, nullable=True),
    )
    op.create_index("ix_web_chat_lines_user", "web_chat_lines", ["user_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_web_chat_lines_user", "web_chat_lines")
    op.drop_table("web_chat_lines")
    op.drop_index("ix_web_chats_resume_code", "web_chats")
    op.drop_table("web_chats")
