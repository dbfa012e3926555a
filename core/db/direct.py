"""SQLAlchemy statements compiled once for SQLite and run through aiosqlite's own API, on the connection and
inside the transaction of the session that asks (core.db.tx.Tx, SQLite only).

For the statements every conversation turn makes. Through an AsyncSession, SQLAlchemy's aiosqlite adapter
hands each statement to the driver's thread three or four times (cursor, execute, fetch, close) and adds its
execution machinery; aiosqlite's `execute_fetchall` does it in one hand-over (bench/README.md has the
measurements). The statement is still built and compiled by SQLAlchemy, and its values still go through the
column types' own conversions (JSON, UTC datetimes), so what is stored is what the ORM would store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import aiosqlite
from sqlalchemy import literal_column
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import ExecutableReturnsRows

from core.json_columns import json_text, json_value

DIALECT = sqlite.dialect(json_serializer=json_text, json_deserializer=json_value)
Processor = Callable[[Any], Any] | None
_REQUIRED = object()  # a bind parameter the statement gives no value for


class DirectStatement:
    """One statement (a SELECT, or an INSERT/UPDATE/DELETE with or without RETURNING) ready to run on an
    aiosqlite connection."""

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

    async def all(self, conn: aiosqlite.Connection, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every row, by column key and converted: one call to the driver's thread."""
        rows = await conn.execute_fetchall(self.sql, self.parameters(values))
        return [self._converted(row) for row in rows]

    async def rowcount(self, conn: aiosqlite.Connection, values: Mapping[str, Any]) -> int:
        """The rows an INSERT, UPDATE or DELETE changed: one call to the driver's thread, as the statement
        returns a row for each (`counted`), where a cursor's rowcount would take a second call to close it."""
        return len(list(await conn.execute_fetchall(self.sql, self.parameters(values))))  # a list already

    def _converted(self, row: Any) -> dict[str, Any]:
        return {key: (value if process is None else process(value))
                for key, process, value in zip(self.columns, self._results, row, strict=True)}


@cache
def direct(statement: ExecutableReturnsRows) -> DirectStatement:
    """`statement` compiled for direct use; for statements built once (a module's constants)."""
    return DirectStatement(statement)


@cache
def counted(statement: Any) -> DirectStatement:
    """An INSERT, UPDATE or DELETE compiled to return a row for each row it changes (its own RETURNING, or
    RETURNING 1), for DirectStatement.rowcount. SQLite counts the rows RETURNING yields as its changes()
    does: the statement's own rows, never a trigger's (where the connection's total_changes would count
    the full-text index's rows that the tickets' triggers write)."""
    if not isinstance(statement, UpdateBase):
        raise TypeError(f"rowcount is for INSERT, UPDATE or DELETE, not {type(statement).__name__}")
    if not list(statement.exported_columns):
        statement = statement.returning(literal_column("1"))
    return DirectStatement(statement)
