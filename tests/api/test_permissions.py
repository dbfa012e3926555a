"""Every route against every role: who is let through and who gets 403 (or 404 where existence is private)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.conftest import FileTicket, auth

# (method, path, body, needs If-Match) for each action; {n} is a ticket escalated to the vendor team
ROUTES: dict[str, tuple[str, str, dict[str, Any] | None, bool]] = {
    "queue": ("GET", "/api/tickets", None, False),
    "view": ("GET", "/api/tickets/{n}", None, False),
    "claim": ("POST", "/api/tickets/{n}/claim", None, True),
    "assign": ("POST", "/api/tickets/{n}/assign", {"operator": "op-2"}, True),
    "reply": ("POST", "/api/tickets/{n}/reply", {"text": "Please try again now."}, False),
    "note": ("POST", "/api/tickets/{n}/notes", {"text": "checked the logs"}, False),
    "set_priority": ("POST", "/api/tickets/{n}/priority", {"priority": "P1", "reason": "office halted"}, True),
    "set_category": ("POST", "/api/tickets/{n}/category", {"category": "bug", "reason": "reproduced"}, True),
    "escalate": ("POST", "/api/tickets/{n}/escalate", {"team": "vendor", "reason": "code fix needed"}, True),
    "wait": ("POST", "/api/tickets/{n}/wait", None, True),
    "resolve": ("POST", "/api/tickets/{n}/resolve", {"text": "fixed"}, True),
    "close": ("POST", "/api/tickets/{n}/close", None, True),
    "reopen": ("POST", "/api/tickets/{n}/reopen", {"reason": "still failing"}, True),
    "kb_reload": ("POST", "/api/kb/reload", None, False),
}

ALLOWED = {
    "operator": {"queue", "view", "claim", "assign", "reply", "note", "set_priority", "set_category", "escalate",
                 "wait", "resolve", "close", "reopen"},
    "tier": {"queue", "view", "claim", "reply", "note", "set_category", "escalate", "wait", "resolve"},
    "kb_maintainer": {"kb_reload"},
    "admin": set(ROUTES),
}


async def _escalated_ticket(client: httpx.AsyncClient, file_ticket: FileTicket, admin: str) -> tuple[str, int]:
    number = await file_ticket()
    version = (await client.get(f"/api/tickets/{number}", headers=auth(admin))).json()["version"]
    escalated = await client.post(f"/api/tickets/{number}/escalate", json={"team": "vendor"},
                                  headers=auth(admin, version))
    assert escalated.status_code == 200, escalated.text
    return number, escalated.json()["version"]


@pytest.mark.parametrize("role", sorted(ALLOWED))
@pytest.mark.parametrize("action", sorted(ROUTES))
async def test_each_role_may_do_exactly_what_the_table_says(
    client: httpx.AsyncClient, tokens: dict[str, str], file_ticket: FileTicket, role: str, action: str
) -> None:
    number, version = await _escalated_ticket(client, file_ticket, tokens["admin"])
    if action in ("close", "reopen"):  # these act on a resolved ticket
        resolved = await client.post(f"/api/tickets/{number}/resolve", json={}, headers=auth(tokens["admin"], version))
        version = resolved.json()["version"]
    method, path, body, versioned = ROUTES[action]
    response = await client.request(method, path.format(n=number), json=body,
                                    headers=auth(tokens[role], version if versioned else None))
    if action in ALLOWED[role]:
        assert response.status_code == 200, (role, action, response.text)
    else:
        assert response.status_code == 403, (role, action, response.text)
        assert response.json()["error"] == "forbidden"


@pytest.mark.parametrize("action", ["view", "claim", "reply", "note", "resolve", "escalate"])
async def test_a_tier_team_cannot_tell_other_teams_tickets_from_missing_ones(
    client: httpx.AsyncClient, tokens: dict[str, str], file_ticket: FileTicket, action: str
) -> None:
    number = await file_ticket()  # routed to the state technical team, not escalated to the vendor
    method, path, body, _ = ROUTES[action]
    theirs = await client.request(method, path.format(n=number), json=body, headers=auth(tokens["tier"], 1))
    missing = await client.request(method, path.format(n="HD-999999"), json=body, headers=auth(tokens["tier"], 1))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["error"] == missing.json()["error"] == "not_found"


async def test_a_tier_queue_lists_only_tickets_escalated_to_that_team(
    client: httpx.AsyncClient, tokens: dict[str, str], file_ticket: FileTicket
) -> None:
    mine, _ = await _escalated_ticket(client, file_ticket, tokens["admin"])
    await file_ticket()
    listed = (await client.get("/api/tickets", headers=auth(tokens["tier"]))).json()["items"]
    assert [t["number"] for t in listed] == [mine]


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc"])
async def test_no_valid_token_is_401(client: httpx.AsyncClient, header: str | None) -> None:
    response = await client.get("/api/tickets", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
