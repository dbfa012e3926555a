"""JIRA hand-off: the JIRA issue key on tickets, and the webhook deliveries already applied.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("jira_key", sa.String(32)))
    op.create_index("ix_tickets_jira_key", "tickets", ["jira_key"])
    op.create_table(
        "jira_inbound",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_key", sa.String(200), nullable=False, unique=True),
        sa.Column("received_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("jira_inbound")
    op.drop_index("ix_tickets_jira_key", "tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("jira_key")
