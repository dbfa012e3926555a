"""Every route against every role: who is let through and who gets 403 (or 404 where existence is private)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from api.accounts import WebAccountRow
from app.wiring import Services
from tests.api.conftest import FileTicket, auth
from tickets.models import NotificationRow
from tickets.notifications import SqlNotifications
from tickets.operators import SqlOperators


@dataclass(frozen=True)
class Route:
    action: str  # the permission (api/permissions.py) the route checks
    method: str
    path: str  # {n}: a ticket escalated to the vendor team; {w}: a webhook; {me}: the caller; {note}: theirs
    body: dict[str, Any] | None = None
    versioned: bool = False  # needs If-Match
    success: int = 200
    file: bytes | None = None  # sent as a multipart form (body as its fields) with this file


ROUTES: dict[str, Route] = {
    "queue": Route("queue", "GET", "/api/tickets"),
    "view": Route("view", "GET", "/api/tickets/{n}"),
    "claim": Route("claim", "POST", "/api/tickets/{n}/claim", versioned=True),
    "assign": Route("assign", "POST", "/api/tickets/{n}/assign", {"operator": "op-2"}, True),
    "reply": Route("reply", "POST", "/api/tickets/{n}/reply", {"text": "Please try again now."}),
    "reply_with_file": Route("reply", "POST", "/api/tickets/{n}/reply-with-attachment",
                             {"text": "The corrected bill is attached."}, file=b"\x89PNG\r\n\x1a\n" + b"bill" * 20),
    "note": Route("note", "POST", "/api/tickets/{n}/notes", {"text": "checked the logs"}),
    "set_priority": Route("set_priority", "POST", "/api/tickets/{n}/priority",
                          {"priority": "P1", "reason": "office halted"}, True),
    "set_category": Route("set_category", "POST", "/api/tickets/{n}/category",
                          {"category": "bug", "reason": "reproduced"}, True),
    "escalate": Route("escalate", "POST", "/api/tickets/{n}/escalate", {"team": "vendor", "reason": "fix"}, True),
    "wait": Route("wait", "POST", "/api/tickets/{n}/wait", versioned=True),
    "resolve": Route("resolve", "POST", "/api/tickets/{n}/resolve", {"text": "fixed"}, True),
    "close": Route("close", "POST", "/api/tickets/{n}/close", versioned=True),
    "reopen": Route("reopen", "POST", "/api/tickets/{n}/reopen", {"reason": "still failing"}, True),
    "link": Route("link", "POST", "/api/tickets/{n}/links", {"other": "{other}"}),
    "merge": Route("merge", "POST", "/api/tickets/{n}/merge", {"into": "{other}"}, True),
    "kb_reload": Route("kb_reload", "POST", "/api/kb/reload"),
    "dashboard": Route("dashboard", "GET", "/api/dashboard"),
    "report": Route("export", "GET", "/api/reports/tickets"),
    "webhooks_create": Route("webhooks", "POST", "/api/webhooks",
                             {"url": "https://erp.example.org/hook", "events": ["ticket.created"]}, success=201),
    "webhooks_list": Route("webhooks", "GET", "/api/webhooks"),
    "webhooks_delete": Route("webhooks", "DELETE", "/api/webhooks/{w}", success=204),
    "operators_list": Route("operators_view", "GET", "/api/operators"),
    "operators_create": Route("operators_manage", "POST", "/api/operators", {"name": "op-9", "role": "operator"}),
    "operators_shift_other": Route("operators_manage", "PATCH", "/api/operators/op-2", {"on_shift": True}),
    "operators_shift_own": Route("set_own_shift", "PATCH", "/api/operators/{me}", {"away": True}),
    "notifications_list": Route("notifications", "GET", "/api/notifications"),
    "notifications_read": Route("notifications", "POST", "/api/notifications/{note}/read"),
    "tokens_list": Route("tokens", "GET", "/api/tokens"),
    "tokens_revoke": Route("tokens", "POST", "/api/tokens/{me}/revoke"),
    "tokens_rotate": Route("tokens", "POST", "/api/tokens/{me}/rotate", {"expires": "30d"}),
    "accounts_list": Route("accounts_manage", "GET", "/api/accounts"),
    "accounts_disable": Route("accounts_manage", "POST", "/api/accounts/acct-1/disable"),
    "accounts_enable": Route("accounts_manage", "POST", "/api/accounts/acct-1/enable", success=204),
    "accounts_role": Route("accounts_manage", "POST", "/api/accounts/acct-1/role", {"role": "kb_maintainer"},
                           success=204),
    "accounts_password": Route("accounts_manage", "POST", "/api/accounts/acct-1/password",
                               {"password": "a brand new secret"}),
    "accounts_unlock": Route("accounts_manage", "POST", "/api/accounts/acct-1/unlock", success=204),
}

ALLOWED = {
    "operator": {"queue", "view", "claim", "assign", "reply", "note", "set_priority", "set_category", "escalate",
                 "wait", "resolve", "close", "reopen", "link", "merge", "dashboard", "export", "operators_view",
                 "set_own_shift", "notifications"},
    "tier": {"queue", "view", "claim", "reply", "note", "set_category", "escalate", "wait", "resolve",
             "set_own_shift", "notifications"},
    "kb_maintainer": {"kb_reload", "dashboard"},
    "admin": {route.action for route in ROUTES.values()},
}


async def _people_and_a_notification(services: Services, role: str) -> int:
    """Operator rows for the caller and a colleague, and a notification for the caller; its id."""
    async with services.sessions() as session, session.begin():
        operators = SqlOperators(session, services.settings)
        await operators.create("op-2", "operator")
        if role == "tier":
            await operators.create("tier-1", "tier", "vendor")
        else:
            await operators.create(f"{role}-1", "operator")
        await SqlNotifications(session).notify(f"{role}-1", "sla_at_risk", "HD-000001 is at risk")
        session.add(WebAccountRow(name="acct-1", role="operator", password_hash="-"))  # noqa: S106 (no sign-in)
    async with services.sessions() as session:
        return int(await session.scalar(select(func.max(NotificationRow.id))) or 0)


async def _escalated_ticket(client: httpx.AsyncClient, file_ticket: FileTicket, admin: str) -> tuple[str, int]:
    number = await file_ticket()
    version = (await client.get(f"/api/tickets/{number}", headers=auth(admin))).json()["version"]
    escalated = await client.post(f"/api/tickets/{number}/escalate", json={"team": "vendor"},
                                  headers=auth(admin, version))
    assert escalated.status_code == 200, escalated.text
    return number, escalated.json()["version"]


@pytest.mark.parametrize("role", sorted(ALLOWED))
@pytest.mark.parametrize("name", sorted(ROUTES))
async def test_each_role_may_do_exactly_what_the_table_says(
    client: httpx.AsyncClient, tokens: dict[str, str], file_ticket: FileTicket, services: Services, role: str,
    name: str,
) -> None:
    route = ROUTES[name]
    number, version = await _escalated_ticket(client, file_ticket, tokens["admin"])
    if name in ("close", "reopen"):  # these act on a resolved ticket
        resolved = await client.post(f"/api/tickets/{number}/resolve", json={}, headers=auth(tokens["admin"], version))
        version = resolved.json()["version"]
    hook = {"url": "https://erp.example.org/h", "events": ["ticket.updated"]}
    webhook = await client.post("/api/webhooks", json=hook, headers=auth(tokens["admin"]))
    note = await _people_and_a_notification(services, role)
    path = route.path.format(n=number, w=webhook.json().get("id"), me=f"{role}-1", note=note)
    body = route.body
    if body and "{other}" in body.values():  # links and merges name a second ticket
        other = await file_ticket()
        body = {k: other if v == "{other}" else v for k, v in body.items()}
    headers = auth(tokens[role], version if route.versioned else None)
    if route.file is None:
        response = await client.request(route.method, path, json=body, headers=headers)
    else:
        response = await client.request(route.method, path, data=body, headers=headers,
                                        files={"file": ("bill.png", route.file, "image/png")})
    if route.action in ALLOWED[role]:
        assert response.status_code == route.success, (role, name, response.text)
    else:
        assert response.status_code == 403, (role, name, response.text)
        assert response.json()["error"] == "forbidden"


def test_the_table_covers_every_api_route(app: FastAPI) -> None:
    """A new route must be added to ROUTES (and so to this test) before it ships."""
    # from the OpenAPI paths: app.routes holds included routers, not their routes, on current FastAPI
    served = {(method.upper(), path) for path, operations in app.openapi()["paths"].items()
              if path.startswith("/api/")
              and not path.startswith("/api/problems")  # tests/problems/test_permissions.py has their table
              and path != "/api/jira/webhook"  # JIRA's shared secret, not a token (tests/jira)
              for method in operations}
    assert ("GET", "/api/tickets") in served
    generic = {"{n}": "{number}", "{w}": "{webhook_id}", "{me}": "{name}", "op-2": "{name}",
               "{note}": "{notification_id}", "acct-1": "{name}"}
    listed = set()
    for route in ROUTES.values():
        path = route.path
        for concrete, template in generic.items():
            path = path.replace(concrete, template)
        listed.add((route.method, path))
    assert served - listed == set(), "routes missing from the permission table"


@pytest.mark.parametrize("action", ["view", "claim", "reply", "note", "resolve", "escalate"])
async def test_a_tier_team_cannot_tell_other_teams_tickets_from_missing_ones(
    client: httpx.AsyncClient, tokens: dict[str, str], file_ticket: FileTicket, action: str
) -> None:
    number = await file_ticket()  # routed to the state technical team, not escalated to the vendor
    route = ROUTES[action]
    theirs = await client.request(route.method, route.path.format(n=number), json=route.body,
                                  headers=auth(tokens["tier"], 1))
    missing = await client.request(route.method, route.path.format(n="HD-999999"), json=route.body,
                                   headers=auth(tokens["tier"], 1))
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
