"""Webhook subscriptions: integrations hear of ticket events through signed HTTP posts.

An event becomes one outbox item per subscribed webhook (channel "webhook", user_id the webhook's id), in
the transaction of the change; `WebhookSender` posts it later from the delivery worker.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import Tx, is_row_id, utcnow
from core.errors import InvalidInput, NotFound
from tickets.delivery import DeliveryError
from tickets.models import OutboxRow, WebhookRow
from tickets.outbox import OutboxItem, SqlOutbox
from tickets.webhook_targets import RefusedTarget, Resolve, check_target, pinned, resolve_host

if TYPE_CHECKING:
    from tickets.ticket import Ticket

CHANNEL = "webhook"
EVENTS = ("ticket.created", "ticket.updated")
# What an integration may see of a ticket: never the transcript, description or the user's identity.
PUBLIC_FIELDS = ("number", "status", "priority", "category", "module", "ulb", "team", "assignee", "escalated_to",
                 "created_at", "updated_at", "response_due_at", "version")
RETRYABLE_STATUSES = frozenset({408, 429})


@dataclass(frozen=True)
class Webhook:
    """A subscription as listed: its secret is shown once, on creation, and never again."""

    id: int
    url: str
    events: tuple[str, ...]
    active: bool
    created_at: datetime


def _webhook(row: WebhookRow) -> Webhook:
    return Webhook(row.id, row.url, tuple(row.events or ()), row.active, row.created_at)


def _checked_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENTS))
    if unknown or not events:
        raise InvalidInput(f"events: choose from {', '.join(EVENTS)} (got {', '.join(unknown) or 'none'})")
    return [e for e in EVENTS if e in events]


class SqlWebhooks:
    """Webhook subscriptions inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(self, url: str, events: list[str]) -> tuple[Webhook, str]:
        """A new subscription and its signing secret (returned only here)."""
        if not url.startswith(("http://", "https://")):
            raise InvalidInput("url: must be an http:// or https:// address")
        secret = secrets.token_urlsafe(32)
        row = WebhookRow(url=url, secret=secret, events=_checked_events(events), active=True, created_at=utcnow())
        self._session.add(row)
        await self._session.flush()
        return _webhook(row), secret

    async def all(self) -> list[Webhook]:
        rows = await self._session.scalars(select(WebhookRow).order_by(WebhookRow.id))
        return [_webhook(r) for r in rows]

    async def delete(self, webhook_id: int) -> None:
        """Remove the subscription and drop the deliveries still waiting for it."""
        if not is_row_id(webhook_id):
            raise NotFound(f"no webhook {webhook_id}")
        row = await self._session.get(WebhookRow, webhook_id)
        if row is None:
            raise NotFound(f"no webhook {webhook_id}")
        await self._session.execute(
            delete(OutboxRow).where(OutboxRow.channel == CHANNEL, OutboxRow.user_id == str(webhook_id),
                                    OutboxRow.delivered_at.is_(None))
        )
        await self._session.delete(row)

    async def target(self, webhook_id: int) -> tuple[str, str] | None:
        """The (url, secret) to deliver to, or None when the subscription is gone or inactive."""
        row = await self._session.get(WebhookRow, webhook_id)
        return None if row is None or not row.active else (row.url, row.secret)


def payload_of(event: str, ticket: Ticket) -> dict[str, Any]:
    """The event's body: its name and the ticket's public fields (datetimes as ISO 8601)."""
    fields = {}
    for name in PUBLIC_FIELDS:
        value = getattr(ticket, name)
        fields[name] = value.isoformat() if isinstance(value, datetime) else value
    return {"event": event, "ticket": fields}


# asked whenever a ticket is filed or changes: built once
_ACTIVE = select(WebhookRow.id, WebhookRow.events).where(WebhookRow.active.is_(True)).order_by(WebhookRow.id)


async def enqueue_for_subscribers(sql: Tx, event: str, ticket: Ticket) -> None:
    """Queue one outbox item per active webhook subscribed to `event`."""
    subscribed = [row["id"] for row in await sql.all(_ACTIVE, {}) if event in (row["events"] or ())]
    if not subscribed:
        return
    changed_at = ticket.updated_at or utcnow()  # due from the change that raised it (on the change's clock)
    outbox, payload = SqlOutbox(sql.session, lambda: changed_at), payload_of(event, ticket)
    for webhook_id in subscribed:
        await outbox.enqueue(CHANNEL, str(webhook_id), event, payload)


def body_of(item: OutboxItem) -> bytes:
    """The exact bytes posted (and signed) for an item."""
    return json.dumps(item.payload, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, body: bytes) -> str:
    """The `X-Helpdesk-Signature` value: `sha256=` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookSender:
    """Posts webhook items; 2xx is delivered, 408/429/5xx/network errors are retried, other answers are not.

    The client's own timeout bounds each post; the caller owns (opens and closes) the client.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient,
                 allow_private: bool = False, *, networks: Sequence[str] = (), resolve: Resolve = resolve_host,
                 ) -> None:
        self._sessions = sessions
        self._client = client
        # settings.webhook_allow_private and webhook_allow_networks (tickets.webhook_targets)
        self._allow_private, self._networks = allow_private, tuple(networks)
        self._resolve = resolve

    async def send(self, item: OutboxItem) -> None:
        async with self._sessions() as session:
            target = await SqlWebhooks(session).target(int(item.user_id))
        if target is None:
            raise DeliveryError(f"webhook {item.user_id} no longer exists", retryable=False)
        url, secret = target
        try:
            address = await check_target(url, self._allow_private, unresolved_ok=False, networks=self._networks,
                                         resolve=self._resolve)
        except RefusedTarget as err:
            raise DeliveryError(f"webhook {item.user_id}: {err}", retryable=False) from err
        assert address is not None  # resolved, since not unresolved_ok
        to = pinned(url, address)  # connect to the address just checked, never to a fresh lookup's
        body = body_of(item)
        headers = {"Content-Type": "application/json", "X-Helpdesk-Event": item.kind,
                   "X-Helpdesk-Delivery": str(item.id), "X-Helpdesk-Signature": signature(secret, body), **to.headers}
        try:
            response = await self._client.post(to.url, content=body, headers=headers, extensions=to.extensions)
        except httpx.HTTPError as err:
            raise DeliveryError(f"{type(err).__name__}: {err}", retryable=True) from err
        if not response.is_success:
            retryable = response.status_code >= 500 or response.status_code in RETRYABLE_STATUSES
            raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}", retryable=retryable)
