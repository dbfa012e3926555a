"""A turn's statements run on sqlite3 directly (core.sqlite_direct, core.sqlite_writer): the same rows as
through SQLAlchemy, one transaction with the session's work, writers of one process taking turns, and the
write-ahead log copied back by a worker thread (core.sqlite_checkpoints)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import SqliteEngine, make_engine, make_sessions, write_transaction
from core.messages import Reply, UserRef
from core.settings import Settings
from core.sqlite_checkpoints import Checkpointer
from core.sqlite_direct import DirectStatement, Prebuilt
from flows.store import _REMEMBER, SqlConversationStore
from tests.databases import copy_sqlite
from tickets.desk import SqlTicketDesk
from tickets.models import DeflectionRow, TicketMessageRow, TicketRow
from tickets.store import SqlTicketStore, TicketDraft

USER = UserRef("telegram", "42")


@pytest.fixture
def database(tmp_path: Path, sqlite_template: Path) -> Path:
    path = tmp_path / "h.db"
    copy_sqlite(sqlite_template, path)
    return path


@pytest.fixture
async def sessions(database: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(f"sqlite:///{database}")
    assert isinstance(engine, SqliteEngine)
    yield make_sessions(engine)
    await engine.dispose()


def _draft(description: str = "bill upload fails") -> TicketDraft:
    return TicketDraft(channel=USER.channel, user_id=USER.user_id, role="employee", ulb="Cuttack", language="en",
                       module="Bills", category="technical", priority="P2", priority_reason="many users",
                       description=description, team="state_technical",
                       transcript=[{"from": "user", "text": "x"}])


def _stored_rows(database: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as conn:
        return conn.execute("SELECT channel, user_id, state, data, version, typeof(updated_at), "
                            "length(updated_at) FROM conversations ORDER BY user_id").fetchall()


async def test_a_turn_stores_what_the_orm_would_and_reads_it_back(
    database: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    data = {"profile": {"language": "or", "ulb": "Puri"}, "transcript": [{"from": "user", "text": "ନମସ୍କାର"}]}
    async with write_transaction(sessions) as turn:  # direct
        assert turn.sqlite is not None
        store = SqlConversationStore(turn.session, turn.sqlite)
        assert await store.claim_event(USER, "m1")
        assert not await store.claim_event(USER, "m1")
        stored = await store.load_for_update(USER, "new")
        stored.state, stored.data = "awaiting_problem", data
        await store.save(USER, stored)
        await store.remember_replies(USER, "m1", [Reply("ok")])
    other = UserRef("telegram", "43")
    async with sessions() as session, session.begin():  # through SQLAlchemy, for comparison
        store = SqlConversationStore(session)
        stored = await store.load_for_update(other, "new")
        stored.state, stored.data = "awaiting_problem", data
        await store.save(other, stored)

    direct_row, orm_row = _stored_rows(database)
    assert direct_row[2:] == orm_row[2:]  # same state, JSON text, version, and datetime format
    async with sessions() as session:
        store = SqlConversationStore(session)
        peeked = await store.peek(USER)
        assert peeked is not None and peeked.data == data and peeked.version == 1
        assert [r.text for r in await store.replies_of(USER, "m1")] == ["ok"]


async def test_ticket_lookups_read_the_same_directly_as_through_the_session(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        filed = await SqlTicketStore(session).file(_draft())
    async with write_transaction(sessions) as turn:
        direct = await SqlTicketStore(turn.session, sqlite=turn.sqlite).latest_active(USER.channel, USER.user_id)
    async with sessions() as session:
        through_orm = await SqlTicketStore(session).latest_active(USER.channel, USER.user_id)
    assert direct == through_orm
    assert direct is not None and direct.number == filed.number and direct.created_at is not None
    assert direct.transcript == [{"from": "user", "text": "x"}]


async def test_direct_statements_and_the_session_share_one_transaction(
    database: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    with pytest.raises(RuntimeError, match="after both"):
        async with write_transaction(sessions) as turn:
            await SqlConversationStore(turn.session, turn.sqlite).claim_event(USER, "m1")
            await SqlTicketStore(turn.session).file(_draft())
            await turn.session.flush()
            raise RuntimeError("after both")
    with sqlite3.connect(database) as conn:  # neither the event nor the ticket was kept
        assert conn.execute("SELECT count(*) FROM processed_events").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM tickets").fetchone() == (0,)

    async with write_transaction(sessions) as turn:
        await SqlConversationStore(turn.session, turn.sqlite).claim_event(USER, "m2")
        await SqlTicketStore(turn.session).file(_draft())
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM processed_events").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM tickets").fetchone() == (1,)


async def test_a_pool_writer_waits_its_turn_behind_a_conversation_turn(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    order: list[str] = []
    turn_open = asyncio.Event()
    release = asyncio.Event()

    async def turn() -> None:
        async with write_transaction(sessions) as tx:
            await SqlConversationStore(tx.session, tx.sqlite).claim_event(USER, "m1")
            turn_open.set()
            await release.wait()
            order.append("turn")

    async def api_write() -> None:
        await turn_open.wait()
        async with sessions() as session, session.begin():
            await session.execute(text("INSERT INTO api_tokens (name, role, token_hash, created_at) "
                                       "VALUES ('api', 'operator', 'h', '2026-01-01')"))
            order.append("api")

    turning, writing = asyncio.create_task(turn()), asyncio.create_task(api_write())
    await asyncio.sleep(0.05)
    assert not writing.done()  # waiting for the lock, not failed with "database is locked"
    release.set()
    await asyncio.wait_for(asyncio.gather(turning, writing), timeout=5)
    assert order == ["turn", "api"]
    async with write_transaction(sessions) as tx:  # the lock was handed back: the next turn goes ahead
        assert await SqlConversationStore(tx.session, tx.sqlite).claim_event(USER, "m2")



async def test_each_turn_reads_what_others_changed_since_the_last(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        filed = await SqlTicketStore(session).file(_draft())
    by_number = select(TicketRow).where(TicketRow.number == filed.number)
    async with write_transaction(sessions) as turn:
        earlier = await turn.session.scalar(by_number)  # still referenced when the next turn reads the row
        assert earlier is not None and earlier.status == "new"
    async with sessions() as session, session.begin():  # an operator, between the user's turns
        await session.execute(text("UPDATE tickets SET status = 'assigned'"))
    async with write_transaction(sessions) as turn:
        now = await turn.session.scalar(by_number)
        assert now is not None and now.status == "assigned"


async def test_checkpoints_in_a_worker_thread_keep_the_log_short(
    database: Path, sessions: async_sessionmaker[AsyncSession],
) -> None:
    for n in range(600):
        data = {"transcript": [{"from": "user", "text": f"{n:05d}" * 40}] * 40}  # ~8 KB new: pages a turn
        async with write_transaction(sessions) as turn:
            store = SqlConversationStore(turn.session, turn.sqlite)
            stored = await store.load_for_update(UserRef("telegram", str(n % 50)), "new")
            stored.data = data
            await store.save(UserRef("telegram", str(n % 50)), stored)
        await asyncio.sleep(0.02 if n % 50 == 49 else 0)  # the loop goes round between turns, and now and
        # then has nothing to do: a checkpoint finishes, and the next turn rewinds the log
    await asyncio.sleep(0.1)
    with sqlite3.connect(database) as conn:  # frames in the log not yet copied back, out of all in it
        _busy, logged, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    # 600 turns wrote over 2,000 pages; the log holds at most those since the last idle moment
    assert logged < 1000 and logged - copied < 1000


async def test_a_writer_never_idle_has_the_log_rewound_holding_the_writers_lock(tmp_path: Path) -> None:
    path = str(tmp_path / "busy.db")
    writers = asyncio.Lock()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, data TEXT)")
    checkpoints = Checkpointer(path, writers, every=20, restart_pages=300)
    for n in range(600):
        async with writers:  # as InlineConnection.begin_write ... commit
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT OR REPLACE INTO t VALUES (?, ?)", (n % 40, f"{n:05d}" * 2000))
            conn.execute("COMMIT")
            checkpoints.committed()
        await asyncio.sleep(0)  # never idle: a checkpoint thread always finds new frames behind it
    await checkpoints.close()
    _busy, logged, _copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    conn.close()
    assert logged < 600  # 600 writes of 3 pages each, rewound whenever it passed 300


async def test_first_turns_arriving_together_share_one_connection(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    seen: list[sqlite3.Connection] = []

    async def turn(n: int) -> None:
        async with write_transaction(sessions) as tx:
            assert tx.sqlite is not None
            seen.append(tx.sqlite)
            await SqlConversationStore(tx.session, tx.sqlite).claim_event(USER, f"m{n}")

    await asyncio.gather(*(turn(n) for n in range(5)))
    assert len({id(conn) for conn in seen}) == 1


async def test_a_none_in_a_json_column_is_stored_as_the_orm_stores_it(
    database: Path, sessions: async_sessionmaker[AsyncSession],
) -> None:
    other = UserRef("telegram", "43")
    async with write_transaction(sessions) as turn:  # direct
        store = SqlConversationStore(turn.session, turn.sqlite)
        await store.claim_event(USER, "m1")
        await Prebuilt(turn.session, turn.sqlite).rowcount(_REMEMBER, {
            "p_channel": USER.channel, "p_user": USER.user_id, "p_message": "m1", "p_replies": None})
    async with sessions() as session, session.begin():  # through SQLAlchemy
        await SqlConversationStore(session).claim_event(other, "m1")
        await Prebuilt(session).rowcount(_REMEMBER, {
            "p_channel": other.channel, "p_user": other.user_id, "p_message": "m1", "p_replies": None})
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT replies, typeof(replies) FROM processed_events ORDER BY user_id").fetchall()
    assert rows[0] == rows[1]


async def test_a_follow_up_and_a_deflection_are_stored_as_the_orm_stored_them(
    database: Path, sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        number = (await SqlTicketStore(session).file(_draft())).number
        ticket_id = (await SqlTicketDesk(session, Settings()).row(number)).id
        session.add(TicketMessageRow(ticket_id=ticket_id, author="user:42", kind="user", text="still failing"))
        session.add(DeflectionRow(channel="telegram", user_id="42", entry_id="otp", description="otp", ulb="Puri"))
    async with write_transaction(sessions) as turn:  # direct
        assert turn.sqlite is not None
        await SqlTicketDesk(turn.session, Settings(), sqlite=turn.sqlite).add_user_message(
            number.lower(), "42", "still failing")
        await SqlTicketStore(turn.session, sqlite=turn.sqlite).record_deflection(
            "telegram", "42", "otp", "otp", "Puri")
        assert not turn.session.in_transaction()  # nothing went through the ORM
    with sqlite3.connect(database) as conn:
        messages = conn.execute("SELECT ticket_id, author, kind, text, typeof(at), length(at) "
                                "FROM ticket_messages").fetchall()
        deflections = conn.execute("SELECT channel, user_id, entry_id, description, ulb, typeof(created_at), "
                                   "length(created_at) FROM deflections").fetchall()
    assert len(messages) == 2 and messages[0] == messages[1]
    assert len(deflections) == 2 and deflections[0] == deflections[1]


async def test_a_follow_up_while_the_team_waits_for_the_user_starts_the_clock_again(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        number = (await SqlTicketStore(session).file(_draft())).number
        desk = SqlTicketDesk(session, Settings())
        await desk.claim(number, "op-1", None)
        await desk.wait_on_user(number, "op-1", None)
    async with write_transaction(sessions) as turn:
        await SqlTicketDesk(turn.session, Settings(), sqlite=turn.sqlite).add_user_message(number, "42", "bill 7")
    async with sessions() as session:
        desk = SqlTicketDesk(session, Settings())
        row = await desk.row(number)
        assert row.status == "open" and row.waiting_since is None
        assert [(m.kind, m.text) for m in await desk.messages(row.id)][-1] == ("user", "bill 7")


async def test_a_statement_run_directly_refuses_to_leave_a_value_out() -> None:
    with pytest.raises(ValueError, match="created_at"):  # its default=utcnow is SQLAlchemy's to run
        DirectStatement(insert(DeflectionRow).values(channel=bindparam("p_channel")))
    statement = DirectStatement(_REMEMBER)
    with pytest.raises(KeyError, match="p_replies"):
        statement.parameters({"p_channel": "telegram", "p_user": "42", "p_message": "m1"})


async def test_a_ticket_filed_directly_is_stored_and_read_as_through_sqlalchemy(
    database: Path, sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with write_transaction(sessions) as turn:  # direct
        assert turn.sqlite is not None
        direct = await SqlTicketStore(turn.session, "HD", sqlite=turn.sqlite).file(_draft())
        assert not turn.session.in_transaction()
    async with sessions() as session, session.begin():  # through SQLAlchemy
        through_session = await SqlTicketStore(session, "HD").file(_draft())
    async with sessions() as session:
        assert await SqlTicketStore(session).get(direct.number) == direct
        assert await SqlTicketStore(session).get(through_session.number) == through_session
    assert (direct.number, through_session.number) == ("HD-000001", "HD-000002")
    assert direct.status == "new" and direct.version == 1 and direct.sla_status == "on_time"
    columns = [c.key for c in TicketRow.__table__.columns if c.key not in ("id", "number", "created_at", "updated_at")]
    listed = ", ".join(f"{c}, typeof({c})" for c in [*columns, "created_at"])  # the table's own column names
    with sqlite3.connect(database) as conn:
        first, second = conn.execute(f"SELECT {listed} FROM tickets ORDER BY id").fetchall()  # noqa: S608
    assert first[:-2] == second[:-2] and first[-1] == second[-1] == "text"
