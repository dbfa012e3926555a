"""The WhatsApp webhook: Meta's verification handshake (GET) and signed deliveries (POST).

A POST is refused (403) unless `X-Hub-Signature-256` is `sha256=` + the HMAC-SHA256 of the raw body under the
app secret, compared in constant time. Each user message of a delivery (there may be several) is stored under
its `wamid` before the 200 (a redelivery is stored once), and the worker answers them in order; delivery
statuses are recorded at once (a failure saying the user cannot be reached marks them unreachable).
Deliveries for another phone number id are acknowledged and ignored. If the database cannot take them the
answer is 503, so Meta delivers them again.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.whatsapp_api import UNDELIVERABLE
from bot.whatsapp_store import SqlWhatsApp
from core.settings import Settings

log = logging.getLogger(__name__)

PATH = "/whatsapp/webhook"
SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_BODY = 3 * 1024 * 1024


def signature_of(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _values(payload: dict[str, Any], phone_number_id: str | None) -> Iterator[dict[str, Any]]:
    """The `value` of every change addressed to our number."""
    for entry in payload.get("entry") or []:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                continue
            number = (value.get("metadata") or {}).get("phone_number_id")
            if number != phone_number_id:
                log.warning("whatsapp webhook: ignoring a change for phone number id %s", number)
                continue
            yield value


def webhook_router(settings: Settings, sessions: async_sessionmaker[AsyncSession], wake: asyncio.Event,
                   clock: Callable[[], datetime]) -> APIRouter:
    router = APIRouter(tags=["whatsapp"])

    @router.get(PATH, include_in_schema=False)
    async def verify(mode: str = Query("", alias="hub.mode"), token: str = Query("", alias="hub.verify_token"),
                     challenge: str = Query("", alias="hub.challenge")) -> Response:
        """Meta's subscription handshake: echo the challenge when the verify token matches."""
        expected = settings.whatsapp_verify_token or ""
        if mode == "subscribe" and expected and hmac.compare_digest(token.encode(), expected.encode()):
            return Response(challenge, media_type="text/plain")
        return Response(status_code=403)

    @router.post(PATH, include_in_schema=False)
    async def receive(request: Request) -> Response:
        """Store a delivery's messages and statuses."""
        body = await request.body()
        secret = settings.whatsapp_app_secret or ""
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not secret or not hmac.compare_digest(given.encode(), signature_of(body, secret).encode()):
            log.warning("whatsapp webhook: refused a delivery without a valid signature")
            return Response(status_code=403)
        try:
            payload = json.loads(body) if len(body) <= MAX_BODY else None
        except (ValueError, RecursionError):
            payload = None
        if not isinstance(payload, dict):
            log.warning("whatsapp webhook: acknowledged a delivery that is not a JSON object")
            return Response(status_code=200)
        fresh = 0
        try:
            async with sessions() as session, session.begin():
                store = SqlWhatsApp(session)
                for value in _values(payload, settings.whatsapp_phone_number_id):
                    fresh += await _store_value(store, value, clock())
        except Exception:  # the database is away: a non-2xx makes Meta deliver it again later
            log.exception("whatsapp webhook: could not store a delivery")
            return Response(status_code=503)
        if fresh:
            wake.set()
        return Response(status_code=200)

    return router


async def _store_value(store: SqlWhatsApp, value: dict[str, Any], now: datetime) -> int:
    contacts = {str(c.get("wa_id")): c for c in value.get("contacts") or [] if isinstance(c, dict)}
    fresh = 0
    for message in value.get("messages") or []:
        if isinstance(message, dict) and message.get("id") and message.get("from"):
            fresh += await store.store(message, contacts.get(str(message["from"])), now)
    for status in value.get("statuses") or []:
        if isinstance(status, dict) and status.get("id"):
            raw = status.get("errors")
            errors = [e for e in raw if isinstance(e, dict)] if isinstance(raw, list) else []
            error = json.dumps(errors[0])[:1000] if errors else None
            recipient = str(status.get("recipient_id", ""))
            await store.status(str(status["id"]), recipient, str(status.get("status")), error)
            if recipient and any(e.get("code") in UNDELIVERABLE for e in errors):
                await store.blocked(recipient, now)
    return fresh
