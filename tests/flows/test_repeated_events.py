"""An event's key is recorded with its effects, in one statement at the end of its turn: a repeated delivery
changes nothing, even when two workers are handed it at the same moment or one records it while the other
is mid-turn."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import make_engine, make_sessions
from core.i18n import Catalog
from core.messages import Inbound
from core.settings import Settings
from flows.engine import Engine
from flows.store import SqlConversationStore, StoredConversation
from tests.fakes import KeywordMatcher, ScriptedChat
from tickets.store import SqlTicketStore, Ticket


async def tickets_of(sessions: async_sessionmaker[AsyncSession]) -> list[Ticket]:
    async with sessions() as session:
        return await SqlTicketStore(session).recent()


async def test_two_workers_handed_the_same_event_at_once_file_one_ticket(
    chat: ScriptedChat, sessions: async_sessionmaker[AsyncSession], matcher: KeywordMatcher, settings: Settings,
    catalog: Catalog,
) -> None:
    await chat.walk_to_confirm()
    other_db = make_engine(settings.resolved_database_url())  # another process's worker, its own connections
    other = Engine(make_sessions(other_db), matcher, settings, catalog)
    event = Inbound(chat.user, choice="confirm", message_id="m-7")
    try:
        first, second = await asyncio.wait_for(
            asyncio.gather(chat.engine.handle(event, replay=True), other.handle(event, replay=True)), 30)
    finally:
        await other_db.dispose()
    [ticket] = await tickets_of(sessions)
    assert [r.ticket for r in first if r.ticket] == [ticket.number]  # the one that applied it, and the replay
    assert [r.text for r in first] == [r.text for r in second]


async def test_an_event_recorded_while_its_turn_ran_rolls_the_turn_back(
    chat: ScriptedChat, sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch,
) -> None:
    await chat.walk_to_confirm()
    filed = await chat.send_choice("confirm", message_id="m-8")
    async with sessions() as session:
        before = await SqlConversationStore(session).peek(chat.user)
    load = SqlConversationStore.load_for_update

    async def unseen(store: SqlConversationStore, *args: Any, **kwargs: Any) -> StoredConversation:
        stored = await load(store, *args, **kwargs)
        stored.seen = False  # as on PostgreSQL when another worker records it while this one waits for the row
        return stored

    monkeypatch.setattr(SqlConversationStore, "load_for_update", unseen)
    assert await chat.send_choice("confirm", message_id="m-8") == []
    replayed = await chat.engine.handle(Inbound(chat.user, choice="confirm", message_id="m-8"), replay=True)
    assert [r.text for r in replayed] == [r.text for r in filed]
    async with sessions() as session:
        assert await SqlConversationStore(session).peek(chat.user) == before  # not a line of the transcript
    assert [t.number for t in await tickets_of(sessions)] == [filed[0].ticket]
