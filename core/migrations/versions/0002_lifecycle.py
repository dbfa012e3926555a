"""Ticket lifecycle: version, assignee, SLA fields, audit events, messages, outbox, API tokens.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import JsonType, UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("assignee", sa.String(64)))
        batch.add_column(sa.Column("escalated_to", sa.String(64)))
        batch.add_column(sa.Column("updated_at", UtcDateTime))
        batch.add_column(sa.Column("first_response_at", UtcDateTime))
        batch.add_column(sa.Column("resolved_at", UtcDateTime))
        batch.add_column(sa.Column("closed_at", UtcDateTime))
        batch.add_column(sa.Column("response_due_at", UtcDateTime))
        batch.add_column(sa.Column("resolution_due_at", UtcDateTime))
        batch.add_column(sa.Column("sla_status", sa.String(16), nullable=False, server_default="on_time"))
        batch.add_column(sa.Column("waiting_since", UtcDateTime))
        batch.add_column(sa.Column("pauses", JsonType))
        batch.add_column(sa.Column("parent_number", sa.String(32)))
    op.create_index("ix_tickets_due", "tickets", ["response_due_at", "number"])
    # the active queue in SLA order (tickets.lifecycle.ACTIVE_SQL, written out here as migrations are frozen)
    active = sa.text("status IN ('escalated', 'new', 'open', 'reopened', 'waiting_on_user')")
    op.create_index("ix_tickets_active_due", "tickets", ["response_due_at", "number"], sqlite_where=active,
                    postgresql_where=active)
    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, index=True),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("before", JsonType, nullable=False),
        sa.Column("after", JsonType, nullable=False),
        sa.Column("reason", sa.Text),
    )
    op.create_table(
        "ticket_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, index=True),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id")),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", JsonType, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UtcDateTime, nullable=False),
        sa.Column("delivered_at", UtcDateTime),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_outbox_pending", "outbox", ["channel", "user_id", "delivered_at"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("team", sa.String(64)),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("revoked_at", UtcDateTime),
    )


def downgrade() -> None:
    for table in ("api_tokens", "outbox", "ticket_messages", "ticket_events"):
        op.drop_table(table)
    op.drop_index("ix_tickets_active_due", "tickets")
    op.drop_index("ix_tickets_due", "tickets")
    with op.batch_alter_table("tickets") as batch:
        for column in ("parent_number", "pauses", "waiting_since", "sla_status", "resolution_due_at",
                       "response_due_at", "closed_at", "resolved_at", "first_response_at", "updated_at",
                       "escalated_to", "assignee", "version"):
            batch.drop_column(column)
