"""The WhatsApp channel as `helpdesk serve` runs it (a `core.channel.PushChannel`): the webhook route, the
worker that answers stored messages in order, and the outbox sender that respects the 24-hour window.

Inside the window (24 hours since the user last wrote) anything may be sent; outside it only approved
templates. The sender sends free-form when the window is open, and the item's template otherwise or when
Meta answers 131047 (the window closed sooner than we knew). Files an operator sent with a reply follow its
text inside the window (uploaded to /media, then an image or document message); outside it only the
template goes (it cannot carry them): the file names are added to it, and the files go when the user next
writes. An item retried after a failure part way (its text went, its photo did not) sends only what had not
gone. Throughput errors are retried by the outbox's backoff; a user who cannot be reached (131026) is
marked, their open tickets say so, and they are not retried until they write again.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.whatsapp_api import OUTSIDE_WINDOW, UNDELIVERABLE, CloudApi, GraphError
from bot.whatsapp_render import inbound_fields, render
from bot.whatsapp_store import SqlWhatsApp, StoredMessage, message_time
from bot.whatsapp_webhook import webhook_router
from core.channel import ChatEngine, DeliveryError, Loop, OutboxItem
from core.db import utcnow
from core.errors import NotFound
from core.messages import LANGUAGE, Attachment, Inbound, Reply, UserRef
from core.settings import Settings
from tickets.attachments import AttachmentStore, TooLarge, kind_of

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
MAX_ATTEMPTS = 5
TEMPLATE_PARAMETER = 1024
Clock = Callable[[], datetime]


def template_message(name: str, language: str, text: str) -> dict[str, Any]:
    """A template message whose one body parameter is `text` (Meta allows no newlines or tabs in it)."""
    flat = " · ".join(line.strip() for line in text.splitlines() if line.strip())
    flat = " ".join(flat.split())[:TEMPLATE_PARAMETER]
    return {"type": "template", "template": {
        "name": name, "language": {"code": language},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": flat}]}],
    }}


class WhatsAppSender:
    """The outbox sender for channel "whatsapp"."""

    def __init__(self, channel: WhatsAppChannel) -> None:
        self._channel = channel

    async def send(self, item: OutboxItem) -> None:
        channel, wa_id = self._channel, item.user_id
        async with channel.sessions() as session:
            store = SqlWhatsApp(session)
            if await store.is_blocked(wa_id):
                raise DeliveryError("the user cannot be reached on WhatsApp", retryable=False)
            open_window = await store.window_open(wa_id, channel.clock())
            already = await store.sent_free_form(item.id)  # by an attempt that failed part way
        reply = await channel.engine.render_for(UserRef(CHANNEL, wa_id), item.kind, item.payload)
        try:
            if open_window:
                try:
                    await channel.deliver(wa_id, reply, outbox_id=item.id, skip=already)
                    return
                except GraphError as err:
                    if err.code not in OUTSIDE_WINDOW:
                        raise
                    async with channel.sessions() as session, session.begin():
                        await SqlWhatsApp(session).window_closed(wa_id, channel.clock())
            files = reply.files
            if files:
                names = ", ".join(f"📎 {f.name or 'file'}" for f in files)
                reply = dataclasses.replace(reply, text=f"{reply.text}\n{names}", files=())
            await channel.deliver_template(wa_id, item.kind, reply, outbox_id=item.id)
            if files:  # a template carries no media: they go when the user next writes
                async with channel.sessions() as session, session.begin():
                    await SqlWhatsApp(session).hold_files(wa_id, [dataclasses.asdict(f) for f in files])
        except GraphError as err:
            if err.code in UNDELIVERABLE:
                async with channel.sessions() as session, session.begin():
                    await SqlWhatsApp(session).blocked(wa_id, channel.clock())
            raise DeliveryError(str(err), retryable=err.retryable) from err


class WhatsAppChannel:
    name = CHANNEL

    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession], engine: ChatEngine,
                 *, clock: Clock = utcnow, api: CloudApi | None = None) -> None:
        self.settings, self.sessions, self.engine, self.clock = settings, sessions, engine, clock
        self.api = api or CloudApi(settings)
        self.attachments = AttachmentStore(settings.attachments_dir, settings.attachments_max_bytes)
        self.wake = asyncio.Event()
        self._sender = WhatsAppSender(self)

    def router(self) -> APIRouter:
        return webhook_router(self.settings, self.sessions, self.wake, self.clock)

    def loops(self) -> list[Loop]:
        return [self.work_inbox]

    def sender(self) -> WhatsAppSender:
        return self._sender

    async def close(self) -> None:
        await self.api.close()

    async def deliver(self, wa_id: str, reply: Reply, *, outbox_id: int | None = None, skip: int = 0) -> list[str]:
        """Send a reply free-form (inside the window), its text then its files, but the first `skip` of those
        messages (sent by an earlier attempt); Meta's ids of the messages it took."""
        ids = []
        messages: list[dict[str, Any] | Attachment] = [*render(reply), *reply.files]
        for message in messages[skip:]:
            if isinstance(message, Attachment):
                message = await self._media_message(message)
            message_id = await self.api.send(wa_id, message)
            ids.append(message_id)
            async with self.sessions() as session, session.begin():
                await SqlWhatsApp(session).sent(message_id, wa_id, outbox_id, None)
        return ids

    async def _media_message(self, file: Attachment) -> dict[str, Any]:
        """A file from the attachment store, uploaded, as an image or document message."""
        try:
            data = self.attachments.read(file.ref)
        except NotFound as err:
            raise DeliveryError(f"the attachment {file.name!r} is no longer kept", retryable=False) from err
        mime, name = self.attachments.mime_of(file.ref), file.name or file.ref
        media_id = await self.api.upload(data, mime, name)
        if mime.startswith("image/"):
            return {"type": "image", "image": {"id": media_id}}
        return {"type": "document", "document": {"id": media_id, "filename": name}}

    async def deliver_template(self, wa_id: str, kind: str, reply: Reply, *, outbox_id: int | None) -> str:
        """Send a reply as the approved template for its kind, in the user's language."""
        templates = self.settings.whatsapp_templates
        name = templates.get(kind) or templates["other"]
        language = self.settings.whatsapp_template_languages.get(reply.meta.get(LANGUAGE, "en"), "en")
        message_id = await self.api.send(wa_id, template_message(name, language, reply.text))
        async with self.sessions() as session, session.begin():
            await SqlWhatsApp(session).sent(message_id, wa_id, outbox_id, f"{name}/{language}")
        return message_id

    async def drain(self) -> int:
        """Answer every stored message that is due now, in arrival order; how many were taken."""
        taken = 0
        while True:
            async with self.sessions() as session, session.begin():
                batch = await SqlWhatsApp(session).claim(self.clock())
            if not batch:
                return taken
            taken += len(batch)
            for stored in batch:
                await self._process_one(stored)

    async def work_inbox(self, stop: asyncio.Event, period_s: float = 2.0) -> None:
        """Drain whenever the webhook stores something, and every `period_s` for leftovers."""
        while not stop.is_set():
            self.wake.clear()
            try:
                await self.drain()
            except Exception:  # the database may be away for a moment
                log.exception("whatsapp inbox pass failed")
            waits = [asyncio.ensure_future(self.wake.wait()), asyncio.ensure_future(stop.wait())]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED), period_s)
            for waiting in waits:
                waiting.cancel()

    async def _process_one(self, stored: StoredMessage) -> None:
        error: str | None = None
        try:
            await self._answer(stored)
        except Exception as err:  # a failing message must not stop the ones behind it
            log.exception("whatsapp message %s failed (attempt %s)", stored.message_id, stored.attempts + 1)
            error = f"{type(err).__name__}: {err}"
        async with self.sessions() as session, session.begin():
            store = SqlWhatsApp(session)
            if error is None or stored.attempts + 1 >= MAX_ATTEMPTS:
                await store.processed(stored, error)
            else:
                await store.failed(stored, error, self.clock() + timedelta(seconds=5 * 2 ** stored.attempts))

    async def _answer(self, stored: StoredMessage) -> None:
        message: dict[str, Any] = stored.payload["message"]
        async with self.sessions() as session, session.begin():
            await SqlWhatsApp(session).wrote(stored.wa_id, message_time(message) or self.clock())
        text, choice = inbound_fields(message)
        user = UserRef(CHANNEL, stored.wa_id)
        attachment = await self._media(user, message)
        if text is None and choice is None and attachment is None:
            log.info("whatsapp: ignoring a %s message from a user", message.get("type"))
            return
        inbound = Inbound(user, text=None if choice is not None else (text or ""), choice=choice,
                          message_id=f"wa:{stored.message_id}", attachments=(attachment,) if attachment else ())
        for reply in await self.engine.handle(inbound):
            await self.deliver(stored.wa_id, reply)
        await self._send_held_files(stored.wa_id)

    async def _send_held_files(self, wa_id: str) -> None:
        """Files a template could not carry, now that the user wrote (their window is open)."""
        async with self.sessions() as session:
            held = await SqlWhatsApp(session).held_files(wa_id)
        files = [Attachment(str(f["ref"]), str(f.get("kind", "file")), str(f.get("name", ""))) for f in held]
        for file in files:
            message_id = await self.api.send(wa_id, await self._media_message(file))
            async with self.sessions() as session, session.begin():
                store = SqlWhatsApp(session)
                await store.sent(message_id, wa_id, None, None)
                await store.release_files(wa_id, 1)

    async def _media(self, user: UserRef, message: dict[str, Any]) -> Attachment | None:
        kind = message.get("type")
        if kind not in {"image", "document"}:
            return None
        media_id = str(message.get(kind, {}).get("id", ""))
        try:
            media = await self.api.media(media_id)
            data = await self.api.download(media, self.attachments.max_bytes)
            stored = self.attachments.save(data, mime=media.mime_type)
        except (GraphError, TooLarge) as err:
            log.info("whatsapp: media %s not taken: %s", media_id, err)
            limit_mb = self.attachments.max_bytes // (1024 * 1024)
            notice = await self.engine.render_for(user, "notice", {"key": "attachment.too_large",
                                                                   "fields": {"limit": limit_mb}})
            await self.deliver(user.user_id, notice)
            return None
        name = str(message.get(kind, {}).get("filename", "")) or stored.ref
        return Attachment(stored.ref, kind_of(media.mime_type), name)
