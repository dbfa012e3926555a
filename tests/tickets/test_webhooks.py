"""Webhooks end to end: ticket events queued in the change's transaction, posted signed to a real receiver on
127.0.0.1, retried when it fails, never delivered twice at once, and nothing for a deleted subscription.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.clock import START
from tickets.delivery import DeliveryResult, deliver_due
from tickets.events import ticket_event
from tickets.store import SqlTicketStore, Ticket, TicketDraft
from tickets.webhooks import SqlWebhooks, WebhookSender

Sessions = async_sessionmaker[AsyncSession]
LATER = timedelta(hours=2)


@dataclass
class Receiver:
    """An integration's endpoint: checks each signature, records deliveries, fails when told to."""

    url: str = ""
    secrets: dict[str, str] = field(default_factory=dict)  # path -> the secret its subscription got
    fail_with: list[int] = field(default_factory=list)  # statuses to answer before succeeding
    delay: float = 0.0
    received: list[dict[str, Any]] = field(default_factory=list)

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        secret = self.secrets[request.url.path]
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        await asyncio.sleep(self.delay)
        if not hmac.compare_digest(expected, request.headers["X-Helpdesk-Signature"]):
            return Response("bad signature", status_code=401)
        if self.fail_with:
            return Response("not now", status_code=self.fail_with.pop(0))
        self.received.append({"delivery": request.headers["X-Helpdesk-Delivery"],
                              "event": request.headers["X-Helpdesk-Event"], "body": json.loads(body)})
        return Response(status_code=204)

    def deliveries(self) -> list[str]:
        return [r["delivery"] for r in self.received]


@contextlib.asynccontextmanager
async def receiving() -> AsyncIterator[Receiver]:
    """A receiver served by uvicorn on a free port of 127.0.0.1, in this event loop."""
    receiver = Receiver()
    app = Starlette(routes=[Route("/{name}", receiver.hook, methods=["POST"])])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    receiver.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=2.0) as client:
        yield client


async def subscribe(sessions: Sessions, receiver: Receiver, path: str = "/hook",
                    events: tuple[str, ...] = ("ticket.created", "ticket.updated")) -> int:
    async with sessions() as session, session.begin():
        webhook, secret = await SqlWebhooks(session).create(receiver.url + path, list(events))
    receiver.secrets[path] = secret
    return webhook.id


DRAFT = TicketDraft(channel="telegram", user_id="4242", role="je", ulb="od.jatni", language="en", module="bills",
                    category="technical", priority="P2", priority_reason="a key part unusable",
                    description="bill page shows an error on save", team="state_tech",
                    transcript=[{"from": "user", "text": "my phone is 98xxxxxx01"}])


async def file_ticket(sessions: Sessions) -> Ticket:
    async with sessions() as session, session.begin():
        return await SqlTicketStore(session, clock=lambda: START).file(DRAFT)


async def deliver(sessions: Sessions, http: httpx.AsyncClient, later: int = 0) -> DeliveryResult:
    senders = {"webhook": WebhookSender(sessions, http, allow_private=True)}  # the receiver is on loopback
    return await deliver_due(sessions, senders, now=START + LATER * later)


