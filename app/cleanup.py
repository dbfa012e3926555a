"""The clean-up job of `helpdesk serve`: anonymous web chat conversations left idle that never reached a
ticket are deleted, and attachment files nothing refers to any more are removed after a grace period.

Safe in several processes at once: each deletion is a single statement (or a file that may be gone already).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.email_models import EmailContactRow, EmailInboxRow
from bot.voice_store import VoiceCallRow
from core.db import utcnow
from core.settings import Settings
from flows.models import ConversationRow, ProcessedEventRow
from tickets.attachments import AttachmentStore
from tickets.models import OutboxRow, TicketMessageRow, TicketRow
from web.chat_store import WebChatLineRow, WebChatRow

log = logging.getLogger(__name__)
WEB_CHANNEL = "web"
_REF = re.compile(r"[0-9a-f]{64}(?:\.[a-z0-9]{1,8})?")


@dataclass(frozen=True)
class Cleaned:
    conversations: int
    attachments: int


async def expire_idle_web_chats(session: AsyncSession, now: datetime, idle: timedelta) -> int:
    """Delete web chat conversations idle since `now - idle` whose user never filed a ticket; returns how many."""
    has_ticket = exists().where(TicketRow.channel == ConversationRow.channel,
                                TicketRow.user_id == ConversationRow.user_id)
    idle_users = select(ConversationRow.user_id).where(
        ConversationRow.channel == WEB_CHANNEL, ConversationRow.updated_at < now - idle, ~has_ticket)
    users = list(await session.scalars(idle_users))
    for start in range(0, len(users), 500):
        chunk = users[start:start + 500]
        await session.execute(delete(ProcessedEventRow).where(
            ProcessedEventRow.channel == WEB_CHANNEL, ProcessedEventRow.user_id.in_(chunk)))
        await session.execute(delete(WebChatLineRow).where(WebChatLineRow.user_id.in_(chunk)))  # its history
        await session.execute(delete(WebChatRow).where(WebChatRow.user_id.in_(chunk)))
        await session.execute(delete(ConversationRow).where(and_(
            ConversationRow.channel == WEB_CHANNEL, ConversationRow.user_id.in_(chunk),
            ConversationRow.updated_at < now - idle)))  # unless a message came in meanwhile
    return len(users)


async def referenced_attachments(session: AsyncSession) -> set[str]:
    """Every attachment reference a ticket, its messages, the outbox, a live conversation, a call, a mail sender's
    kept files or a mail not yet answered holds."""
    columns: list[Any] = [TicketRow.attachments, TicketRow.transcript, TicketMessageRow.text, OutboxRow.payload,
                          ConversationRow.data, VoiceCallRow.data, WebChatLineRow.photo, EmailContactRow.pending]
    found: set[str] = set()
    for column in columns:
        for value in await session.scalars(select(column)):
            found.update(_REF.findall(value if isinstance(value, str) else repr(value)))
    waiting = select(EmailInboxRow.raw_ref).where(EmailInboxRow.processed_at.is_(None))
    found.update(ref for ref in await session.scalars(waiting) if ref)
    return found


def remove_unreferenced(store: AttachmentStore, referenced: set[str], now: datetime, grace: timedelta) -> int:
    """Delete files older than the grace period that nothing refers to; returns how many."""
    if not store.root.is_dir():
        return 0
    removed = 0
    for path in store.root.glob("??/*"):
        if not _REF.fullmatch(path.name) or path.name in referenced:
            continue
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        if modified < now - grace:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


async def clean(sessions: async_sessionmaker[AsyncSession], settings: Settings, store: AttachmentStore,
                now: datetime) -> Cleaned:
    """One clean-up: idle anonymous conversations first, so that their photos are unreferenced from then on."""
    async with sessions() as session, session.begin():
        conversations = await expire_idle_web_chats(session, now, timedelta(hours=settings.web_chat_idle_hours))
    async with sessions() as session:
        referenced = await referenced_attachments(session)
    files = await asyncio.to_thread(remove_unreferenced, store, referenced, now,
                                    timedelta(hours=settings.attachment_grace_hours))
    if conversations or files:
        log.info("clean-up: %d idle web chat conversations and %d unreferenced attachments removed",
                 conversations, files)
    return Cleaned(conversations, files)


async def run(sessions: async_sessionmaker[AsyncSession], settings: Settings,
              clock: Callable[[], datetime] = utcnow) -> None:
    """Clean up every `settings.cleanup_minutes` until cancelled; a failed run is logged and retried."""
    store = AttachmentStore(settings.attachments_dir, settings.attachments_max_bytes)
    while True:
        try:
            await clean(sessions, settings, store, clock())
        except Exception:
            log.exception("clean-up failed; retrying in %s minutes", settings.cleanup_minutes)
        await asyncio.sleep(settings.cleanup_minutes * 60)
