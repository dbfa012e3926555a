"""E-mail: the mailbox's position, the mails fetched (each once), senders' pending answers, the mails sent.

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import JsonType, UtcDateTime

revision = "0017"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_mailbox",
        sa.Column("folder", sa.String(255), primary_key=True),
        sa.Column("uid_validity", sa.BigInteger, nullable=False),
        sa.Column("last_uid", sa.BigInteger, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "email_inbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("message_key", sa.String(255), nullable=False, unique=True),
        sa.Column("uid", sa.BigInteger, nullable=False),
        sa.Column("uid_validity", sa.BigInteger, nullable=False),
        sa.Column("sender", sa.String(320), nullable=False),
        sa.Column("raw_ref", sa.String(255)),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("too_large", sa.Boolean, nullable=False),
        sa.Column("headers", sa.Text, nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.Column("due_at", UtcDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("processed_at", UtcDateTime),
        sa.Column("answer", JsonType),
        sa.Column("outcome", sa.String(64)),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_email_inbox_due", "email_inbox", ["processed_at", "due_at"])
    op.create_index("ix_email_inbox_sender", "email_inbox", ["sender", "received_at"])
    op.create_table(
        "email_contacts",
        sa.Column("address", sa.String(320), primary_key=True),
        sa.Column("language", sa.String(8)),
        sa.Column("pending", JsonType, nullable=False),
        sa.Column("unreachable_at", UtcDateTime),
        sa.Column("limited_at", UtcDateTime),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "email_sent",
        sa.Column("message_id", sa.String(255), primary_key=True),
        sa.Column("token", sa.String(64), nullable=False, unique=True),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("ticket", sa.String(32)),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("references", sa.Text, nullable=False),
        sa.Column("choices", JsonType, nullable=False),
        sa.Column("outbox_id", sa.BigInteger),
        sa.Column("sent_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_email_sent_address", "email_sent", ["address"])
    op.create_index("ix_email_sent_ticket", "email_sent", ["ticket"])
    op.create_index("ix_email_sent_outbox_id", "email_sent", ["outbox_id"])


def downgrade() -> None:
    op.drop_table("email_sent")
    op.drop_table("email_contacts")
    op.drop_table("email_inbox")
    op.drop_table("email_mailbox")
