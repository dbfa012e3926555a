"""SQLite for SQLAlchemy's asyncio engine, called on the event loop's own thread instead of a worker thread.

SQLAlchemy's aiosqlite driver hands every call (cursor, execute, fetch, close, BEGIN, COMMIT) to a thread of
its own and waits for the answer; with WAL and `synchronous=NORMAL` a conversation turn's statements take
microseconds each, and those hand-overs were over half of a turn (bench/README.md). This module gives
SQLAlchemy the same interface as an aiosqlite connection (through `create_async_engine(async_creator=...)`),
but each call runs sqlite3 directly and returns at once.

What would block the loop is the one wait SQLite can have: another connection holding the write lock. The
connection therefore has no busy timeout of its own; a statement that finds the database locked is retried
after an asyncio sleep (1 ms growing to 50 ms, up to `busy_timeout` seconds in all), so the loop goes on
serving while another process, or another engine in this one, finishes its transaction.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_OFF_LOOP: ContextVar[bool] = ContextVar("sqlite_off_loop", default=False)
LOCKED_MESSAGES = ("database is locked", "database table is locked")
BEGIN_WRITE = "BEGIN IMMEDIATE"
FIRST_RETRY_SECONDS = 0.001
LONGEST_RETRY_SECONDS = 0.05


@contextmanager
def off_the_loop() -> Iterator[None]:
    """Statements in this block run in a worker thread: for reads that scan many rows (a dashboard's counts
    over every ticket), which would otherwise hold up every other request and conversation for their length.
    (SQLAlchemy's greenlets carry the task's context, so the flag reaches the driver.)"""
    token = _OFF_LOOP.set(True)
    try:
        yield
    finally:
        _OFF_LOOP.reset(token)


def _is_locked(error: sqlite3.OperationalError) -> bool:
    return str(error).startswith(LOCKED_MESSAGES)


class InlineCursor:
    """An aiosqlite-shaped cursor whose coroutines finish without waiting on anything but a held lock."""

    def __init__(self, connection: InlineConnection) -> None:
        self._connection = connection
        self._cursor = connection._conn.cursor()
        self._rows: deque[Any] | None = None  # a statement run in a thread brings its rows back with it

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> InlineCursor:
        if sql == BEGIN_WRITE:  # core.db's "begin" listener: a write transaction, in turn with this process's others
            await self._connection.begin_write()
        elif _OFF_LOOP.get():
            self._rows = await self._connection._locked_retry(self._execute_and_fetch, sql, parameters)
        else:
            await self._connection._locked_retry(self._cursor.execute, sql, parameters)
        return self

    def _execute_and_fetch(self, sql: str, parameters: Sequence[Any] | dict[str, Any]) -> deque[Any] | None:
        self._cursor.execute(sql, parameters)
        return deque(self._cursor.fetchall()) if self._cursor.description else None

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        rows = list(parameters)  # a generator could not be replayed after a locked attempt
        await self._connection._locked_retry(self._cursor.executemany, sql, rows)
        return self

    async def fetchone(self) -> Any:
        if self._rows is not None:
            return self._rows.popleft() if self._rows else None
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        size = size if size is not None else self._cursor.arraysize
        if self._rows is not None:
            return [self._rows.popleft() for _ in range(min(size, len(self._rows)))]
        return self._cursor.fetchmany(size)

    async def fetchall(self) -> list[Any]:
        if self._rows is not None:
            rows, self._rows = list(self._rows), deque()
            return rows
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class InlineConnection:
    """An aiosqlite-shaped connection over one sqlite3 connection used only from the event loop's thread."""

    def __init__(self, conn: sqlite3.Connection, busy_timeout: float, writers: asyncio.Lock | None = None,
                 on_commit: Callable[[], None] | None = None) -> None:
        self._conn = conn
        self._connection: sqlite3.Connection | None = conn  # SQLAlchemy's adapter checks it is still open
        self.busy_timeout = busy_timeout
        self._writers = writers
        self._writing = False  # holds `writers` (from begin_write to commit or rollback)
        self._on_commit = on_commit  # after each write transaction's COMMIT (core.sqlite_checkpoints)

    @property
    def closed(self) -> bool:
        return self._connection is None

    @property
    def raw(self) -> sqlite3.Connection:
        """The sqlite3 connection, for statements run on it directly (core.sqlite_direct) on the loop's thread."""
        return self._conn

    async def begin_write(self) -> None:
        """BEGIN IMMEDIATE, once this process's other connections to the file have ended their writes.

        They take turns through one asyncio lock (`writers`, shared by the connections core.db opens to one
        file), handed over as soon as a COMMIT or ROLLBACK releases it, instead of each polling SQLite's lock
        with sleeps; only another process's writer is waited for that way (`_locked_retry`)."""
        if self._writers is not None and not self._writing:
            await self._writers.acquire()
            self._writing = True
        try:
            await self._locked_retry(self._conn.execute, BEGIN_WRITE)
        except BaseException:
            self._release()
            raise

    def _release(self) -> None:
        if self._writing and self._writers is not None:
            self._writing = False
            self._writers.release()

    async def _locked_retry(self, call: Callable[..., Any], *args: Any) -> Any:
        deadline = time.monotonic() + self.busy_timeout
        pause = FIRST_RETRY_SECONDS
        while True:
            try:
                return await asyncio.to_thread(call, *args) if _OFF_LOOP.get() else call(*args)
            except sqlite3.OperationalError as error:
                if not _is_locked(error) or time.monotonic() + pause > deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_RETRY_SECONDS)

    def cursor(self) -> InlineCursor:
        return InlineCursor(self)

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        wrote = self._writing
        await self._locked_retry(self._conn.commit)
        self._release()
        if wrote and self._on_commit is not None:
            self._on_commit()

    async def rollback(self) -> None:
        try:
            self._conn.rollback()
        finally:
            self._release()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Close at once (SQLAlchemy's terminate, when a connection is invalidated outside the loop)."""
        if self._connection is not None:
            self._connection = None
            self._conn.close()
        self._release()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level


def connector(
    database: str, busy_timeout: float = 30.0, writers: asyncio.Lock | None = None,
    on_commit: Callable[[], None] | None = None,
) -> Callable[[], Any]:
    """An `async_creator` for `create_async_engine`: each call opens one inline connection to `database`.

    Inside `off_the_loop()`, each statement (with all its rows) runs in asyncio's default thread pool instead:
    one hand-over per statement rather than aiosqlite's several.

    The connection is in autocommit mode as far as the sqlite3 module goes (`isolation_level=None`): the
    engine issues BEGIN IMMEDIATE or BEGIN itself (core.db), and COMMIT / ROLLBACK through SQLAlchemy.
    With `writers`, each BEGIN IMMEDIATE first waits its turn on that lock (InlineConnection.begin_write).
    With `on_commit`, it is called after each write transaction's COMMIT, and the connection leaves WAL
    checkpoints to it (core.sqlite_checkpoints).
    """

    async def connect() -> InlineConnection:
        return open_inline(database, busy_timeout, writers, on_commit)

    return connect


def open_inline(
    database: str, busy_timeout: float = 30.0, writers: asyncio.Lock | None = None,
    on_commit: Callable[[], None] | None = None,
) -> InlineConnection:
    # used from the loop's thread, and from a worker thread in off_the_loop() blocks (one statement at a
    # time either way); the pool may also close it from another (garbage collection)
    conn = sqlite3.connect(database, isolation_level=None, check_same_thread=False, uri=database.startswith("file:"))
    conn.execute("PRAGMA busy_timeout=0")  # waits for the lock are asyncio sleeps (_locked_retry)
    if on_commit is not None:
        conn.execute("PRAGMA wal_autocheckpoint=0")  # a worker thread does them (core.sqlite_checkpoints)
    return InlineConnection(conn, busy_timeout, writers, on_commit)
