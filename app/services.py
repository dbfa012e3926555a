"""The running system's parts, built by app.wiring and used by the server, its background loops and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.channel import PushChannel
from core.settings import Settings
from tickets.sla import SlaPolicy
from tickets.store import DueFunction

if TYPE_CHECKING:
    from app.kb_sync import KbSync
    from bot.telegram_channel import TelegramChannel
    from flows.engine import Engine
    from kb.matcher import LexicalMatcher


@dataclass
class Services:
    settings: Settings
    db: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    matcher: LexicalMatcher
    engine: Engine
    due: DueFunction
    policy: SlaPolicy
    telegram: TelegramChannel | None = None  # with HELPDESK_TELEGRAM_TOKEN: webhook route, inbox, delivery
    read_db: AsyncEngine | None = None  # SQLite: connections for read-only API requests (core.db.make_read_engine)
    channels: list[PushChannel] = field(default_factory=list)  # every configured push channel, telegram included
    kb_sync: KbSync | None = None  # reloads the knowledge base when another process saved an edit
