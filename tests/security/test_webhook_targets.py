"""Outbound webhooks reach public addresses only, unless the deployment allows private ones: refused when
subscribed and again when there is something to deliver (a name can resolve elsewhere by then)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from app.wiring import Services
from tests.api.conftest import FileTicket, auth
from tickets.delivery import deliver_due
from tickets.models import OutboxRow
from tickets.webhooks import SqlWebhooks, WebhookSender


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/h", "http://localhost/h", "http://169.254.169.254/latest",
                                 "http://10.0.0.5/h", "http://192.168.1.1/h", "http://[::1]/h",
                                 "http://[::ffff:127.0.0.1]/h", "http://100.64.0.1/h"])
async def test_a_subscription_to_a_private_address_is_refused(
    client: httpx.AsyncClient, tokens: dict[str, str], url: str
) -> None:
    response = await client.post("/api/webhooks", json={"url": url, "events": ["ticket.created"]},
                                 headers=auth(tokens["admin"]))
    assert response.status_code == 422, response.text
    assert "HELPDESK_WEBHOOK_ALLOW_PRIVATE" in response.json()["message"]


async def test_a_public_address_is_accepted(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    response = await client.post("/api/webhooks", json={"url": "https://93.184.215.14/h", "events": ["ticket.created"]},
                                 headers=auth(tokens["admin"]))
    assert response.status_code == 201, response.text


async def test_a_target_that_turned_private_is_not_posted_to_at_delivery(
    services: Services, file_ticket: FileTicket
) -> None:
    async with services.sessions() as session, session.begin():  # as if it had resolved publicly when made
        await SqlWebhooks(session).create("http://127.0.0.1:9/h", ["ticket.created"])
    await file_ticket()
    async with httpx.AsyncClient(timeout=1.0) as http:
        result = await deliver_due(services.sessions, {"webhook": WebhookSender(services.sessions, http)})
    assert result.delivered == () and len(result.dead) == 1
    async with services.sessions() as session:
        (error,) = (await session.scalars(select(OutboxRow.last_error).where(OutboxRow.channel == "webhook"))).all()
    assert error is not None and "private" in error
