"""Migration 0020: callers the old voice line remembered keep their profile, now in their conversation; stored
conversation data is stamped with its version."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import MIGRATIONS, is_sqlite, sync_url, upgrade
from core.json_columns import SQLITE_JSON
from core.messages import UserRef
from flows.memory import Memory
from flows.store import SqlConversationStore


def migrate(url: str, revision: str, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = create_engine(sync_url(url), **(SQLITE_JSON if is_sqlite(url) else {}))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, revision)
    finally:
        engine.dispose()


async def test_remembered_callers_keep_their_profile(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    migrate(database_url, "0015", down=True)
    try:
        engine = create_engine(sync_url(database_url))
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO voice_callers (number, language, role, ulb, updated_at) VALUES "
                "('+911', 'hi', 'cbo', 'od.jatni', '2026-12-01 10:00:00'), "
                "('+912', 'or', 'accountant', 'od.puri', '2026-12-01 10:00:00')"))
            connection.execute(text(
                "INSERT INTO conversations (channel, user_id, state, data, version, updated_at) VALUES "
                "('voice', '+912', 'offering_problem', '{\"profile\": {\"language\": \"en\"}, \"transcript\": [], "
                "\"case\": {\"description\": \"x\", \"problem\": {\"id\": \"7\", \"title\": \"t\"}}}', 3, "
                "'2026-12-01 10:00:00')"))
            connection.execute(text(
                "INSERT INTO voice_calls (call_sid, caller, state, language, data, version, created_at, updated_at) "
                "VALUES ('CA1', '+911', 'impact', 'hi', '{}', 1, '2026-12-01 10:00:00', '2026-12-01 10:00:00')"))
        engine.dispose()
    finally:
        upgrade(database_url)
    async with sessions() as session:
        new = await SqlConversationStore(session).peek(UserRef("voice", "+911"))
        known = await SqlConversationStore(session).peek(UserRef("voice", "+912"))
        call_state = (await session.execute(text("SELECT state FROM voice_calls"))).scalar_one()
    assert new is not None and new.state == "new"
    assert new.data["profile"] == {"language": "hi", "role": "cbo", "ulb": "od.jatni"}
    assert known is not None and known.state == "offering_problem"
    assert known.data["profile"] == {"language": "en", "role": "accountant", "ulb": "od.puri"}  # theirs wins
    assert known.data["version"] == 2 and known.data["case"]["problem"] == {"id": 7, "title": "t"}
    memory = Memory.from_json(known.data)
    assert memory.case.problem is not None and memory.case.problem.id == 7 and memory.profile.role == "accountant"
    assert call_state == "menu"  # a call on the old keypad goes on from the main menu
