"""Database engine, sessions and schema upgrades, the same for SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Engine, TypeDecorator, create_engine, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

from core import sqlite_inline
from core.idle_ping import ping_when_idle
from core.json_columns import SQLITE_JSON
from core.sqlite_checkpoints import Checkpointer
from core.sqlite_writer import SqliteWriter, WriteTransaction

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_LOCK = 0x6865_6C70_6465_736B  # "helpdesk": the PostgreSQL advisory lock held while migrating
JsonType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    """Declarative base shared by every package's tables (one schema, one migration history)."""


def async_url(url: str) -> str:
    """The same database with an asyncio driver: aiosqlite for SQLite, psycopg for PostgreSQL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def sync_url(url: str) -> str:
    """The same database with a blocking driver, for migrations."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite").render_as_string(hide_password=False)
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_connect(dbapi_connection: Any, record: Any) -> None:
    """A blocking sqlite3 connection (migrations, tools): WAL, and waits for the lock up to 30 s."""
    # Take BEGIN away from the driver so that every transaction starts as BEGIN IMMEDIATE below: a writer
    # then waits for the lock up front instead of failing on upgrade from a read lock.
    dbapi_connection.isolation_level = None
    _sqlite_pragmas(dbapi_connection, record)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


class SqliteEngine(AsyncEngine):
    """The asyncio engine of a SQLite file, with the conversation engine's writer beside its pool."""

    def __init__(self, sync_engine: Engine, writer: SqliteWriter, checkpoints: Checkpointer) -> None:
        super().__init__(sync_engine)
        self.writer = writer
        self.checkpoints = checkpoints

    async def dispose(self, close: bool = True) -> None:
        await self.writer.close()
        await self.checkpoints.close()
        await super().dispose(close)


@asynccontextmanager
async def write_transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[WriteTransaction]:
    """A write transaction, committed when the block ends: on a SQLite file the writer's (core.sqlite_writer),
    elsewhere a session's from `sessions`."""
    bind = sessions.kw.get("bind")
    if isinstance(bind, SqliteEngine):
        async with bind.writer.transaction() as transaction:
            yield transaction
        return
    async with sessions() as session, session.begin():
        yield WriteTransaction(session)


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An asyncio engine for `url`; SQLite gets WAL, foreign keys and serialised writers.

    On SQLite (a SqliteEngine) the pool keeps one connection, and the conversation engine's turns have one
    of their own (`writer`, core.sqlite_writer). Every write transaction takes the write lock (BEGIN
    IMMEDIATE), so two could never run at once anyway; the two connections take turns through one asyncio
    lock, handed over at COMMIT, instead of SQLite's busy handler, which sleeps in steps of up to 100 ms
    (bench/README.md: the queue's p99 at 10 concurrent clients fell from 1.8 s to 0.5 s on a loaded machine
    when the pool went down to one connection). Both run on the event loop's thread (core.sqlite_inline),
    and leave WAL checkpoints to a worker thread (`checkpoints`, core.sqlite_checkpoints).
    """
    if is_sqlite(url):
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
    # Every session and connection here ends its transaction (commit, rollback, or close, which rolls back),
    # so the pool's own rollback on check-in is a redundant round trip (to aiosqlite's thread, or the server).
    kwargs.setdefault("pool_reset_on_return", None)
    if not is_sqlite(url):
        server = create_async_engine(async_url(url), **kwargs)
        ping_when_idle(server)  # a connection dropped while the server was unreachable is replaced, not reused
        return server
    path, writers = _sqlite_path(url), asyncio.Lock()
    checkpoints = Checkpointer(path, writers)
    connect = sqlite_inline.connector(path, writers=writers, on_commit=checkpoints.committed)
    pooled = create_async_engine(async_url(url), async_creator=connect, **SQLITE_JSON, **kwargs)
    event.listen(pooled.sync_engine, "connect", _sqlite_pragmas)
    event.listen(pooled.sync_engine, "begin", _sqlite_begin)
    writer = SqliteWriter(path, writers, lambda conn: _sqlite_pragmas(conn, None), checkpoints.committed)
    return SqliteEngine(pooled.sync_engine, writer, checkpoints)


def _sqlite_path(url: str) -> str:
    database = make_url(url).database
    return database if database else ":memory:"


def _sqlite_read_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def _sqlite_begin_deferred(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN")


def make_read_engine(url: str, connections: int = 3) -> AsyncEngine | None:
    """SQLite: an engine for read-only requests, or None where the main engine serves reads as well.

    Its transactions are deferred (a plain BEGIN) and never take the write lock, so with WAL they run beside
    the writer on the main engine's one connection and see the last commit; `query_only` makes a write
    through it fail instead of waiting. PostgreSQL's readers never wait for writers, so it needs none.
    """
    if not is_sqlite(url) or make_url(url).database in (None, "", ":memory:"):
        return None  # an in-memory database exists only on the connection that made it
    engine = create_async_engine(async_url(url), pool_size=connections, max_overflow=0, pool_reset_on_return=None,
                                 async_creator=sqlite_inline.connector(_sqlite_path(url)), **SQLITE_JSON)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    event.listen(engine.sync_engine, "connect", _sqlite_read_only)
    event.listen(engine.sync_engine, "begin", _sqlite_begin_deferred)
    return engine


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def upgrade(url: str) -> None:
    """Bring the schema to the newest migration (idempotent; safe to run on every start)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = create_engine(sync_url(url), **(SQLITE_JSON if is_sqlite(url) else {}))
    if is_sqlite(url):
        private_sqlite_file(url)
        event.listen(engine, "connect", _sqlite_connect)
    try:
        with engine.begin() as connection:
            if not is_sqlite(url):  # replicas starting together (Kubernetes init containers) take turns
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


def private_sqlite_file(url: str) -> None:
    """The SQLite file readable by its owner alone (0600; SQLite gives its -wal and -shm files the same), in
    a folder made 0700 if it is new: it holds users' phone numbers and words."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    path.chmod(0o600)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Row ids are INTEGER columns; the API takes any 64-bit id, and one past this range names no row (PostgreSQL
# would refuse to compare it with an INTEGER column at all, so it is never sent).
INTEGER_MAX = 2**31 - 1


def is_row_id(value: int) -> bool:
    return 0 < value <= INTEGER_MAX


def utcnow() -> datetime:
    return datetime.now(UTC)
