"""Two `helpdesk serve` processes on one PostgreSQL, the same users' messages arriving at both at once: each
user's events are applied one at a time and none is lost, and both processes' outbox workers deliver each
webhook event once."""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from core.db import sync_url
from tests.soak.harness import KEY, PROBLEM, Server, operator_token, soak_env

USERS, BURST = 10, 6
DELIVERY_S = 0.2  # the outbox workers' period (2 s as shipped): the wait for a second delivery is five
WALK = ("hello", "English", "Junior", "Jatni", PROBLEM, "Muster roll", "Something is not working for me",
        "Work stopped only for me", "No", "Yes, file it")


class Receiver:
    """A webhook endpoint on 127.0.0.1 that counts deliveries by their X-Helpdesk-Delivery id."""

    def __init__(self) -> None:
        self.deliveries: Counter[str] = Counter()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.deliveries[self.headers["X-Helpdesk-Delivery"]] += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.server.shutdown()


async def _user(servers: list[Server], http: httpx.AsyncClient, user: str, rng: random.Random) -> str:
    """Walks to a ticket sending each message to either server; in between, a burst to both at once."""
    ticket = ""
    for i, words in enumerate(WALK):
        body = {"user": user, "text": words, "id": f"{user}-{i}"}
        answer = (await http.post(f"{rng.choice(servers).url}/chat/messages", json=body,
                                  headers={"X-Channel-Key": KEY})).json()
        if answer["state"] == "offering_faq":
            await http.post(f"{servers[0].url}/chat/messages", headers={"X-Channel-Key": KEY},
                            json={"user": user, "choice": "none", "id": f"{user}-{i}-faq"})
        ticket = answer["ticket"] or ticket
        if i == 3:  # profile done: a burst of status requests, half at each server
            burst = [http.post(f"{servers[j % 2].url}/chat/messages", headers={"X-Channel-Key": KEY},
                               json={"user": user, "text": "status", "id": f"{user}-burst-{j}"})
                     for j in range(BURST)]
            assert {r.status_code for r in await asyncio.gather(*burst)} == {200}
    return ticket


def test_two_servers_apply_each_users_events_one_at_a_time_and_deliver_each_webhook_once(
    database_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several processes share a PostgreSQL database; SQLite is for one")
    env = soak_env(database_url, tmp_path / "data", HELPDESK_DELIVERY_SECONDS=str(DELIVERY_S))
    admin = operator_token(env, "root", "admin")
    servers = [Server(env), Server(env)]

    async def run() -> list[str]:
        await asyncio.gather(*(s.start() for s in servers))
        async with httpx.AsyncClient(timeout=60) as http:
            hook = await http.post(f"{servers[0].url}/api/webhooks", headers={"Authorization": f"Bearer {admin}"},
                                   json={"url": receiver.url, "events": ["ticket.created"]})
            assert hook.status_code == 201, hook.text
            rng = random.Random(3)
            return await asyncio.gather(*(_user(servers, http, f"u{i}", rng) for i in range(USERS)))

    try:
        tickets = asyncio.run(run())
        deadline = time.monotonic() + 120
        while sum(receiver.deliveries.values()) < USERS and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(5 * DELIVERY_S)  # a second delivery, if any were coming, has had five delivery periods to arrive
    finally:
        for server in servers:
            server.stop()
    assert all(tickets) and len(set(tickets)) == USERS
    assert len(receiver.deliveries) == USERS and set(receiver.deliveries.values()) == {1}, receiver.deliveries
    db = create_engine(sync_url(database_url))
    with db.connect() as conn:
        rows = conn.execute(text("SELECT user_id, version FROM conversations WHERE channel = 'http'")).all()
        events: dict[str, int] = {user_id: version for user_id, version in rows}
        filed = conn.execute(text("SELECT count(*) FROM tickets")).scalar_one()
    db.dispose()
    assert filed == USERS
    # every message, bursts included, was applied (one version each): none lost to a concurrent write
    assert all(version >= len(WALK) + BURST for version in events.values()), json.dumps(events)
