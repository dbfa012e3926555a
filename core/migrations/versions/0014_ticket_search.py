"""Ticket search: full-text indexes over ticket descriptions and ticket messages.

PostgreSQL: GIN indexes on `to_tsvector('simple', ...)` (the `simple` configuration lower-cases and splits
on non-letters without stemming, so Odia and Devanagari words are indexed as written). SQLite: FTS5 tables
with external content (the rows stay in `tickets` and `ticket_messages`), kept in step by triggers, so
every writer (the ORM, core.db.direct, a migration) updates them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# Written out, not formatted: FTS5 external-content tables and the triggers that keep them in step
_SQLITE = (
    "CREATE VIRTUAL TABLE tickets_fts USING fts5(description, content='tickets', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",  # letters and marks of every script are word characters
    "INSERT INTO tickets_fts(rowid, description) SELECT id, description FROM tickets",
    "CREATE TRIGGER tickets_fts_ai AFTER INSERT ON tickets BEGIN "
    "INSERT INTO tickets_fts(rowid, description) VALUES (new.id, new.description); END",
    "CREATE TRIGGER tickets_fts_ad AFTER DELETE ON tickets BEGIN "
    "INSERT INTO tickets_fts(tickets_fts, rowid, description) VALUES ('delete', old.id, old.description); END",
    "CREATE TRIGGER tickets_fts_au AFTER UPDATE OF description ON tickets BEGIN "
    "INSERT INTO tickets_fts(tickets_fts, rowid, description) VALUES ('delete', old.id, old.description); "
    "INSERT INTO tickets_fts(rowid, description) VALUES (new.id, new.description); END",
    "CREATE VIRTUAL TABLE ticket_messages_fts USING fts5(text, content='ticket_messages', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "INSERT INTO ticket_messages_fts(rowid, text) SELECT id, text FROM ticket_messages",
    "CREATE TRIGGER ticket_messages_fts_ai AFTER INSERT ON ticket_messages BEGIN "
    "INSERT INTO ticket_messages_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER ticket_messages_fts_ad AFTER DELETE ON ticket_messages BEGIN "
    "INSERT INTO ticket_messages_fts(ticket_messages_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER ticket_messages_fts_au AFTER UPDATE OF text ON ticket_messages BEGIN "
    "INSERT INTO ticket_messages_fts(ticket_messages_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO ticket_messages_fts(rowid, text) VALUES (new.id, new.text); END",
)
_SQLITE_DROP = (
    "DROP TRIGGER tickets_fts_ai", "DROP TRIGGER tickets_fts_ad", "DROP TRIGGER tickets_fts_au",
    "DROP TABLE tickets_fts", "DROP TRIGGER ticket_messages_fts_ai", "DROP TRIGGER ticket_messages_fts_ad",
    "DROP TRIGGER ticket_messages_fts_au", "DROP TABLE ticket_messages_fts",
)


def _postgres_upgrade() -> None:
    op.execute("CREATE INDEX ix_tickets_fts ON tickets USING gin (to_tsvector('simple', description))")
    op.execute("CREATE INDEX ix_ticket_messages_fts ON ticket_messages USING gin (to_tsvector('simple', text))")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE:
            op.execute(statement)
    else:
        _postgres_upgrade()
    op.create_index("ix_tickets_user_id", "tickets", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_tickets_user_id", "tickets")
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_DROP:
            op.execute(statement)
    else:
        op.execute("DROP INDEX ix_tickets_fts")
        op.execute("DROP INDEX ix_ticket_messages_fts")
