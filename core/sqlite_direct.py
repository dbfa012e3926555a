"""SQLAlchemy statements compiled once for SQLite and run on the sqlite3 connection itself.

For the few statements every conversation turn makes: through an AsyncSession each costs SQLAlchemy
~0.2-0.3 ms of Python (greenlet hand-over, execution context, result wrapping), the driver ~0.01 ms
(bench/README.md). The statement is still built, and compiled, by SQLAlchemy, and its values still go
through the column types' own conversions (JSON, UTC datetimes), so what is stored is what the ORM would
store; only the per-execution machinery is skipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from sqlalchemy import Insert, Table, bindparam, insert
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import ExecutableReturnsRows

from core.json_columns import json_text, json_value

DIALECT = sqlite.dialect(json_serializer=json_text, json_deserializer=json_value)
Processor = Callable[[Any], Any] | None
_REQUIRED = object()  # a bind parameter the statement gives no value for


class DirectStatement:
    """One statement (a SELECT, or an INSERT/UPDATE/DELETE with or without RETURNING) ready to run on a
    sqlite3 connection."""

    def __init__(self, statement: ExecutableReturnsRows) -> None:
        compiled = statement.compile(dialect=DIALECT)
        # a column default computed in Python (default=utcnow) is SQLAlchemy's execution context's to call:
        # run directly it would be None, so such columns must be given in the statement
        defaulted = [str(c.key) for c in (*compiled.insert_prefetch, *compiled.update_prefetch)]
        if defaulted:
            raise ValueError(f"give {', '.join(defaulted)} a value: a Python-side default is not run directly")
        sql = compiled.string
        # a parameter: its name, the value the statement fixes for it (a literal), and its type's conversion
        self._params: list[tuple[str, Any, Processor]] = []
        for name in compiled.positiontup or []:
            bind = compiled.binds[name]
            process = bind.type.dialect_impl(DIALECT).bind_processor(DIALECT)
            if not bind.expanding:
                self._params.append((name, _REQUIRED if bind.required else bind.value, process))
                continue
            # IN with a list the statement fixes (status IN ACTIVE): one placeholder per value, here and now
            values = list(bind.value or ())
            if bind.callable is not None or not values:
                raise ValueError(f"{name}: an IN list run directly must be a non-empty constant of the statement")
            sql = sql.replace(f"__[POSTCOMPILE_{name}]", ", ".join("?" * len(values)), 1)
            self._params.extend((f"{name}_{n}", value, process) for n, value in enumerate(values, 1))
        if "__[POSTCOMPILE_" in sql:
            raise ValueError(f"a parameter rendered at execution time is left in: {sql}")
        self.sql = sql
        returning = list(statement.exported_columns)  # a SELECT's columns, or RETURNING's (or none)
        self.columns = [str(column.key) for column in returning]
        self._results: list[Processor] = [
            column.type.dialect_impl(DIALECT).result_processor(DIALECT, None) for column in returning
        ]

    def parameters(self, values: Mapping[str, Any]) -> list[Any]:
        """The positional parameters for `values` (by bind parameter name), converted as their types say."""
        out = []
        for name, fixed, process in self._params:
            value = values.get(name, fixed)
            if value is _REQUIRED:  # as SQLAlchemy, rather than store NULL for a value left out
                raise KeyError(f"a value is required for the parameter {name} of {self.sql}")
            out.append(value if process is None else process(value))  # None too, as SQLAlchemy does (JSON null)
        return out

    def run(self, conn: sqlite3.Connection, values: Mapping[str, Any]) -> sqlite3.Cursor:
        return conn.execute(self.sql, self.parameters(values))

    def first(self, conn: sqlite3.Connection, values: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row, by column key and converted, or None."""
        rows = self.run(conn, values).fetchall()  # stepped to the end, so the statement is finished
        return self._converted(rows[0]) if rows else None

    def all(self, conn: sqlite3.Connection, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every row, by column key and converted."""
        return [self._converted(row) for row in self.run(conn, values).fetchall()]

    def _converted(self, row: Any) -> dict[str, Any]:
        return {key: (value if process is None else process(value))
                for key, process, value in zip(self.columns, self._results, row, strict=True)}

    def rowcount(self, conn: sqlite3.Connection, values: Mapping[str, Any]) -> int:
        return self.run(conn, values).rowcount


def insert_every_column(table: Table, leaving_out: tuple[str, ...] = ("id",)) -> Insert:
    """An INSERT of every column of `table` but those `leaving_out`, each value the parameter p_<column>: built
    once, and run directly each value must be given (DirectStatement refuses one left out)."""
    return insert(table).values(
        {column: bindparam(f"p_{column.key}") for column in table.columns if column.key not in leaving_out}
    )


@cache
def direct(statement: ExecutableReturnsRows) -> DirectStatement:
    """`statement` compiled for direct use; for statements built once (a module's constants)."""
    return DirectStatement(statement)


class Prebuilt:
    """Runs statements built once, with bind parameters (module constants), in one transaction: directly on
    its sqlite3 connection where it has one (a turn on SQLite, core.sqlite_writer), else through the session.
    Either way a row comes back as a dict by column key, its values converted by the column types."""

    def __init__(self, session: AsyncSession, conn: sqlite3.Connection | None = None) -> None:
        self.session = session
        self._conn = conn

    @property
    def dialect(self) -> str:
        return "sqlite" if self._conn is not None else self.session.get_bind().dialect.name

    async def first(self, statement: ExecutableReturnsRows, values: Mapping[str, Any]) -> dict[str, Any] | None:
        if self._conn is not None:
            return direct(statement).first(self._conn, values)
        row = (await self.session.execute(statement, values)).mappings().first()
        return None if row is None else dict(row)

    async def all(self, statement: ExecutableReturnsRows, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        if self._conn is not None:
            return direct(statement).all(self._conn, values)
        return [dict(row) for row in (await self.session.execute(statement, values)).mappings()]

    async def rowcount(self, statement: ExecutableReturnsRows, values: Mapping[str, Any]) -> int:
        if self._conn is not None:
            return direct(statement).rowcount(self._conn, values)
        return int(getattr(await self.session.execute(statement, values), "rowcount", 0))
