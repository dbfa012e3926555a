"""Trust boundary: who-did-it columns wide enough for every user id a channel allows, and the schema made
exactly what the models say (tickets.updated_at and tickets.pauses NOT NULL, as the code always wrote them).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import JsonType, UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

WIDER = 255  # tickets.models.ACTOR_LENGTH, written out here as migrations are frozen
ACTORS = [("ticket_events", "actor"), ("ticket_messages", "author"), ("problem_events", "actor"),
          ("problem_links", "linked_by")]


def upgrade() -> None:
    for table, column in ACTORS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.String(64), type_=sa.String(WIDER), existing_nullable=False)
    op.execute("UPDATE tickets SET updated_at = created_at WHERE updated_at IS NULL")
    op.execute("UPDATE tickets SET pauses = '[]' WHERE pauses IS NULL")
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("updated_at", existing_type=UtcDateTime(), nullable=False)
        batch.alter_column("pauses", existing_type=JsonType, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("pauses", existing_type=JsonType, nullable=True)
        batch.alter_column("updated_at", existing_type=UtcDateTime(), nullable=True)
    for table, column in ACTORS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.String(WIDER), type_=sa.String(64), existing_nullable=False)
