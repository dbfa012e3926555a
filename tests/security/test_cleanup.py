"""The clean-up job: idle anonymous web chats that never reached a ticket are deleted, and attachment files
nothing refers to are removed once older than the grace period. Time is a fixed `now`."""

from __future__ import annotations

import os
from datetime import timedelta

from sqlalchemy import select, update

from app.cleanup import clean
from app.wiring import Services
from core.messages import Attachment, Inbound, UserRef
from flows.models import ConversationRow
from tests.fakes import ScriptedChat
from tests.security.identity_helpers import START
from tickets.attachments import AttachmentStore


async def _age(services: Services, channel: str, user: str, hours: float) -> None:
    async with services.sessions() as s, s.begin():
        await s.execute(update(ConversationRow).where(ConversationRow.channel == channel,
                                                      ConversationRow.user_id == user)
                        .values(updated_at=START - timedelta(hours=hours)))


async def _users(services: Services) -> set[tuple[str, str]]:
    async with services.sessions() as s:
        rows = await s.execute(select(ConversationRow.channel, ConversationRow.user_id))
        return {(r.channel, r.user_id) for r in rows}


def _file(store: AttachmentStore, data: bytes, hours_old: float) -> str:
    stored = store.save(data, mime="image/png")
    moment = (START - timedelta(hours=hours_old)).timestamp()
    os.utime(store.path(stored.ref), (moment, moment))
    return stored.ref


async def test_idle_anonymous_chats_and_unreferenced_photos_are_removed_and_nothing_else(services: Services) -> None:
    store = AttachmentStore(services.settings.attachments_dir)
    engine = services.engine
    kept_photo = _file(store, b"photo on a ticket", 48)
    live_photo = _file(store, b"photo in a live chat", 48)
    orphan = _file(store, b"photo of an abandoned chat", 48)
    fresh_orphan = _file(store, b"photo just uploaded", 1)
    filer = ScriptedChat(engine, "filer", channel="web")
    await filer.set_up_profile()
    await engine.handle(Inbound(filer.user, attachments=(Attachment(kept_photo, "image", "a.png"),)))
    await filer.walk_to_confirm("bill page shows an error on save")
    await filer.pick("file it")
    assert filer.ticket
    await engine.handle(Inbound(UserRef("web", "idle"), text="hi"))
    recent = ScriptedChat(engine, "recent", channel="web")
    await recent.set_up_profile()
    await engine.handle(Inbound(recent.user, attachments=(Attachment(live_photo, "image", "b.png"),)))
    await engine.handle(Inbound(UserRef("telegram", "idle"), text="hi"))
    for channel, user, hours in (("web", "filer", 30), ("web", "idle", 25), ("web", "recent", 23),
                                 ("telegram", "idle", 100)):
        await _age(services, channel, user, hours)

    done = await clean(services.sessions, services.settings, store, START)

    assert (done.conversations, done.attachments) == (1, 1)
    assert await _users(services) == {("web", "filer"), ("web", "recent"), ("telegram", "idle")}
    remaining = {p.name for p in services.settings.attachments_dir.rglob("*") if p.is_file()}
    assert remaining == {kept_photo, live_photo, fresh_orphan}
    assert orphan not in remaining
