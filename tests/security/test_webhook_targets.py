"""Outbound webhooks reach public addresses only, unless the deployment allows private ones: refused when
subscribed and again when there is something to deliver (a name can resolve elsewhere by then)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.wiring import Services
from tests.api.conftest import FileTicket, auth
from tests.clock import START
from tests.tickets.test_webhooks import DRAFT
from tickets.delivery import deliver_due
from tickets.models import OutboxRow
from tickets.store import SqlTicketStore
from tickets.webhook_targets import pinned
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


# -- DNS rebinding: the delivery connects to the address it checked ------------------------------------------
@dataclass
class Listener:
    """A receiver on one loopback address: what reached it, with the Host header it was sent."""

    received: list[tuple[str, str]] = field(default_factory=list)  # (Host header, delivery id)

    async def hook(self, request: Request) -> Response:
        self.received.append((request.headers["host"], request.headers["x-helpdesk-delivery"]))
        return Response(status_code=204)


@contextlib.asynccontextmanager
async def listening(sock: socket.socket) -> AsyncIterator[Listener]:
    listener = Listener()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/hook", listener.hook, methods=["POST"])]),
                                           log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield listener
    finally:
        server.should_exit = True
        await task
        sock.close()


def _two_addresses_one_port() -> tuple[socket.socket, socket.socket]:
    """Sockets on 127.0.0.2 and 127.0.0.1 with the same port (so that one URL can reach either)."""
    for _ in range(20):
        checked = socket.socket()
        checked.bind(("127.0.0.2", 0))
        other = socket.socket()
        try:
            other.bind(("127.0.0.1", checked.getsockname()[1]))
        except OSError:
            checked.close()
            other.close()
            continue
        return checked, other
    raise RuntimeError("no port free on both loopback addresses")


async def test_a_delivery_posts_to_the_address_it_checked_even_if_the_name_now_resolves_elsewhere(
    services: Services,
) -> None:
    checked, rebound = _two_addresses_one_port()
    port = checked.getsockname()[1]
    answers: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:  # the first answer, the one the check sees
        answers.append(host)
        return ["127.0.0.2"] if len(answers) == 1 else ["127.0.0.1"]

    async with listening(checked) as allowed, listening(rebound) as private:
        async with services.sessions() as session, session.begin():
            await SqlWebhooks(session).create(f"http://localhost:{port}/hook", ["ticket.created"])
            await SqlTicketStore(session, clock=lambda: START).file(DRAFT)
        async with httpx.AsyncClient(timeout=2.0) as http:  # the system resolver says localhost is 127.0.0.1
            sender = WebhookSender(services.sessions, http, networks=["127.0.0.2/32"], resolve=resolver)
            result = await deliver_due(services.sessions, {"webhook": sender}, now=START)
    assert result.delivered == (1,)
    assert answers == ["localhost"], "resolved once, for the check"
    assert allowed.received == [(f"localhost:{port}", "1")] and private.received == []


async def test_a_name_resolving_to_a_refused_address_at_delivery_is_not_posted_to(services: Services) -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    async with services.sessions() as session, session.begin():
        await SqlWebhooks(session).create("http://hooks.example.org/hook", ["ticket.created"])
        await SqlTicketStore(session, clock=lambda: START).file(DRAFT)
    async with httpx.AsyncClient(timeout=1.0) as http:
        sender = WebhookSender(services.sessions, http, networks=["127.0.0.2/32"], resolve=resolver)
        result = await deliver_due(services.sessions, {"webhook": sender}, now=START)
    assert result.dead == (1,)


@pytest.mark.parametrize(("url", "address", "expected"), [
    ("https://hooks.example.org:8443/in?x=1", "93.184.215.14",
     ("https://93.184.215.14:8443/in?x=1", "hooks.example.org:8443", {"sni_hostname": "hooks.example.org"})),
    ("http://hooks.example.org/in", "2606:2800:220:1::1",
     ("http://[2606:2800:220:1::1]/in", "hooks.example.org", {})),
])
def test_a_pinned_request_names_the_host_in_the_host_header_and_for_tls(
    url: str, address: str, expected: tuple[str, str, dict[str, str]]
) -> None:
    to = pinned(url, address)
    assert (to.url, to.headers["Host"], to.extensions) == expected
