"""Fixtures: a fresh database per test (SQLite always; PostgreSQL too when HELPDESK_TEST_POSTGRES_URL is set),
copied from one migrated per run; and every test's tier marker and timeout (tests/tiers.py)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.wiring import MESSAGES_DIR
from core.db import make_engine, make_sessions, sync_url
from core.i18n import Catalog
from core.settings import Settings
from flows.engine import Engine
from tests.databases import copy_sqlite, empty_postgres, migrated_postgres, migrated_sqlite
from tests.fakes import KeywordMatcher, ScriptedChat, password_matcher
from tests.tiers import longest_first, mark_tiers

POSTGRES_URL = os.environ.get("HELPDESK_TEST_POSTGRES_URL")
# The sentence encoders take seconds to load and to encode the shipped knowledge base: the suite matches
# lexically (servers it starts inherit this), and tests/kb/test_fused.py covers the semantic path.
os.environ.setdefault("HELPDESK_SEMANTIC", "false")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_tiers(items)
    longest_first(items)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this test run's own on the server HELPDESK_TEST_POSTGRES_URL names, so that two runs
    on one server never reset each other's schema; dropped at the end."""
    assert POSTGRES_URL
    server = make_url(sync_url(POSTGRES_URL))
    name = f"{server.database or 'helpdesk'}_run{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_template(postgres_url: str) -> str:
    """The run's PostgreSQL database, migrated once (each test then starts from it emptied)."""
    return migrated_postgres(postgres_url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per test process; each test gets a copy."""
    return migrated_sqlite(tmp_path_factory.mktemp("template") / "helpdesk.db")


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of the test's own: a copy of the SQLite template, or the run's PostgreSQL
    database emptied."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_template")
        empty_postgres(url)
        return url
    return copy_sqlite(request.getfixturevalue("sqlite_template"), tmp_path / "helpdesk.db")


@pytest.fixture(scope="module", params=BACKENDS)
def module_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database for a whole module: one that fills it once and gives each test the same contents
    again (tests/databases.py `keep` and `restore`), where filling it per test would cost more than the test."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_template")
        empty_postgres(url)
        return url
    return copy_sqlite(request.getfixturevalue("sqlite_template"), tmp_path_factory.mktemp("module") / "helpdesk.db")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path / "data")


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    db = make_engine(settings.resolved_database_url())
    yield make_sessions(db)
    await db.dispose()


@pytest.fixture
def catalog() -> Catalog:
    return Catalog.load(MESSAGES_DIR)


@pytest.fixture
def matcher() -> KeywordMatcher:
    return password_matcher()


@pytest.fixture
def engine(
    sessions: async_sessionmaker[AsyncSession], matcher: KeywordMatcher, settings: Settings, catalog: Catalog
) -> Engine:
    return Engine(sessions, matcher, settings, catalog)


@pytest.fixture
def chat(engine: Engine) -> ScriptedChat:
    return ScriptedChat(engine)
