"""Chat limits counted in the database (core.shared_limits), shared by every server process.

Revision ID: 0021
Revises: 0017
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import UtcDateTime

revision = "0021"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_limit_hits",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(160), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_chat_limit_hits_key_at", "chat_limit_hits", ["key", "at"])
    op.create_index("ix_chat_limit_hits_at", "chat_limit_hits", ["at"])


def downgrade() -> None:
    op.drop_table("chat_limit_hits")
