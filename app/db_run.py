"""Running one command's database work: open, one transaction, dispose; domain errors become exit code 2."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from app.wiring import open_database
from core.errors import HelpdeskError
from core.settings import Settings

T = TypeVar("T")


def in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """`work` in one committed transaction; a HelpdeskError is printed as `error: ...` and exits 2."""

    async def run() -> T:
        db, sessions = open_database(settings)
        try:
            async with sessions() as session, session.begin():
                return await work(session)
        finally:
            await db.dispose()

    try:
        return asyncio.run(run())
    except HelpdeskError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err
