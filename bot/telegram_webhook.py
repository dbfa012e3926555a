"""The Telegram webhook: a route on the FastAPI app that stores each update and answers 200 at once.

Telegram sends the secret given to `setWebhook` in `X-Telegram-Bot-Api-Secret-Token`; anything else gets
403. The secret is HELPDESK_TELEGRAM_WEBHOOK_SECRET if set, else the one `helpdesk telegram set-webhook`
generated into the data folder (read on each request, so a new one works without a restart).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.telegram_inbox import SqlTelegramInbox
from core.errors import InvalidInput
from core.inputs import loads
from core.settings import Settings

log = logging.getLogger(__name__)

PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
SECRET_FILE = "telegram-webhook-secret"  # noqa: S105 (a file name)


def secret_file(settings: Settings) -> Path:
    return settings.data_dir / SECRET_FILE


def current_secret(settings: Settings) -> str | None:
    if settings.telegram_webhook_secret:
        return settings.telegram_webhook_secret
    try:
        return secret_file(settings).read_text().strip() or None
    except FileNotFoundError:
        return None


def new_secret(settings: Settings) -> str:
    """The configured secret, or a new random one saved (owner-only) in the data folder."""
    if settings.telegram_webhook_secret:
        return settings.telegram_webhook_secret
    secret = secrets.token_urlsafe(48)  # Telegram allows 1-256 of A-Z a-z 0-9 _ -
    path = secret_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_suffix(".new"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secret)
    os.replace(path.with_suffix(".new"), path)
    return secret


def webhook_router(settings: Settings, sessions: async_sessionmaker[AsyncSession], wake: asyncio.Event) -> APIRouter:
    router = APIRouter(tags=["telegram"])

    @router.post(PATH, include_in_schema=False)
    async def telegram_webhook(request: Request) -> Response:
        """Receive one update from Telegram."""
        expected = current_secret(settings)
        given = request.headers.get(SECRET_HEADER, "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            log.warning("telegram webhook: refused a request without the right secret from %s",
                        request.client.host if request.client else "?")
            return Response(status_code=403)
        payload = _update_of(await request.body())
        if payload is None:
            return Response(status_code=200)
        try:
            async with sessions() as session, session.begin():
                fresh = await SqlTelegramInbox(session).store(int(payload["update_id"]), payload)
        except Exception:  # the database is away: a non-2xx makes Telegram deliver it again later
            log.exception("telegram webhook: could not store update %s", payload["update_id"])
            return Response(status_code=503)
        if fresh:
            wake.set()
        else:
            log.info("telegram webhook: update %s again; already stored", payload["update_id"])
        return Response(status_code=200)

    return router


def _update_of(body: bytes) -> dict[str, Any] | None:
    """The update, or None (logged) for a body that is not one: acknowledged so Telegram moves on."""
    try:  # nesting and text checked too: an update nested absurdly deep or holding a NUL is dropped, not a 500
        payload = loads(body)
    except InvalidInput as err:
        log.warning("telegram webhook: %s (%d bytes); acknowledged and dropped", err, len(body))
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
        log.warning("telegram webhook: no integer update_id in %.200r; acknowledged and dropped", payload)
        return None
    return payload
