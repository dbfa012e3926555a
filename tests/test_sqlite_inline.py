"""SQLite run on the event loop's thread (core.sqlite_inline): a lock held elsewhere never freezes the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import make_engine
from core.sqlite_inline import off_the_loop
from tests.databases import copy_sqlite


def _writer_holding_lock(path: Path) -> sqlite3.Connection:
    """Another process's connection (as `helpdesk tokens create` would be) in the middle of a write."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO api_tokens (name, role, token_hash, created_at) "
                  "VALUES ('cli', 'operator', 'h', '2026-01-01')")
    return other


@pytest.fixture
async def engine(database: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite:///{database}")
    yield engine
    await engine.dispose()


@pytest.fixture
def database(tmp_path: Path, sqlite_template: Path) -> Path:
    path = tmp_path / "h.db"
    copy_sqlite(sqlite_template, path)
    return path


async def test_loop_keeps_serving_while_another_connection_holds_the_write_lock(
    database: Path, engine: AsyncEngine
) -> None:
    other = _writer_holding_lock(database)

    async def write() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO api_tokens (name, role, token_hash, created_at) "
                                    "VALUES ('api', 'operator', 'h2', '2026-01-01')"))

    writing = asyncio.create_task(write())
    ticks = 0
    for _ in range(20):  # the loop answers other work while the write waits for the lock
        await asyncio.sleep(0.01)
        ticks += 1
    assert ticks == 20 and not writing.done()
    other.commit()
    await asyncio.wait_for(writing, timeout=5)
    async with engine.connect() as conn:
        names = (await conn.execute(text("SELECT name FROM api_tokens ORDER BY id"))).scalars().all()
    assert names == ["cli", "api"]
    other.close()


async def test_write_gives_up_with_database_locked_after_the_busy_timeout(database: Path, engine: AsyncEngine) -> None:
    other = _writer_holding_lock(database)
    try:
        async with engine.connect() as conn:
            driver = await conn.get_raw_connection()
            driver.driver_connection.busy_timeout = 0.2  # type: ignore[union-attr]
            started = time.monotonic()
            with pytest.raises(OperationalError, match="database is locked"):
                await conn.execute(text("UPDATE api_tokens SET name = 'x'"))
            assert 0.15 < time.monotonic() - started < 2
    finally:
        other.close()


async def test_a_long_read_off_the_loop_lets_other_work_go_on(engine: AsyncEngine) -> None:
    count_to = text("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) "
                    "SELECT count(*) FROM c")

    async def long_read() -> int:
        async with engine.connect() as conn:
            with off_the_loop():  # as the dashboard's counts over every ticket
                return int((await conn.execute(count_to)).scalar_one())

    reading = asyncio.create_task(long_read())
    await asyncio.sleep(0)
    ticks = 0
    while not reading.done():
        await asyncio.sleep(0.005)
        ticks += 1
    assert await reading == 2000000
    assert ticks >= 5  # the loop answered other work all along (a query on the loop's thread allows none)
