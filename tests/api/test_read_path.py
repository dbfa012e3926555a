"""Reading the queue and a ticket while a write is under way: operators are not held up by writers."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import update

from app.wiring import Services
from tests.api.conftest import FileTicket, auth
from tickets.models import TicketRow


async def test_the_queue_and_a_ticket_answer_while_another_change_is_uncommitted(
    client: httpx.AsyncClient, tokens: dict[str, str], services: Services, file_ticket: FileTicket
) -> None:
    number = await file_ticket(description="bill page shows an error on save")
    headers = auth(tokens["operator"])
    async with services.sessions() as writer, writer.begin():  # on SQLite: holds the write lock
        await writer.execute(update(TicketRow).where(TicketRow.number == number).values(description="half-edited"))
        # requests of their own tasks, as a server runs them (this task's transaction is open: a request run in
        # it would be a nested transaction, which core.db refuses)
        queue = await asyncio.create_task(client.get("/api/tickets", headers=headers))
        detail = await asyncio.create_task(client.get(f"/api/tickets/{number}", headers=headers))
    assert queue.status_code == 200 and [t["number"] for t in queue.json()["items"]] == [number]
    assert detail.status_code == 200 and detail.json()["description"] == "bill page shows an error on save"
    after = await client.get(f"/api/tickets/{number}", headers=headers)
    assert after.json()["description"] == "half-edited"
