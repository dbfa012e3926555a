"""What a channel reports of a delivered outbox item (accepted, sent, delivered, read, failed: WhatsApp's
statuses), and the ticket message an item carries, so the ticket page shows each reply's receipt; and the
operators' files a WhatsApp user gets when they next write (a template outside the 24-hour window cannot
carry them).

Plain ADD COLUMNs: no table copy (see migration 0014's triggers).

Revision ID: 0019
Revises: 0015
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import JsonType, UtcDateTime

revision = "0019"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("message_id", sa.Integer, nullable=True))
    op.add_column("outbox", sa.Column("receipt", sa.String(16), nullable=True))
    op.add_column("outbox", sa.Column("receipt_at", UtcDateTime, nullable=True))
    op.add_column("outbox", sa.Column("receipt_error", sa.Text, nullable=True))
    op.add_column("whatsapp_contacts", sa.Column("held_files", JsonType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("whatsapp_contacts") as batch:
        batch.drop_column("held_files")
    with op.batch_alter_table("outbox") as batch:  # the outbox has no search triggers to lose
        for column in ("receipt_error", "receipt_at", "receipt", "message_id"):
            batch.drop_column(column)
