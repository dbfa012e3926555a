"""Builds the running system from settings: database, knowledge base, matcher, engine, API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import flows
from api.app import create_app
from api.deps import ApiContext
from api.routes import tickets as api_tickets
from app.background import running
from app.kb_sync import KbSync
from app.services import Services as Services
from bot.http_chat import chat_router
from bot.telegram_channel import TelegramChannel
from core.channel import PushChannel
from core.db import checkpoint_aside, make_engine, make_read_engine, make_sessions, upgrade
from core.i18n import Catalog
from core.kb_version import bump_version
from core.settings import Settings
from flows.engine import Engine
from jira_link.webhook import jira_router
from tickets.desk import sla_due
from tickets.sla import SlaPolicy
from tickets.sla_job import check_config
from web import chat as web_chat
from web import console as web_console
from web.app import install as install_web

if TYPE_CHECKING:
    from kb.matcher import LexicalMatcher

MESSAGES_DIR = Path(flows.__file__).resolve().parent / "messages"


def open_database(settings: Settings) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    """The database, its schema brought up to date first (so a fresh machine needs no setup step)."""
    url = settings.resolved_database_url()
    upgrade(url)
    db = make_engine(url)
    return db, make_sessions(db)


def load_matcher(settings: Settings, *, background: bool = True) -> LexicalMatcher:
    """The matcher over the configured knowledge base; InvalidContent (nothing loaded) if any file is bad.

    With `settings.semantic`, the sentence encoders that load are fused in (one that fails is logged and
    its scripts stay lexical); entry vectors come from the data folder's cache, or are encoded in the
    background (`background`) while matching stays lexical.
    """
    from kb.encoded import CACHE_FOLDER
    from kb.encoders import Encoders, load_encoders
    from kb.loader import load_knowledge_base
    from kb.matcher import LexicalMatcher
    from kb.semantic import DEFAULT_FILE, load_vectors

    knowledge = load_knowledge_base(settings.kb_dir)
    cache = settings.data_dir / CACHE_FOLDER
    encoders = load_encoders(settings.encoder_threads, cache=cache) if settings.semantic else Encoders({})
    table = settings.data_dir / DEFAULT_FILE  # built by `make vectors`; the static table, when no encoder
    vectors = load_vectors(table) if table.exists() and not encoders.by_script else None
    return LexicalMatcher(
        knowledge,
        threshold=settings.faq_threshold,
        vectors=vectors,
        encoders=encoders,
        cache=cache,
        background=background,
    )


def build_services(settings: Settings) -> Services:
    """Everything the chat and the server need; refuses to start on an invalid knowledge base."""
    check_config(settings)
    matcher = load_matcher(settings)
    catalog = Catalog.load(MESSAGES_DIR)
    db, sessions = open_database(settings)
    policy = SlaPolicy.from_settings(settings)
    due = sla_due(policy)
    wording: dict[str, Catalog] = {}
    if settings.voice_auth_token:
        from bot.voice import CHANNEL as VOICE
        from bot.voice_prompts import wording as spoken

        wording[VOICE] = spoken(catalog)
    engine = Engine(sessions, matcher, settings, catalog, due, wording)
    telegram = TelegramChannel(settings, sessions, engine, due) if settings.telegram_token else None
    read_db = make_read_engine(settings.resolved_database_url())
    if read_db is not None:  # SQLite: the log is checkpointed beside the writer, not inside its commits
        checkpoint_aside(db, read_db)
    channels: list[PushChannel] = [telegram] if telegram is not None else []
    if settings.whatsapp_token and settings.whatsapp_phone_number_id:
        from bot.whatsapp_channel import WhatsAppChannel  # httpx only, but no need to load it unconfigured

        channels.append(WhatsAppChannel(settings, sessions, engine))
    if settings.email_imap_url and settings.email_smtp_url and settings.email_address:
        from bot.email_channel import EmailChannel  # imap-tools and aiosmtplib, loaded only when configured

        channels.append(EmailChannel(settings, sessions, engine))
    services = Services(settings, db, sessions, matcher, engine, due, policy, telegram, read_db, channels)
    services.kb_sync = KbSync(sessions, lambda: reload_matcher(services))
    return services


async def reload_matcher(services: Services) -> int:
    """Read the knowledge-base files again and index them; InvalidContent leaves the old one answering."""
    from kb.loader import load_knowledge_base

    knowledge = await asyncio.to_thread(load_knowledge_base, services.settings.kb_dir)
    await asyncio.to_thread(services.matcher.reload, knowledge)
    return len(knowledge.entries)


def build_app(services: Services) -> FastAPI:
    """The HTTP app: operator API, KB reload, and the HTTP chat channel, on one FastAPI app."""

    async def reload_kb() -> int:
        """Reload here, then count a new version so that every other server process reloads too."""
        entries = await reload_matcher(services)
        version = await bump_version(services.sessions, "reload")
        if services.kb_sync is not None:
            services.kb_sync.saved_here(version)
        return entries

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running(services):
            yield

    ctx = ApiContext(services.settings, services.sessions, services.due, reload_kb)
    ctx.read_sessions = make_sessions(services.read_db) if services.read_db else None
    routers = [chat_router(services.engine, services.settings, ctx.chat_limits),
               jira_router(services.sessions, services.settings, lambda: ctx.clock())]
    routers += [router for channel in services.channels if (router := channel.router()) is not None]
    if services.settings.voice_auth_token:
        routers.append(build_voice_router(services))
    uploads = {**web_chat.body_limits(services.settings), **web_console.body_limits(services.settings),
               **api_tickets.body_limits(services.settings)}
    app = create_app(ctx, routers, lifespan, body_limits=uploads)
    install_web(app, ctx, services.engine, services.matcher, Catalog.load(MESSAGES_DIR))
    return app


def build_voice_router(services: Services) -> APIRouter:
    """The voice line's webhooks (when HELPDESK_VOICE_AUTH_TOKEN is set)."""
    from bot.voice import VoiceLine
    from bot.voice_prompts import PromptAudio, VoicePrompts
    from bot.voice_routes import voice_router
    from tickets.attachments import AttachmentStore

    settings = services.settings
    prompts = VoicePrompts.load(MESSAGES_DIR)
    attachments = AttachmentStore(settings.attachments_dir, settings.attachments_max_bytes)
    line = VoiceLine(services.engine, prompts, services.sessions)
    return voice_router(line, prompts, PromptAudio(settings.voice_prompts_dir), attachments, settings)
