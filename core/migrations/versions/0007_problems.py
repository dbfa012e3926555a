"""Known problems: problems, the tickets linked to them, their audit trail, and spotted proposals.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import JsonType, UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "problems",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("module", sa.String(64), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("priority", sa.String(4), nullable=False),
        sa.Column("ulb", sa.String(64)),
        sa.Column("workaround", sa.Text),
        sa.Column("jira_key", sa.String(32)),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("fixed_at", UtcDateTime),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    )
    op.create_table(
        "problem_links",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("problem_id", sa.Integer, sa.ForeignKey("problems.id"), nullable=False, index=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, unique=True),
        sa.Column("linked_by", sa.String(64), nullable=False),
        sa.Column("linked_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "problem_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("problem_id", sa.Integer, sa.ForeignKey("problems.id"), nullable=False, index=True),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("before", JsonType, nullable=False),
        sa.Column("after", JsonType, nullable=False),
        sa.Column("reason", sa.Text),
    )
    op.create_table(
        "problem_proposals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("group_key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("module", sa.String(64), nullable=False),
        sa.Column("ulb", sa.String(64)),
        sa.Column("keywords", JsonType, nullable=False),
        sa.Column("ticket_ids", JsonType, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("decided_at", UtcDateTime),
        sa.Column("problem_id", sa.Integer, sa.ForeignKey("problems.id")),
        sa.UniqueConstraint("group_key", name="uq_problem_proposals_group"),
    )


def downgrade() -> None:
    for table in ("problem_proposals", "problem_events", "problem_links", "problems"):
        op.drop_table(table)
