"""The transaction every store takes (`Tx`), and the rule that one task never opens a second one inside it.

A `Tx` is one AsyncSession's transaction: the ORM session for what maps rows to objects, and `first` / `all`
/ `rowcount` / `scan` for Core statements built once (a module's constants, with bind parameters). On
PostgreSQL they go through the session; on SQLite `first`, `all` and `rowcount` go to aiosqlite on the
session's own connection (core.db.direct: one hand-over to its thread instead of three or four), after
flushing what the session holds, as its autoflush would: so they see the same rows on both backends.

A session of the main engine (`make_sessions`) refuses to open while the same task already has one of that
engine open (`NestedTransaction`), at once: on SQLite the process has one writing connection, so the inner
one would wait for the outer one's end, which never comes; on PostgreSQL it would run beside the outer one
and not see its changes. Code that needs the database inside a transaction takes that transaction's `Tx`
(or session) as a parameter instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any
from weakref import WeakKeyDictionary

import aiosqlite
from sqlalchemy import Insert, Row, Table, bindparam, insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import SessionTransaction
from sqlalchemy.sql.selectable import ExecutableReturnsRows

from core.db.direct import counted, direct


class NestedTransaction(RuntimeError):
    """A second transaction of the same engine opened by a task that already has one open."""


# engines each task has a session open on (a task's own, so a task it starts may open its own and wait)
_OPEN: WeakKeyDictionary[asyncio.Task[Any], list[Any]] = WeakKeyDictionary()


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop: a blocking caller
        return None


class GuardedSession(AsyncSession):
    """An AsyncSession that raises NestedTransaction when its task already has a session of its engine open
    (see the module's docstring). Marked open from `async with` to its end."""

    def __init__(self, bind: AsyncEngine | None = None, **kwargs: Any) -> None:
        task = _current_task()
        if task is not None and bind is not None and bind.sync_engine in _OPEN.get(task, ()):
            raise NestedTransaction(
                "this task already has a transaction open on this database: pass its Tx (or session) down "
                "instead of opening another (on SQLite it would wait forever for the one writing connection)")
        super().__init__(bind=bind, **kwargs)
        self._task = task

    async def __aenter__(self) -> GuardedSession:
        if self._task is not None and self.bind is not None:
            _OPEN.setdefault(self._task, []).append(self.bind.sync_engine)
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await super().__aexit__(*exc)
        finally:
            held = _OPEN.get(self._task) if self._task is not None else None
            if held is not None and self.bind is not None and self.bind.sync_engine in held:
                held.remove(self.bind.sync_engine)


class Tx:
    """One transaction: its session (ORM work) and its Core statements, as dicts by column key."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._dialect: str | None = None
        # the driver connection of the session's transaction, with that transaction (core.db.direct)
        self._driver: tuple[SessionTransaction, aiosqlite.Connection] | None = None

    @classmethod
    def of(cls, tx: Tx | AsyncSession) -> Tx:
        """`tx` itself, or the transaction of a session a caller holds."""
        return tx if isinstance(tx, Tx) else cls(tx)

    @property
    def dialect(self) -> str:
        """The backend's name: "sqlite" or "postgresql" (for the statements that differ, such as upserts)."""
        if self._dialect is None:
            self._dialect = self.session.get_bind().dialect.name
        return self._dialect

    async def first(self, statement: ExecutableReturnsRows, values: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row of `statement` with `values` (bind parameters by name), or None."""
        rows = await self.all(statement, values)
        return rows[0] if rows else None

    async def all(self, statement: ExecutableReturnsRows, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        sqlite = await self._sqlite()
        if sqlite is not None:
            return await direct(statement).all(sqlite, values)
        return [dict(row) for row in (await self.session.execute(statement, values)).mappings()]

    async def rowcount(self, statement: Any, values: Mapping[str, Any]) -> int:
        """The number of rows an INSERT, UPDATE or DELETE touched."""
        sqlite = await self._sqlite()
        if sqlite is not None:
            return await counted(statement).rowcount(sqlite, values)
        return int(getattr(await self.session.execute(statement, values), "rowcount", 0))

    async def _sqlite(self) -> aiosqlite.Connection | None:
        """On SQLite, the driver's connection of this session's transaction, for statements run through
        aiosqlite's own API (core.db.direct), with what the session holds flushed first, as autoflush would.

        Asked for once per transaction: the session keeps one connection until its transaction ends, and asking
        it again on every statement was a tenth of a turn's time (a trip through SQLAlchemy's greenlet)."""
        if self.dialect != "sqlite":
            return None
        session = self.session
        if session.new or session.dirty or session.deleted:
            await session.flush()
        held = self._driver
        if held is not None and held[0] is session.sync_session.get_transaction():
            return held[1]
        pooled = await (await session.connection()).get_raw_connection()
        transaction = session.sync_session.get_transaction()
        assert transaction is not None and isinstance(pooled.driver_connection, aiosqlite.Connection)
        self._driver = (transaction, pooled.driver_connection)
        return pooled.driver_connection

    async def scan(self, statement: Any, values: Mapping[str, Any] | None = None) -> Sequence[Row[Any]]:
        """Every row of a statement that reads many (counts over every ticket). Every statement runs off the
        event loop on both backends (aiosqlite's thread; psycopg's socket), so a scan holds up no other task;
        it is named so that a store says where it scans."""
        return (await self.session.execute(statement, values)).all()


async def scan(
    session: AsyncSession | Tx, statement: Any, values: Mapping[str, Any] | None = None
) -> Sequence[Row[Any]]:
    """Tx.scan for a caller holding a session."""
    return await Tx.of(session).scan(statement, values)


@asynccontextmanager
async def write_transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[Tx]:
    """A write transaction of `sessions`, committed when the block ends (rolled back if it raises)."""
    async with sessions() as session, session.begin():
        yield Tx(session)


def insert_every_column(table: Table, leaving_out: tuple[str, ...] = ("id",)) -> Insert:
    """An INSERT of every column of `table` but those `leaving_out`, each value the parameter p_<column>: built
    once; every value must be given (SQLAlchemy refuses a bind parameter left without one)."""
    return insert(table).values(
        {column: bindparam(f"p_{column.key}") for column in table.columns if column.key not in leaving_out}
    )