async def test_a_filed_ticket_reaches_its_subscriber_signed(
    sessions: Sessions, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    await subscribe(sessions, receiver)
    ticket = await file_ticket(sessions)
    result = await deliver(sessions, http)
    assert result.delivered == (1,)
    [got] = receiver.received
    assert got["delivery"] == "1" and got["event"] == "ticket.created"
    assert got["body"]["event"] == "ticket.created"
    assert got["body"]["ticket"]["number"] == ticket.number
    assert got["body"]["ticket"]["ulb"] == "od.jatni" and got["body"]["ticket"]["version"] == 1


async def test_the_event_carries_public_fields_never_the_transcript(
    sessions: Sessions, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    await subscribe(sessions, receiver)
    await file_ticket(sessions)
    await deliver(sessions, http)
    fields = receiver.received[0]["body"]["ticket"]
    assert set(fields) == {"number", "status", "priority", "category", "module", "ulb", "team", "assignee",
                           "escalated_to", "created_at", "updated_at", "response_due_at", "version"}
    assert "98xxxxxx01" not in json.dumps(receiver.received[0]["body"])


async def test_a_subscriber_hears_only_the_events_it_chose(
    sessions: Sessions, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    await subscribe(sessions, receiver, "/created", ("ticket.created",))
    await subscribe(sessions, receiver, "/updated", ("ticket.updated",))
    ticket = await file_ticket(sessions)
    async with sessions() as session, session.begin():
        await ticket_event(session, "ticket.updated", ticket)
    await deliver(sessions, http)
    assert sorted(r["event"] for r in receiver.received) == ["ticket.created", "ticket.updated"]


async def test_an_event_is_rolled_back_with_its_change(
    sessions: Sessions, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    await subscribe(sessions, receiver)
    with pytest.raises(RuntimeError):
        async with sessions() as session, session.begin():
            await SqlTicketStore(session, clock=lambda: START).file(DRAFT)
            raise RuntimeError("the change fails after its event was raised")
    assert await deliver(sessions, http) == DeliveryResult()


async def test_a_failing_receiver_gets_the_event_again_until_it_succeeds(
    sessions: Sessions, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    await subscribe(sessions, receiver)
    await file_ticket(sessions)
    receiver.fail_with = [503, 500]
    outcomes = [await deliver(sessions, http, later=n) for n in range(3)]
    assert [o.retrying for o in outcomes] == [(1,), (1,), ()]
    assert outcomes[2].delivered == (1,)
    assert receiver.deliveries() == ["1"]


@pytest.mark.parametrize("status", [408, 429])
async def test_timeouts_and_rate_limits_are_retried(
    sessions: Sessions, receiver: Receiver, http: httpx.AsyncClient, status: int
) -> None:
    await subscribe(sessions, receiver)
    await file_ticket(sessions)
    receiver.fail_with = [status]
    assert (await deliver(sessions, http)).retrying == (1,)
    assert (await deliver(sessions, http, later=1)).delivered == (1,)


async def test_a_receiver_refusing_the_event_is_not_asked_again(
    sessions: Sessions, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    await subscribe(sessions, receiver)
    await file_ticket(sessions)
    receiver.fail_with = [400]
    assert (await deliver(sessions, http)).dead == (1,)
    assert await deliver(sessions, http, later=1) == DeliveryResult()


async def test_an_unreachable_receiver_is_retried(sessions: Sessions, http: httpx.AsyncClient) -> None:
    async with receiving() as gone:
        await subscribe(sessions, gone)
    await file_ticket(sessions)
    assert (await deliver(sessions, http)).retrying == (1,)


async def test_a_slow_receiver_times_out_and_is_retried(sessions: Sessions, receiver: Receiver) -> None:
    await subscribe(sessions, receiver)
    await file_ticket(sessions)
    receiver.delay = 1.0
    async with httpx.AsyncClient(timeout=0.2) as impatient:
        assert (await deliver(sessions, impatient)).retrying == (1,)


async def test_two_workers_deliver_each_event_once(
    sessions: Sessions, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    for path in ("/a", "/b", "/c"):
        await subscribe(sessions, receiver, path)
    for _ in range(3):
        await file_ticket(sessions)
    receiver.delay = 0.05
    await asyncio.gather(deliver(sessions, http), deliver(sessions, http))
    assert sorted(receiver.deliveries(), key=int) == [str(n) for n in range(1, 10)]


async def test_a_deleted_subscription_gets_nothing(
    sessions: Sessions, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    webhook_id = await subscribe(sessions, receiver)
    await file_ticket(sessions)
    async with sessions() as session, session.begin():
        await SqlWebhooks(session).delete(webhook_id)
    await file_ticket(sessions)
    assert await deliver(sessions, http) == DeliveryResult()
    assert receiver.received == []
