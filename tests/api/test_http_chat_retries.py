"""Retries and duplicates on the HTTP chat channel: one processed event and one ticket however often the
same message arrives, and a 503 (never a 500) while the database is unreachable."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app.wiring import Services, build_app, build_services
from core.idle_ping import IDLE_S
from core.settings import Settings
from flows.models import ProcessedEventRow
from tickets.models import TicketRow

PORTAL = {"X-Channel-Key": "portal-secret"}
WALK = ("hello", "English", "Junior", "Jatni", "The bill page shows an error when I save", "Bills",
        "Something is not working for me", "Work stopped only for me", "No")


async def _walk_to_confirm(client: httpx.AsyncClient, user: str) -> None:
    for i, text in enumerate(WALK):
        answer = (await client.post("/chat/messages", json={"user": user, "text": text, "id": f"{user}-{i}"},
                                    headers=PORTAL)).json()
        if answer["state"] == "offering_faq":
            await client.post("/chat/messages", json={"user": user, "choice": "none"}, headers=PORTAL)
    assert answer["state"] == "confirming", answer


async def _counts(services: Services) -> tuple[int, int]:
    async with services.sessions() as session:
        tickets = await session.scalar(select(func.count()).select_from(TicketRow))
        confirms = await session.scalar(select(func.count()).select_from(ProcessedEventRow)
                                        .where(ProcessedEventRow.message_id == "confirm-1"))
        return int(tickets or 0), int(confirms or 0)


def _confirm(user: str) -> dict[str, Any]:
    return {"user": user, "text": "Yes, file it", "id": "confirm-1"}


async def test_the_same_confirm_sent_5_times_at_once_files_one_ticket_and_all_get_its_number(
    client: httpx.AsyncClient, services: Services
) -> None:
    await _walk_to_confirm(client, "asha")
    answers = await asyncio.gather(*(client.post("/chat/messages", json=_confirm("asha"), headers=PORTAL)
                                     for _ in range(5)))
    assert {a.status_code for a in answers} == {200}
    numbers = {a.json()["ticket"] for a in answers}
    assert len(numbers) == 1 and None not in numbers
    assert await _counts(services) == (1, 1)


async def test_the_same_confirm_sent_5_times_in_a_row_files_one_ticket(
    client: httpx.AsyncClient, services: Services
) -> None:
    await _walk_to_confirm(client, "bina")
    answers = [(await client.post("/chat/messages", json=_confirm("bina"), headers=PORTAL)).json()
               for _ in range(5)]
    assert [a["replies"] for a in answers[1:]] == [answers[0]["replies"]] * 4, "a retry sees the first answer"
    assert await _counts(services) == (1, 1)


class CuttableProxy:
    """A TCP proxy to PostgreSQL on its own thread and event loop; `cut` drops every connection and
    refuses new ones, `restore` accepts again: the database is unreachable without touching the server."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _listen(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        assert self.server
        self.server.close()
        for writer in self.writers:
            writer.transport.abort()
        self.writers.clear()

    def start(self) -> None:
        self.thread.start()
        self._run(self._listen())

    def cut(self) -> None:
        self._run(self._cut())

    def restore(self) -> None:
        self._run(self._listen())

    def stop(self) -> None:
        self._run(self._cut())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)


@pytest.fixture
def proxy(database_url: str) -> Iterator[CuttableProxy]:
    if not database_url.startswith("postgresql"):
        pytest.skip("the database is a file on SQLite; there is no server to lose")
    url = make_url(database_url)
    running = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    running.start()
    yield running
    running.stop()


@asynccontextmanager
async def _through(proxy: CuttableProxy, database_url: str, tmp_path: Path) -> AsyncIterator[
        tuple[httpx.AsyncClient, Services]]:
    """The app on a database reached through `proxy`, and a client of it."""
    proxied = make_url(database_url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    settings = Settings(database_url=proxied, data_dir=tmp_path / "data", channel_keys={"portal": "portal-secret"})
    services = build_services(settings)
    transport = httpx.ASGITransport(app=build_app(services))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://helpdesk") as client:
            yield client, services
    finally:
        await services.db.dispose()


async def test_while_the_database_is_unreachable_chat_answers_503_and_the_retry_is_applied_once(
    proxy: CuttableProxy, database_url: str, tmp_path: Path
) -> None:
    async with _through(proxy, database_url, tmp_path) as (client, services):
        await _walk_to_confirm(client, "chitra")
        proxy.cut()
        down = await client.post("/chat/messages", json=_confirm("chitra"), headers=PORTAL)
        assert down.status_code == 503, down.text
        assert down.json()["error"] == "unavailable" and down.headers["Retry-After"]
        proxy.restore()
        up = await client.post("/chat/messages", json=_confirm("chitra"), headers=PORTAL)
        again = await client.post("/chat/messages", json=_confirm("chitra"), headers=PORTAL)
        assert up.status_code == again.status_code == 200, up.text
        assert up.json()["ticket"] and again.json()["ticket"] == up.json()["ticket"]
        assert await _counts(services) == (1, 1)


async def test_after_a_quiet_spell_a_connection_the_server_dropped_is_replaced_before_use(
    proxy: CuttableProxy, database_url: str, tmp_path: Path
) -> None:
    """A cut while nobody talks goes unnoticed until the next message: its idle connection is pinged
    (core.idle_ping), found dead and replaced, so that message is answered, not refused with a 503."""
    async with _through(proxy, database_url, tmp_path) as (client, _):
        await _walk_to_confirm(client, "deepa")
        proxy.cut()
        proxy.restore()
        await asyncio.sleep(IDLE_S + 0.2)
        answer = await client.post("/chat/messages", json=_confirm("deepa"), headers=PORTAL)
        assert answer.status_code == 200, answer.text
        assert answer.json()["ticket"]
