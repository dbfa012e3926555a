"""Webhook subscriptions for integrations (admins only): create, list, delete."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, HttpUrl

from api.deps import Caller, Context, RowId, Session
from tickets.webhook_targets import check_target
from tickets.webhooks import SqlWebhooks, Webhook

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])
EventName = Literal["ticket.created", "ticket.updated"]


class WebhookCreate(BaseModel):
    url: HttpUrl = Field(description="where to POST events (http or https)")
    events: list[EventName] = Field(min_length=1, description="which ticket events to receive")


class WebhookPublic(BaseModel):
    id: int
    url: str
    events: list[str]
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, webhook: Webhook) -> WebhookPublic:
        return cls(id=webhook.id, url=webhook.url, events=list(webhook.events), active=webhook.active,
                   created_at=webhook.created_at)


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="the HMAC-SHA256 signing key; shown only now, so keep it")


class WebhooksPublic(BaseModel):
    items: list[WebhookPublic]


@router.post("", status_code=201)
async def create(body: WebhookCreate, s: Session, ctx: Context, who: Caller) -> WebhookCreated:
    """Subscribe a URL to ticket events; the response carries the signing secret, once."""
    await check_target(str(body.url), ctx.settings.webhook_allow_private, unresolved_ok=True,
                       networks=ctx.settings.webhook_allow_networks)
    webhook, secret = await SqlWebhooks(s).create(str(body.url), list(body.events))
    return WebhookCreated(**WebhookPublic.of(webhook).model_dump(), secret=secret)


@router.get("")
async def list_webhooks(s: Session, who: Caller) -> WebhooksPublic:
    """Every subscription (without secrets)."""
    return WebhooksPublic(items=[WebhookPublic.of(w) for w in await SqlWebhooks(s).all()])


@router.delete("/{webhook_id}", status_code=204)
async def delete(webhook_id: RowId, s: Session, who: Caller) -> Response:
    """Unsubscribe: the URL gets nothing more, not even deliveries already queued."""
    await SqlWebhooks(s).delete(webhook_id)
    return Response(status_code=204)
