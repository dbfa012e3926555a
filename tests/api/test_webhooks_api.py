"""Webhook subscriptions through the API: admins only, the secret shown once, events signed with it."""

from __future__ import annotations

import httpx
import pytest

from app.wiring import Services
from core.settings import Settings
from tests.api.conftest import FileTicket, auth
from tests.tickets.test_webhooks import receiving
from tickets.delivery import deliver_due
from tickets.webhooks import WebhookSender


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The receivers here listen on loopback, so this deployment allows private webhook targets."""
    return settings.model_copy(update={"webhook_allow_private": True})


async def _create(client: httpx.AsyncClient, token: str, url: str = "https://erp.example.org/hooks/helpdesk",
                  events: tuple[str, ...] = ("ticket.created",)) -> httpx.Response:
    return await client.post("/api/webhooks", json={"url": url, "events": list(events)}, headers=auth(token))


async def test_an_admin_subscribes_and_sees_the_secret_only_once(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    created = await _create(client, tokens["admin"], events=("ticket.updated", "ticket.created"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert len(body["secret"]) >= 32 and body["active"] is True
    assert body["events"] == ["ticket.created", "ticket.updated"]
    listed = (await client.get("/api/webhooks", headers=auth(tokens["admin"]))).json()["items"]
    assert [w["id"] for w in listed] == [body["id"]]
    assert "secret" not in listed[0]
    assert body["secret"] not in str(listed)


async def test_a_deleted_subscription_is_gone(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    webhook_id = (await _create(client, tokens["admin"])).json()["id"]
    deleted = await client.delete(f"/api/webhooks/{webhook_id}", headers=auth(tokens["admin"]))
    again = await client.delete(f"/api/webhooks/{webhook_id}", headers=auth(tokens["admin"]))
    assert deleted.status_code == 204
    assert again.status_code == 404 and again.json()["error"] == "not_found"
    assert (await client.get("/api/webhooks", headers=auth(tokens["admin"]))).json()["items"] == []


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"url": "https://erp.example.org/h", "events": ["ticket.deleted"]}, "events"),
        ({"url": "https://erp.example.org/h", "events": []}, "events"),
        ({"url": "ftp://erp.example.org/h", "events": ["ticket.created"]}, "url"),
        ({"url": "not a url", "events": ["ticket.created"]}, "url"),
    ],
)
async def test_a_bad_subscription_is_refused_naming_the_field(
    client: httpx.AsyncClient, tokens: dict[str, str], body: dict[str, object], named: str
) -> None:
    response = await client.post("/api/webhooks", json=body, headers=auth(tokens["admin"]))
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input" and named in response.json()["message"]


@pytest.mark.parametrize("role", ["operator", "tier", "kb_maintainer"])
async def test_only_admins_manage_webhooks(client: httpx.AsyncClient, tokens: dict[str, str], role: str) -> None:
    webhook_id = (await _create(client, tokens["admin"])).json()["id"]
    attempts = [await _create(client, tokens[role]),
                await client.get("/api/webhooks", headers=auth(tokens[role])),
                await client.delete(f"/api/webhooks/{webhook_id}", headers=auth(tokens[role]))]
    assert [r.status_code for r in attempts] == [403, 403, 403]


async def test_a_ticket_filed_by_a_user_reaches_the_integration_signed_with_its_secret(
    client: httpx.AsyncClient, tokens: dict[str, str], file_ticket: FileTicket, services: Services
) -> None:
    async with receiving() as receiver, httpx.AsyncClient(timeout=2.0) as http:
        created = (await _create(client, tokens["admin"], url=receiver.url + "/erp")).json()
        receiver.secrets["/erp"] = created["secret"]
        number = await file_ticket()
        await deliver_due(services.sessions, {"webhook": WebhookSender(services.sessions, http, allow_private=True)})
    assert [r["body"]["ticket"]["number"] for r in receiver.received] == [number]
