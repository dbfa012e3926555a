"""The database: engines, sessions, the transaction stores take (Tx), schema upgrades; the same for SQLite and
PostgreSQL. The only package that knows which database it is talking to, and the only one importing a
database driver (an import-linter contract in pyproject.toml)."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Connection, DateTime, Dialect, Engine, TypeDecorator, create_engine, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import AdaptedConnection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

from core.db.checkpoints import checkpoint_aside
from core.db.tx import GuardedSession, NestedTransaction, Tx, insert_every_column, scan, write_transaction
from core.idle_ping import ping_when_idle
from core.json_columns import SQLITE_JSON

__all__ = ["ASYNCIO_DRIVERS", "BLOCKING_DRIVERS", "Base", "GuardedSession", "JsonType", "NestedTransaction", "Tx",
           "UtcDateTime", "async_url", "checkpoint_aside", "copy_sqlite_file", "insert_every_column", "is_row_id",
           "is_sqlite", "make_blocking_engine", "make_engine", "make_read_engine", "make_sessions",
           "private_sqlite_file",
           "scan", "sqlite_library_version", "sync_url", "upgrade", "utcnow", "utcnow_from", "with_driver",
           "write_transaction"]

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent.parent / "migrations"
MIGRATION_LOCK = 0x6865_6C70_6465_736B  # "helpdesk": the PostgreSQL advisory lock held while migrating
JsonType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    """Declarative base shared by every package's tables (one schema, one migration history)."""


ASYNCIO_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+psycopg"}
BLOCKING_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}


def with_driver(url: str, drivers: dict[str, str]) -> str:
    """The same database through the driver `drivers` names for its backend (ASYNCIO_DRIVERS or
    BLOCKING_DRIVERS); a URL of any other backend as it is."""
    parsed = make_url(url)
    driver = drivers.get(parsed.get_backend_name())
    return url if driver is None else parsed.set(drivername=driver).render_as_string(hide_password=False)


def async_url(url: str) -> str:
    """The same database with an asyncio driver: aiosqlite for SQLite, psycopg for PostgreSQL."""
    return with_driver(url, ASYNCIO_DRIVERS)


def sync_url(url: str) -> str:
    """The same database with a blocking driver, for migrations and tools."""
    return with_driver(url, BLOCKING_DRIVERS)


def sqlite_library_version() -> str:
    """The version of the SQLite library Python is linked with (benchmarks record it with their figures)."""
    return sqlite3.sqlite_version


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Every connection to a SQLite file: WAL, foreign keys, and waits up to 30 s for another's write lock.

    The driver's own BEGIN is turned off (isolation_level None) so that each transaction starts as BEGIN
    IMMEDIATE (or BEGIN on the read engine) from the "begin" listeners below: a writer then waits for the
    lock up front instead of failing on upgrade from a read lock. With aiosqlite the wait is in its thread,
    never on the event loop's."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


_sqlite_connect = _sqlite_pragmas  # blocking connections (migrations, tools) get the same


def _begin_with(statement: str) -> Callable[[Connection], None]:
    """A "begin" listener starting each transaction with `statement`: on aiosqlite in one call to its thread
    (its execute_fetchall, through SQLAlchemy's public run_async for driver calls made from events), where
    SQLAlchemy's cursor takes three (open, execute, close); on a blocking driver, as any statement."""

    def begin(conn: Connection) -> None:
        driver = conn.connection.dbapi_connection
        if isinstance(driver, AdaptedConnection):
            driver.run_async(lambda aio: aio.execute_fetchall(statement))
        else:
            conn.exec_driver_sql(statement)

    return begin


_sqlite_begin = _begin_with("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An asyncio engine for `url`; SQLite gets WAL, foreign keys and one writing connection.

    On SQLite the pool keeps one connection (aiosqlite, each connection's statements in a thread of its
    own), and every transaction on it takes the write lock (BEGIN IMMEDIATE): two could never write at once
    anyway, and waiting for the pool's one connection is an asyncio wait handed over as soon as the previous
    transaction ends, where SQLite's busy handler would sleep in steps of up to 100 ms (bench/README.md).
    Its sessions (make_sessions) refuse to nest (core.db.tx). Read-only requests have engines of their own
    (make_read_engine).
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
    engine = create_async_engine(async_url(url), **SQLITE_JSON, **kwargs)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def _sqlite_read_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


_sqlite_begin_deferred = _begin_with("BEGIN")


def make_read_engine(url: str, connections: int = 3) -> AsyncEngine | None:
    """SQLite: an engine for read-only requests, or None where the main engine serves reads as well.

    Its transactions are deferred (a plain BEGIN) and never take the write lock, so with WAL they run beside
    the writer on the main engine's one connection and see the last commit; `query_only` makes a write
    through it fail instead of waiting. PostgreSQL's readers never wait for writers, so it needs none.
    """
    if not is_sqlite(url) or make_url(url).database in (None, "", ":memory:"):
        return None  # an in-memory database exists only on the connection that made it
    engine = create_async_engine(async_url(url), pool_size=connections, max_overflow=0, pool_reset_on_return=None,
                                 **SQLITE_JSON)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    event.listen(engine.sync_engine, "connect", _sqlite_read_only)
    event.listen(engine.sync_engine, "begin", _sqlite_begin_deferred)
    return engine


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions of `engine`; one opened by a task that has one of this engine open already raises
    NestedTransaction at once (core.db.tx)."""
    return async_sessionmaker(engine, expire_on_commit=False, class_=GuardedSession)


def make_blocking_engine(url: str, **kwargs: Any) -> Engine:
    """A blocking engine for `url` (tools, and benchmarks' baselines: bench.turns): on SQLite with the same
    pragmas as make_engine's and each transaction begun as BEGIN IMMEDIATE. Its `raw_connection()` is the
    driver's own connection (sqlite3 or psycopg), for measuring the driver alone."""
    engine = create_engine(sync_url(url), **(SQLITE_JSON if is_sqlite(url) else {}), **kwargs)
    if is_sqlite(url):
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


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


def copy_sqlite_file(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (its online backup API, in steps so writers get turns)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=1024, sleep=0.005)
    finally:
        dst.close()
        src.close()


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


_clock: Callable[[], datetime] | None = None  # set only by `utcnow_from`


def utcnow() -> datetime:
    """Now, in UTC: the wall clock, or the clock `utcnow_from` put in its place."""
    return _clock() if _clock is not None else datetime.now(UTC)


@contextlib.contextmanager
def utcnow_from(clock: Callable[[], datetime]) -> Iterator[None]:
    """Every `utcnow` in this process reads `clock` until the block ends (a test's fixed clock)."""
    global _clock  # one clock for the whole process, as the wall clock is
    before, _clock = _clock, clock
    try:
        yield
    finally:
        _clock = before
