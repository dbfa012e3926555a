"""core.db's transaction seam: a task never nests a second transaction of one engine (it raises at once instead
of waiting for the only writing connection), Tx statements see what the session has not flushed (the same on
SQLite and PostgreSQL), and a lock held by another process never freezes the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from typing import cast

import pytest
from sqlalchemy import Table, bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import NestedTransaction, Tx, is_sqlite, make_engine, make_sessions, write_transaction
from core.messages import UserRef
from flows.store import SqlConversationStore
from tests.test_db_direct import REMEMBER_REPLIES
from tickets.models import DeflectionRow, TicketRow
from tickets.store import SqlTicketStore, TicketDraft

USER = UserRef("telegram", "42")
AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _draft() -> TicketDraft:
    return TicketDraft(channel=USER.channel, user_id=USER.user_id, role="employee", ulb="Cuttack", language="en",
                       module="Bills", category="technical", priority="P2", priority_reason="many users",
                       description="bill upload fails", team="state_technical",
                       transcript=[{"from": "user", "text": "x"}])


async def test_a_transaction_opened_inside_another_of_the_same_task_raises_at_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with write_transaction(sessions) as tx:
        await SqlConversationStore(tx).claim_event(USER, "m1")
        with pytest.raises(NestedTransaction, match="pass its Tx"):
            async with asyncio.timeout(5):  # raises, never waits
                async with sessions() as inner, inner.begin():
                    pass
        with pytest.raises(NestedTransaction):
            async with write_transaction(sessions):
                pass
    async with sessions() as session:  # closed: the task may open the next one
        assert await SqlConversationStore(session).replies_of(USER, "m1") == []


async def test_another_task_may_open_its_own_and_waits_or_runs_beside(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def other() -> int:
        async with sessions() as session, session.begin():
            return len((await session.execute(text("SELECT 1"))).all())

    async with write_transaction(sessions) as tx:
        await SqlConversationStore(tx).claim_event(USER, "m1")
        started = asyncio.create_task(other())  # its own task: no NestedTransaction
        await asyncio.sleep(0.01)
    assert await started == 1


async def test_tx_statements_see_what_the_session_has_not_flushed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    count = select(DeflectionRow.id).where(DeflectionRow.user_id == bindparam("p_user"))
    async with write_transaction(sessions) as tx:
        tx.session.add(DeflectionRow(channel="telegram", user_id="42", entry_id="otp", description="otp",
                                     ulb=None, created_at=AT))
        assert len(await tx.all(count, {"p_user": "42"})) == 1  # autoflush, on every backend
        assert len(await tx.scan(count, {"p_user": "42"})) == 1


async def test_a_failed_transaction_leaves_nothing_of_the_store_or_the_session(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(RuntimeError):
        async with write_transaction(sessions) as tx:
            await SqlConversationStore(tx).claim_event(USER, "m1")
            await SqlTicketStore(tx).file(_draft())
            raise RuntimeError("the turn failed")
    async with write_transaction(sessions) as tx:
        assert await SqlConversationStore(tx).claim_event(USER, "m1")  # not claimed before
        assert await SqlTicketStore(tx).recent() == []
        assert Tx.of(tx) is tx and Tx.of(tx.session).session is tx.session


# every ticket of user p_user described anew: on SQLite the full-text index's triggers write two rows more for
# each ticket (core/migrations 0014), which a count of the connection's changes would include
_REDESCRIBE = (update(cast(Table, TicketRow.__table__)).where(TicketRow.user_id == bindparam("p_user"))
               .values(description=bindparam("p_text")))


async def test_rowcount_is_the_rows_the_statement_changed_on_every_backend(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with write_transaction(sessions) as tx:
        for _ in range(2):
            await SqlTicketStore(tx).file(_draft())
        assert await tx.rowcount(_REDESCRIBE, {"p_user": USER.user_id, "p_text": "bill upload still fails"}) == 2
        assert await tx.rowcount(_REDESCRIBE, {"p_user": "nobody", "p_text": "x"}) == 0
        await SqlConversationStore(tx).claim_event(USER, "m1")
        assert await tx.rowcount(REMEMBER_REPLIES, {"p_channel": USER.channel, "p_user": USER.user_id,
                                             "p_message": "m1", "p_replies": []}) == 1
    async with sessions() as session:
        assert {t.description for t in await SqlTicketStore(session).recent()} == {"bill upload still fails"}


async def test_a_tx_kept_across_its_sessions_transactions_runs_in_each_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        tx = Tx(session)
        async with session.begin():
            assert await SqlConversationStore(tx).claim_event(USER, "m1")
        with pytest.raises(RuntimeError):
            async with session.begin():
                assert await SqlConversationStore(tx).claim_event(USER, "m2")
                raise RuntimeError("rolled back")
        async with session.begin():  # the first was committed, the second rolled back with its transaction
            assert not await SqlConversationStore(tx).claim_event(USER, "m1")
            assert await SqlConversationStore(tx).claim_event(USER, "m2")


async def test_the_loop_keeps_serving_while_another_process_holds_the_write_lock(database_url: str) -> None:
    if not is_sqlite(database_url):
        pytest.skip("SQLite's file lock")
    path = database_url.removeprefix("sqlite:///")
    other = sqlite3.connect(path, isolation_level=None)  # as `helpdesk tokens create` would be, mid-write
    other.execute("BEGIN IMMEDIATE")
    engine = make_engine(database_url)
    try:
        async def write() -> None:
            async with write_transaction(make_sessions(engine)) as tx:
                await SqlConversationStore(tx).claim_event(USER, "m1")

        writing = asyncio.create_task(write())
        ticks = 0
        for _ in range(20):  # the loop answers other work while the write waits (in the driver's thread)
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks == 20 and not writing.done()
        other.commit()
        await asyncio.wait_for(writing, 10)
    finally:
        other.close()
        await engine.dispose()
