"""SQLite's write-ahead log is checkpointed beside the writer (core.db.checkpoints): the database file itself
gets the writer's commits, every few of them, while no commit of the writer checkpoints on its own."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from core.db import checkpoint_aside, make_engine, make_read_engine, make_sessions, write_transaction
from core.messages import UserRef
from flows.store import SqlConversationStore
from tests.databases import copy_sqlite

USER = UserRef("telegram", "42")


def _events_in_the_file_alone(url: str, scratch: Path) -> int:
    """The processed events the database file holds without its log (what checkpoints have copied into it)."""
    database = make_url(url).database
    assert database
    shutil.copyfile(database, scratch)
    with sqlite3.connect(scratch) as conn:
        return int(conn.execute("SELECT count(*) FROM processed_events").fetchone()[0])


async def test_every_fifth_commit_reaches_the_database_file_through_a_checkpoint_beside_the_writer(
    sqlite_template: Path, tmp_path: Path,
) -> None:
    url = copy_sqlite(sqlite_template, tmp_path / "helpdesk.db")
    writer, reader = make_engine(url), make_read_engine(url)
    assert reader is not None
    checkpoints = checkpoint_aside(writer, reader, every=5)
    sessions = make_sessions(writer)
    try:
        for n in range(12):
            async with write_transaction(sessions) as tx:
                await SqlConversationStore(tx).claim_event(USER, f"m{n}")
            await checkpoints.settled()
        assert _events_in_the_file_alone(url, tmp_path / "file-alone.db") == 10  # the 11th and 12th: in the log
    finally:
        await writer.dispose()
        await reader.dispose()
