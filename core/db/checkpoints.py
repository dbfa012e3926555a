"""SQLite: WAL checkpoints beside the writer instead of inside its commits.

By default SQLite checkpoints inside whichever COMMIT takes the write-ahead log past 1,000 pages: it copies
them into the database file and syncs it before that COMMIT returns. The process has one writing connection
(core.db.make_engine), so every turn waiting for the writer waits for the checkpoint too: a pause of tens of
milliseconds about once a second at 300 turns/s (bench/README.md). `checkpoint_aside` turns that off on the
writing engine's connections and runs a PASSIVE checkpoint (it neither waits for nor blocks the writer or the
readers, as SQLite's own does not) on a connection of the read engine after every `every` commits, one at a
time, in that connection's aiosqlite thread.

A PASSIVE checkpoint never rewinds the log while a writer keeps appending to it (the next write transaction
starts the log again from its beginning only if every frame has been copied by then): left alone, the log of
a busy server grows without end, and every read looks through it. So when a checkpoint finds the log longer
than `rewind` pages, it runs a RESTART right after: that one waits for the writer's transaction in progress,
holds new ones off while it copies the few frames appended since the PASSIVE one (SQLite's busy handler
makes the writer wait), and has the next writer start the log again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)
EVERY = 100  # commits between checkpoints: each adds a few pages to the log (SQLite's own: 1,000 pages)
REWIND = 2000  # log pages beyond which a checkpoint also rewinds the log (8 MiB of 4 KiB pages)


class Checkpoints:
    """Counts the writer's commits and checkpoints on a reader's connection every `every` of them."""

    def __init__(self, reader: AsyncEngine, every: int, rewind: int) -> None:
        self._reader = reader
        self._every = every
        self._rewind = rewind
        self._commits = 0
        self._running: asyncio.Task[None] | None = None

    def committed(self, *_: Any) -> None:
        """The writer's "commit" listener (runs on the event loop's thread, in SQLAlchemy's greenlet)."""
        self._commits += 1
        if self._commits < self._every or (self._running is not None and not self._running.done()):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a commit made outside any event loop: the next one checkpoints
            return
        self._commits = 0
        self._running = loop.create_task(self._checkpoint())

    async def settled(self) -> None:
        """Returns when no checkpoint is running (one started before is finished)."""
        if self._running is not None:
            await asyncio.shield(self._running)

    async def _checkpoint(self) -> None:
        try:
            async with self._reader.connect() as conn:  # no transaction: a checkpoint cannot run inside one
                driver = (await conn.get_raw_connection()).driver_connection
                assert isinstance(driver, aiosqlite.Connection)
                (_busy, pages, _copied), *_ = await driver.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
                if pages >= self._rewind:
                    await driver.execute_fetchall("PRAGMA wal_checkpoint(RESTART)")
        except Exception:  # the next one tries again; meanwhile the log only grows
            log.exception("WAL checkpoint failed")


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def checkpoint_aside(writer: AsyncEngine, reader: AsyncEngine, every: int = EVERY, rewind: int = REWIND) -> Checkpoints:
    """Checkpoints of `writer`'s SQLite file run on `reader` (core.db.make_read_engine) rather than in the
    writer's commits, every `every` commits, rewinding a log longer than `rewind` pages; call before `writer`
    makes its first connection."""
    checkpoints = Checkpoints(reader, every, rewind)
    event.listen(writer.sync_engine, "connect", _no_autocheckpoint)
    event.listen(writer.sync_engine, "commit", checkpoints.committed)
    return checkpoints
