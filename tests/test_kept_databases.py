"""A module's database kept once and restored for each of its tests (tests/databases.py): each test must find
exactly the kept rows, and the next row the numbers it would have had."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, create_engine, delete, insert, select, update

from core.db import sync_url
from tests.clock import START
from tests.databases import keep, restore
from tickets.models import NotificationRow

NOTES = cast(Table, NotificationRow.__table__)


def _note(recipient: str) -> dict[str, Any]:
    return {"recipient": recipient, "kind": "sla_at_risk", "text": "HD-000001 is at risk", "created_at": START}


def test_a_restored_database_has_the_kept_rows_and_numbers_the_next_one_as_then(
    module_database_url: str, tmp_path: Path
) -> None:
    engine = create_engine(sync_url(module_database_url))
    try:
        with engine.begin() as conn:
            conn.execute(insert(NOTES), [_note("op-1"), _note("op-2")])
        kept = keep(module_database_url, tmp_path / "kept.db")
        with engine.begin() as conn:
            conn.execute(delete(NOTES).where(NOTES.c.recipient == "op-1"))
            conn.execute(update(NOTES).values(read_at=START))
            conn.execute(insert(NOTES), [_note("op-3")])
        engine.dispose()  # SQLite's file is replaced: no connection may be open
        restore(kept)
        with engine.begin() as conn:
            rows = conn.execute(select(NOTES.c.id, NOTES.c.recipient, NOTES.c.read_at).order_by(NOTES.c.id)).all()
            assert [tuple(row) for row in rows] == [(1, "op-1", None), (2, "op-2", None)]
            after = conn.execute(insert(NOTES).returning(NOTES.c.id), [_note("op-4")]).scalar_one()
        assert after == 3  # PostgreSQL: the sequence is back where it stood, not past op-3
    finally:
        engine.dispose()
