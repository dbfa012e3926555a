"""SQLite: WAL checkpoints beside the writer instead of inside its commits.

By default SQLite checkpoints inside whichever COMMIT takes the write-ahead log past 1,000 pages: it copies
them into the database file and syncs it before that COMMIT returns. The process has one writing connection
(core.db.make_engine), so every turn waiting for the writer waits for the checkpoint too: a pause of tens of
milliseconds about once a second at 300 turns/s (bench/README.md). `checkpoint_aside` turns that off on the
writing engine's connections and runs a PASSIVE checkpoint (it neither waits for nor blocks the writer or the
readers, as SQLite's own does not) on a connection of the read engine after every `every` commits, one at a
time, in that connection's aiosqlite thread. Once a checkpoint has copied the whole log, the next writer starts
it again from the beginning, as before.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)
EVERY = 200  # commits between checkpoints: each adds a few pages to the log (SQLite's own: 1,000 pages)


class Checkpoints:
    """Counts the writer's commits and checkpoints on a reader's connection every `every` of them."""

    def __init__(self, reader: AsyncEngine, every: int) -> None:
        self._reader = reader
        self._every = every
        self._commits = 0
        self._running: asyncio.Task[None] | None = None

    def committed(self, *_: Any) -> None:
        """The writer's "commit" listener (runs on the event loop's thread, in SQLAlchemy's greenlet)."""
        self._commits += 1
        if self._commits < self._every or (self._running is not None and not self._running.done()):
            return
        self._commits = 0
        self._running = asyncio.get_running_loop().create_task(self._checkpoint())

    async def settled(self) -> None:
        """Returns when no checkpoint is running (one started before is finished)."""
        if self._running is not None:
            await asyncio.shield(self._running)

    async def _checkpoint(self) -> None:
        try:
            async with self._reader.connect() as conn:  # no transaction: a checkpoint cannot run inside one
                driver = (await conn.get_raw_connection()).driver_connection
                assert isinstance(driver, aiosqlite.Connection)
                await driver.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:  # the next one tries again; meanwhile the log only grows
            log.exception("WAL checkpoint failed")


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def checkpoint_aside(writer: AsyncEngine, reader: AsyncEngine, every: int = EVERY) -> Checkpoints:
    """Checkpoints of `writer`'s SQLite file run on `reader` (core.db.make_read_engine) rather than in the
    writer's commits; call before `writer` makes its first connection."""
    checkpoints = Checkpoints(reader, every)
    event.listen(writer.sync_engine, "connect", _no_autocheckpoint)
    event.listen(writer.sync_engine, "commit", checkpoints.committed)
    return checkpoints
