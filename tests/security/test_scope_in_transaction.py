"""A tier team's scope is checked in the same transaction as its change: a ticket re-escalated to another team
after the access guard looked and before the change is made cannot be changed by the team that lost it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import create_engine, event, update

from app.wiring import Services
from core.db import sync_url
from tests.api.conftest import FileTicket, auth
from tickets.models import TicketRow


async def _escalated_to_vendor(client: httpx.AsyncClient, operator: str, file_ticket: FileTicket) -> str:
    number = await file_ticket()
    version = (await client.get(f"/api/tickets/{number}", headers=auth(operator))).json()["version"]
    escalated = await client.post(f"/api/tickets/{number}/escalate", json={"team": "vendor", "reason": "app bug"},
                                  headers=auth(operator, version))
    assert escalated.status_code == 200, escalated.text
    return number


@contextmanager
def re_escalated_after_the_first_look(services: Services, number: str) -> Iterator[list[str]]:
    """Right after the first query that reads whose a ticket is (the access guard's), another operator's
    committed re-escalation of `number` to the state technical team lands, from a connection of its own."""
    engines = [e.sync_engine for e in (services.db, services.read_db) if e is not None]
    moved: list[str] = []
    other = create_engine(sync_url(services.settings.resolved_database_url()))

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if moved or "escalated_to" not in statement or not statement.lstrip().upper().startswith("SELECT"):
            return
        with other.begin() as writer:
            writer.execute(update(TicketRow).where(TicketRow.number == number)
                           .values(escalated_to="state_technical", team="state_technical"))
        moved.append(number)

    for engine in engines:
        event.listen(engine, "after_cursor_execute", after)
    try:
        yield moved
    finally:
        for engine in engines:
            event.remove(engine, "after_cursor_execute", after)
        other.dispose()


async def test_a_ticket_re_escalated_between_the_check_and_the_change_is_not_resolved_by_the_old_team(
    client: httpx.AsyncClient, tokens: dict[str, str], file_ticket: FileTicket, services: Services
) -> None:
    number = await _escalated_to_vendor(client, tokens["operator"], file_ticket)
    version = (await client.get(f"/api/tickets/{number}", headers=auth(tokens["tier"]))).json()["version"]
    with re_escalated_after_the_first_look(services, number) as moved:
        response = await client.post(f"/api/tickets/{number}/resolve", json={"text": "done"},
                                     headers=auth(tokens["tier"], version))
    assert moved == [number]
    assert response.status_code == 404, response.text
    ticket = (await client.get(f"/api/tickets/{number}", headers=auth(tokens["operator"]))).json()
    assert ticket["status"] != "resolved" and ticket["escalated_to"] == "state_technical"


async def test_a_problem_whose_ticket_moved_to_another_team_meanwhile_is_not_fixed_by_the_old_team(
    client: httpx.AsyncClient, tokens: dict[str, str], file_ticket: FileTicket, services: Services
) -> None:
    number = await _escalated_to_vendor(client, tokens["operator"], file_ticket)
    created = await client.post("/api/problems", json={"title": "Bills fail to save", "tickets": [number]},
                                headers=auth(tokens["operator"]))
    assert created.status_code == 201, created.text
    problem = created.json()
    with re_escalated_after_the_first_look(services, number) as moved:
        response = await client.patch(f"/api/problems/{problem['id']}", json={"status": "fixed"},
                                      headers=auth(tokens["tier"], problem["version"]))
    assert moved == [number]
    assert response.status_code == 404, response.text
    ticket = (await client.get(f"/api/tickets/{number}", headers=auth(tokens["operator"]))).json()
    assert ticket["status"] != "resolved"
