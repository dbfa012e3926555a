"""On SQLite a Tx runs the turns' Core statements through aiosqlite's own API (core.db.direct): the same rows
as through SQLAlchemy, in the session's transaction, seeing what the session has not flushed yet."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import make_engine, make_sessions, write_transaction
from core.db.direct import DirectStatement
from core.messages import UserRef
from core.settings import Settings
from flows.models import ProcessedEventRow
from flows.store import SqlConversationStore
from tests.databases import copy_sqlite
from tickets.desk import SqlTicketDesk
from tickets.models import DeflectionRow, TicketMessageRow, TicketRow
from tickets.store import SqlTicketStore, TicketDraft

USER = UserRef("telegram", "42")
EVENTS = cast(Table, ProcessedEventRow.__table__)
# an UPDATE built once with bind parameters, one of them JSON (an event's replies)
REMEMBER_REPLIES = (
    update(EVENTS)
    .where(EVENTS.c.channel == bindparam("p_channel"), EVENTS.c.user_id == bindparam("p_user"),
           EVENTS.c.message_id == bindparam("p_message"))
    .values(replies=bindparam("p_replies", type_=EVENTS.c.replies.type))
)


@pytest.fixture
def database(tmp_path: Path, sqlite_template: Path) -> Path:
    path = tmp_path / "h.db"
    copy_sqlite(sqlite_template, path)
    return path


@pytest.fixture
async def sqlite_sessions(database: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(f"sqlite:///{database}")
    yield make_sessions(engine)
    await engine.dispose()


def _draft() -> TicketDraft:
    return TicketDraft(channel=USER.channel, user_id=USER.user_id, role="employee", ulb="Cuttack", language="en",
                       module="Bills", category="technical", priority="P2", priority_reason="many users",
                       description="bill upload fails", team="state_technical",
                       transcript=[{"from": "user", "text": "x"}])


async def test_a_none_in_a_json_column_is_stored_as_the_orm_stores_it(
    database: Path, sqlite_sessions: async_sessionmaker[AsyncSession],
) -> None:
    other = UserRef("telegram", "43")
    values = {"p_message": "m1", "p_replies": None}
    async with write_transaction(sqlite_sessions) as tx:  # direct
        await SqlConversationStore(tx).claim_event(USER, "m1")
        await tx.rowcount(REMEMBER_REPLIES, {"p_channel": USER.channel, "p_user": USER.user_id, **values})
    async with write_transaction(sqlite_sessions) as tx:  # through SQLAlchemy's execution
        await SqlConversationStore(tx).claim_event(other, "m1")
        await tx.session.execute(REMEMBER_REPLIES, {"p_channel": other.channel, "p_user": other.user_id, **values})
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT replies, typeof(replies) FROM processed_events ORDER BY user_id").fetchall()
    assert rows[0] == rows[1]


async def test_a_follow_up_and_a_deflection_are_stored_as_the_orm_stored_them(
    database: Path, sqlite_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with write_transaction(sqlite_sessions) as tx:
        number = (await SqlTicketStore(tx).file(_draft())).number
        ticket_id = (await SqlTicketDesk(tx, Settings()).row(number)).id
        tx.session.add(TicketMessageRow(ticket_id=ticket_id, author="user:42", kind="user", text="still failing"))
        tx.session.add(DeflectionRow(channel="telegram", user_id="42", entry_id="otp", description="otp", ulb="Puri"))
    async with write_transaction(sqlite_sessions) as tx:  # direct
        await SqlTicketDesk(tx, Settings()).add_user_message(number.lower(), "42", "still failing")
        await SqlTicketStore(tx).record_deflection("telegram", "42", "otp", "otp", "Puri")
    with sqlite3.connect(database) as conn:
        messages = conn.execute("SELECT ticket_id, author, kind, text, typeof(at), length(at) "
                                "FROM ticket_messages").fetchall()
        deflections = conn.execute("SELECT channel, user_id, entry_id, description, ulb, typeof(created_at), "
                                   "length(created_at) FROM deflections").fetchall()
    assert len(messages) == 2 and messages[0] == messages[1]
    assert len(deflections) == 2 and deflections[0] == deflections[1]


async def test_a_ticket_filed_directly_reads_back_the_same_through_the_orm(
    sqlite_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with write_transaction(sqlite_sessions) as tx:
        filed = await SqlTicketStore(tx, "HD").file(_draft())
        row = await tx.session.get(TicketRow, int(filed.number.removeprefix("HD-")))  # in the same transaction
        assert row is not None and row.number == filed.number
    async with sqlite_sessions() as session:
        assert await SqlTicketStore(session).get(filed.number) == filed
    assert filed.number == "HD-000001" and filed.status == "new" and filed.version == 1
    assert filed.transcript == [{"from": "user", "text": "x"}] and filed.created_at is not None


async def test_a_statement_run_directly_refuses_to_leave_a_value_out() -> None:
    with pytest.raises(ValueError, match="created_at"):  # its default=utcnow is SQLAlchemy's to run
        DirectStatement(insert(DeflectionRow).values(channel=bindparam("p_channel")))
    statement = DirectStatement(REMEMBER_REPLIES)
    with pytest.raises(KeyError, match="p_replies"):
        statement.parameters({"p_channel": "telegram", "p_user": "42", "p_message": "m1"})
