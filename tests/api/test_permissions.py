"""Every route against every role: who is let through and who gets 403 (or 404 where existence is private).

Each check starts from the same database, `Seed`: filled once per module and backend, through the engine and
the API as the checks' callers would fill it, kept, and put back before every check (tests/databases.py `keep`
and `restore`), so that no check sees what another one changed. The system the checks call (`system`: the
services and the app) is built once per module too; each check empties its database pools when it ends. Filing
and escalating tickets and building the system for each of the 296 checks was a quarter of the suite's time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import func, select

from api.accounts import WebAccountRow
from app.wiring import Services, build_app, build_services
from core.settings import Settings
from tests.api.conftest import FileTicket, auth, make_tokens, ticket_filer
from tests.databases import Kept, keep, restore
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


@dataclass(frozen=True)
class Seed:
    """What every check finds in its database (and the operator rows, notifications and the console account
    acct-1 that `_people_and_notifications` adds)."""

    tokens: dict[str, str]  # a token per role, for "{role}-1" (tests/api/conftest.py)
    escalated: tuple[str, int]  # a ticket escalated to the vendor team (the tier token's) and its version
    resolved: tuple[str, int]  # another, escalated then resolved: close and reopen act on it
    webhook: int
    notes: dict[str, int]  # each role's caller's own notification
    other: str  # a ticket left with the state technical team: the second ticket of a link or a merge


@dataclass(frozen=True)
class System:
    services: Services
    app: FastAPI


async def _people_and_notifications(services: Services) -> dict[str, int]:
    """Operator rows for every caller and a colleague op-2, a notification for each caller and the console
    account acct-1; each role's notification id."""
    callers = {role: f"{role}-1" for role in ALLOWED}
    async with services.sessions() as session, session.begin():
        operators = SqlOperators(session, services.settings)
        await operators.create("op-2", "operator")
        for role, name in callers.items():
            await (operators.create(name, "tier", "vendor") if role == "tier" else operators.create(name, "operator"))
            await SqlNotifications(session).notify(name, "sla_at_risk", "HD-000001 is at risk")
        session.add(WebAccountRow(name="acct-1", role="operator", password_hash="-"))  # noqa: S106 (no sign-in)
    async with services.sessions() as session:
        rows = await session.execute(select(NotificationRow.recipient, func.max(NotificationRow.id))
                                     .where(NotificationRow.recipient.in_(callers.values()))
                                     .group_by(NotificationRow.recipient))
        ids = {recipient: int(note) for recipient, note in rows.all()}
    return {role: ids[name] for role, name in callers.items()}


async def _escalated_ticket(client: httpx.AsyncClient, file_ticket: FileTicket, admin: str) -> tuple[str, int]:
    number = await file_ticket()
    version = (await client.get(f"/api/tickets/{number}", headers=auth(admin))).json()["version"]
    escalated = await client.post(f"/api/tickets/{number}/escalate", json={"team": "vendor"},
                                  headers=auth(admin, version))
    assert escalated.status_code == 200, escalated.text
    return number, escalated.json()["version"]


async def _seed(services: Services, client: httpx.AsyncClient) -> Seed:
    tokens = await make_tokens(services)
    admin = tokens["admin"]
    file_ticket = ticket_filer(services)
    escalated = await _escalated_ticket(client, file_ticket, admin)
    number, version = await _escalated_ticket(client, file_ticket, admin)
    resolved = await client.post(f"/api/tickets/{number}/resolve", json={}, headers=auth(admin, version))
    assert resolved.status_code == 200, resolved.text
    hook = {"url": "https://erp.example.org/h", "events": ["ticket.updated"]}
    webhook = await client.post("/api/webhooks", json=hook, headers=auth(admin))
    assert webhook.status_code == 201, webhook.text
    notes = await _people_and_notifications(services)
    other = await file_ticket()
    return Seed(tokens, escalated, (number, resolved.json()["version"]), webhook.json()["id"], notes, other)


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://helpdesk")


async def _close_connections(services: Services) -> None:
    """Empty the pools: each check runs in an event loop of its own, and SQLite's file is replaced under them."""
    await services.db.dispose()
    if services.read_db is not None:
        await services.read_db.dispose()


@pytest.fixture(scope="module")
def system(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> System:
    """The services and the app on the module's database (`seeded` and each check empty the pools they fill)."""
    settings = Settings(database_url=module_database_url, data_dir=tmp_path_factory.mktemp("data"),
                        channel_keys={"portal": "portal-secret", "other": "other-secret"})
    services = build_services(settings)
    return System(services, build_app(services))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def seeded(system: System, module_database_url: str,
                 tmp_path_factory: pytest.TempPathFactory) -> tuple[Seed, Kept]:
    try:
        async with _client(system.app) as client:
            seed = await _seed(system.services, client)
    finally:
        await _close_connections(system.services)
    return seed, keep(module_database_url, tmp_path_factory.mktemp("seed") / "helpdesk.db")


@pytest.fixture
def seed(seeded: tuple[Seed, Kept]) -> Seed:
    return seeded[0]


@pytest.fixture
async def seeded_client(system: System, seeded: tuple[Seed, Kept]) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the system, on the database as `seeded` left it."""
    restore(seeded[1])
    try:
        async with _client(system.app) as client:
            yield client
    finally:
        await _close_connections(system.services)


@pytest.mark.parametrize("role", sorted(ALLOWED))
@pytest.mark.parametrize("name", sorted(ROUTES))
async def test_each_role_may_do_exactly_what_the_table_says(
    seeded_client: httpx.AsyncClient, seed: Seed, role: str, name: str
) -> None:
    client = seeded_client
    route = ROUTES[name]
    number, version = seed.resolved if name in ("close", "reopen") else seed.escalated
    path = route.path.format(n=number, w=seed.webhook, me=f"{role}-1", note=seed.notes[role])
    body = route.body
    if body and "{other}" in body.values():  # links and merges name a second ticket
        body = {k: seed.other if v == "{other}" else v for k, v in body.items()}
    headers = auth(seed.tokens[role], version if route.versioned else None)
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


def test_the_table_covers_every_api_route(system: System) -> None:
    """A new route must be added to ROUTES (and so to this test) before it ships."""
    # from the OpenAPI paths: app.routes holds included routers, not their routes, on current FastAPI
    served = {(method.upper(), path) for path, operations in system.app.openapi()["paths"].items()
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
    seeded_client: httpx.AsyncClient, seed: Seed, action: str
) -> None:
    client = seeded_client
    route = ROUTES[action]  # `seed.other` is the state technical team's, never escalated to the vendor
    theirs = await client.request(route.method, route.path.format(n=seed.other), json=route.body,
                                  headers=auth(seed.tokens["tier"], 1))
    missing = await client.request(route.method, route.path.format(n="HD-999999"), json=route.body,
                                   headers=auth(seed.tokens["tier"], 1))
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
async def test_no_valid_token_is_401(seeded_client: httpx.AsyncClient, header: str | None) -> None:
    response = await seeded_client.get("/api/tickets", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
