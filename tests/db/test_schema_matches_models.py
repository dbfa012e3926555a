"""A freshly migrated database is exactly what the models describe (columns, types, nullability, indexes),
on each database the suite runs: a model changed without a migration, or a migration without its model,
fails here."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

import api.accounts
import api.tokens  # noqa: F401 (every package's tables on the shared metadata)
import app.wiring  # noqa: F401
import bot.email_models
import bot.voice_store
import bot.whatsapp_models  # noqa: F401
from core.db import Base, sync_url


def _not_search_index(name: str | None, kind: str, parent: Any) -> bool:
    """Ticket search's full-text structures are the search's own (migration 0014), not models: SQLite's FTS5
    tables (kept by triggers) and PostgreSQL's GIN expression indexes."""
    return not (name is not None and kind in ("table", "index") and ("_fts_" in name or name.endswith("_fts")))


def test_a_migrated_database_has_exactly_the_models_schema(database_url: str) -> None:
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "include_name": _not_search_index})
            differences: list[Any] = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == [], "\n".join(str(d) for d in differences)
