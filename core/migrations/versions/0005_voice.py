"""The voice line: a row per call (its IVR state) and a row per caller number (language, role, ULB).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import JsonType, UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voice_calls",
        sa.Column("call_sid", sa.String(64), primary_key=True),
        sa.Column("caller", sa.String(32), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("data", JsonType, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "voice_callers",
        sa.Column("number", sa.String(32), primary_key=True),
        sa.Column("language", sa.String(8)),
        sa.Column("role", sa.String(64)),
        sa.Column("ulb", sa.String(64)),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("voice_callers")
    op.drop_table("voice_calls")
