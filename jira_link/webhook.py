"""POST /api/jira/webhook: JIRA's issue and comment events for handed-off tickets.

JIRA is configured to call `/api/jira/webhook?secret=<HELPDESK_JIRA_WEBHOOK_SECRET>` (or to send the secret
in an `X-Helpdesk-Secret` header); anything else is 403. A body we cannot read or do not act on is answered
200 and logged, so JIRA does not keep retrying it.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import utcnow
from core.settings import Settings
from jira_link.inbound import apply_news, news_of

log = logging.getLogger(__name__)


def _authentic(expected: str | None, given: str | None) -> bool:
    return bool(expected) and given is not None and hmac.compare_digest(given.encode(), str(expected).encode())


def jira_router(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, clock: Callable[[], datetime] = utcnow
) -> APIRouter:
    router = APIRouter(prefix="/api/jira", tags=["jira"])

    @router.post("/webhook")
    async def webhook(
        request: Request, secret: str | None = None,
        x_helpdesk_secret: Annotated[str | None, Header()] = None,
    ) -> dict[str, str]:
        """Apply a JIRA webhook event (issue updated, comment created) to the ticket handed off as that issue."""
        if not _authentic(settings.jira_webhook_secret, x_helpdesk_secret or secret):
            raise HTTPException(403, "the JIRA webhook secret is missing or wrong")
        try:
            payload = json.loads(await request.body())
        except ValueError as err:
            log.warning("JIRA webhook: body is not JSON (%s); ignored", err)
            return {"outcome": "ignored: not JSON"}
        try:
            news = news_of(payload, settings) if isinstance(payload, dict) else None
        except (AttributeError, TypeError, KeyError) as err:  # a shape we do not know: acknowledged, logged
            log.warning("JIRA webhook: unexpected body (%s: %s); ignored", type(err).__name__, err)
            return {"outcome": "ignored: unexpected shape"}
        if news is None:
            return {"outcome": "ignored"}
        async with sessions() as session, session.begin():
            outcome = await apply_news(session, settings, news, clock)
        return {"outcome": outcome}

    return router
