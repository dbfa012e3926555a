"""The conversation engine's own SQLite connection: a turn's transaction without a pool checkout.

Checking a connection out of SQLAlchemy's asyncio pool, beginning and committing through an AsyncSession
cost ~0.4 ms of Python per transaction, more than a whole turn's SQL (bench/README.md). A turn therefore
runs on a connection kept for turns: BEGIN IMMEDIATE and COMMIT go to sqlite3 directly, so do the
statements every turn makes (core.sqlite_direct), and an AsyncSession bound to the same connection
serves the rest (tickets, outbox) inside the same transaction, connected only when first used.

The connection takes its turn to write with the pool's connections to the same file through their shared
lock (InlineConnection.begin_write), so the two never poll SQLite's lock against each other.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import StaticPool

from core.json_columns import SQLITE_JSON
from core.sqlite_inline import InlineConnection, open_inline


@dataclass(frozen=True)
class WriteTransaction:
    """One write transaction: the session, and on SQLite its sqlite3 connection for direct statements."""

    session: AsyncSession
    sqlite: sqlite3.Connection | None = None


class SqliteWriter:
    """Opens write transactions on a connection of its own to one SQLite file (opened at first use)."""

    def __init__(self, path: str, writers: asyncio.Lock, setup: Callable[[sqlite3.Connection], None],
                 on_commit: Callable[[], None] | None = None) -> None:
        self._path = path
        self._writers = writers
        self._on_commit = on_commit
        self._setup = setup  # the pragmas every connection to the file gets (core.db)
        self._conn: InlineConnection | None = None
        self._engine: AsyncEngine | None = None
        self._session: AsyncSession | None = None
        self._trace: Callable[[str], object] | None = None
        self._opening = asyncio.Lock()  # two first turns at once must not open two connections

    def trace(self, callback: Callable[[str], object] | None) -> None:
        """Call `callback` with each statement the connection runs, its BEGIN and COMMIT included (sqlite3's
        trace callback; for benchmarks counting statements per turn)."""
        self._trace = callback
        if self._conn is not None and not self._conn.closed:
            self._conn.raw.set_trace_callback(callback)

    async def _open(self) -> tuple[InlineConnection, AsyncSession]:
        if self._conn is not None and not self._conn.closed and self._session is not None:
            return self._conn, self._session
        async with self._opening:
            return await self._open_now()

    async def _open_now(self) -> tuple[InlineConnection, AsyncSession]:
        if self._conn is None or self._conn.closed or self._session is None:
            await self.close()  # what is left of one SQLAlchemy invalidated (closed) after an error
            conn = open_inline(self._path, writers=self._writers, on_commit=self._on_commit)
            self._setup(conn.raw)
            conn.raw.set_trace_callback(self._trace)

            async def same_connection() -> InlineConnection:
                return conn

            # StaticPool: every session gets this one connection, and only one turn holds it at a time (the
            # writers lock), so no pool bookkeeping is needed; no "begin" listener: the turn has begun already
            engine = create_async_engine("sqlite+aiosqlite://", async_creator=same_connection,
                                         poolclass=StaticPool, pool_reset_on_return=None, **SQLITE_JSON)
            async with engine.connect():  # SQLAlchemy's first connect ends in a ROLLBACK: now, not in a turn
                pass
            # one session for every turn (a turn at a time), emptied after each: making and closing one per
            # turn was a twentieth of a turn's time
            self._conn, self._engine = conn, engine
            self._session = async_sessionmaker(engine, expire_on_commit=False)()
        return self._conn, self._session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[WriteTransaction]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK if the block raises."""
        conn, session = await self._open()
        await conn.begin_write()
        try:
            yield WriteTransaction(session, conn.raw)
            if session.in_transaction():
                await session.commit()  # flushes the session; its COMMIT is the turn's (one connection)
            await conn.commit()  # nothing to do if the session committed already, but release the lock
        except BaseException:
            try:
                if session.in_transaction():
                    await session.rollback()
            finally:
                await conn.rollback()
            raise
        finally:
            session.expunge_all()  # the next turn loads afresh what it reads (expire_on_commit is off)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._engine is not None:
            await self._engine.dispose()  # closes the connection if a session ever used it
        if self._conn is not None:
            self._conn.stop()
        self._conn = self._engine = self._session = None
