"""WhatsApp: the webhook's inbox, each user's 24-hour window, and the status of what we sent.

Revision ID: 0016
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import JsonType, UtcDateTime

revision = "0016"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_inbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(255), nullable=False, unique=True),
        sa.Column("wa_id", sa.String(32), nullable=False),
        sa.Column("payload", JsonType, nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.Column("due_at", UtcDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("processed_at", UtcDateTime),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_whatsapp_inbox_due", "whatsapp_inbox", ["processed_at", "due_at"])
    op.create_table(
        "whatsapp_contacts",
        sa.Column("wa_id", sa.String(32), primary_key=True),
        sa.Column("last_inbound_at", UtcDateTime),
        sa.Column("window_closed_at", UtcDateTime),
        sa.Column("blocked_at", UtcDateTime),
    )
    op.create_table(
        "whatsapp_sent",
        sa.Column("message_id", sa.String(255), primary_key=True),
        sa.Column("wa_id", sa.String(32), nullable=False),
        sa.Column("outbox_id", sa.BigInteger),
        sa.Column("template", sa.String(512)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_whatsapp_sent_wa_id", "whatsapp_sent", ["wa_id"])
    op.create_index("ix_whatsapp_sent_outbox_id", "whatsapp_sent", ["outbox_id"])


def downgrade() -> None:
    op.drop_table("whatsapp_sent")
    op.drop_table("whatsapp_contacts")
    op.drop_table("whatsapp_inbox")
