"""Builds the running system from settings: database, knowledge base, matcher, engine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.db import make_engine, make_sessions, upgrade
from core.i18n import Catalog
from core.settings import Settings
import flows
from flows.engine import Engine

if TYPE_CHECKING:
    from kb.matcher import LexicalMatcher

MESSAGES_DIR = Path(flows.__file__).resolve().parent / "messages"


@dataclass
class Services:
    settings: Settings
    db: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    matcher: LexicalMatcher
    engine: Engine


def open_database(settings: Settings) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    """The database, its schema brought up to date first (so a fresh machine needs no setup step)."""
    url = settings.resolved_database_url()
    upgrade(url)
    db = make_engine(url)
    return db, make_sessions(db)


def build_services(settings: Settings) -> Services:
    """Everything the chat and the server need; refuses to start on an invalid knowledge base."""
    from kb.loader import load_knowledge_base
    from kb.matcher import LexicalMatcher

    knowledge = load_knowledge_base(settings.kb_dir)
    matcher = LexicalMatcher.from_knowledge_base(knowledge, threshold=settings.faq_threshold)
    catalog = Catalog.load(MESSAGES_DIR)
    db, sessions = open_database(settings)
    return Services(settings, db, sessions, matcher, Engine(sessions, matcher, settings, catalog))
