"""WAL checkpoints of the server's SQLite connections, run in a worker thread instead of inside a COMMIT.

With WAL, SQLite copies the log back into the database file (a checkpoint, with `synchronous=NORMAL` the
only time it waits for the disk) inside whichever COMMIT takes the log past 1,000 pages: on the event
loop's thread, a pause of 10-20 ms for that turn and for every turn queued behind it (most turns slower
than 8 ms were such commits; bench/README.md). The server's writing connections therefore never
checkpoint themselves (`wal_autocheckpoint=0`, core.sqlite_inline); every `every` commits a PASSIVE
checkpoint runs on a connection of its own in a worker thread, which neither waits for the writers nor
holds them up (sqlite3 lets go of the GIL while SQLite works).

A PASSIVE checkpoint copies what was committed when it started; the log is rewound, and stops growing,
only when a writer begins after one has copied everything. A writer that is never idle would not let
that happen, so once the log passes `restart_pages` a checkpoint takes the writers' lock (theirs in turn,
core.sqlite_inline) and rewinds it (RESTART): a pause, but once per that many pages, not per 1,000.
Blocking connections (migrations, the CLI) keep SQLite's own automatic checkpoints.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

log = logging.getLogger(__name__)

EVERY_COMMITS = 100
RESTART_PAGES = 10_000  # ~40 MB of log


class Checkpointer:
    def __init__(self, path: str, writers: asyncio.Lock, every: int = EVERY_COMMITS,
                 restart_pages: int = RESTART_PAGES) -> None:
        self._path = path
        self._writers = writers
        self._every = every
        self._restart_pages = restart_pages
        self._commits = 0
        self._running: asyncio.Task[None] | None = None
        self._conn: sqlite3.Connection | None = None

    def committed(self) -> None:
        """Count a commit; start a checkpoint in the background when one is due and none is running."""
        self._commits += 1
        if self._commits < self._every or (self._running is not None and not self._running.done()):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on the loop (a connection closed by the garbage collector)
            return
        self._commits = 0
        self._running = loop.create_task(self._checkpoint())

    async def _checkpoint(self) -> None:
        try:
            _busy, logged, _copied = await asyncio.to_thread(self._run, "PASSIVE")
            if logged >= self._restart_pages:
                async with self._writers:
                    await asyncio.to_thread(self._run, "RESTART")
        except sqlite3.Error as error:  # the next one copies what this one could not
            log.warning("WAL checkpoint of %s failed: %s", self._path, error)

    def _run(self, mode: str) -> tuple[int, int, int]:
        if self._conn is None:
            self._conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA busy_timeout=1000")  # RESTART waits this long for readers
        busy, logged, copied = self._conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        return int(busy), int(logged), int(copied)

    async def close(self) -> None:
        """Wait for a running checkpoint and close the connection (the last connection to close copies the
        rest of the log back itself)."""
        if self._running is not None:
            await self._running
            self._running = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
