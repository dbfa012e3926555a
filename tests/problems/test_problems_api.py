"""The problems API: who may do what, linking rules, the audit trail, broadcasts and the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.wiring import Services
from core.messages import UserRef
from tests.problems.people import bearer, file_directly, run_spotting
from tickets.models import OutboxRow, TicketEventRow

JIT = ["payment status not updating from JIT", "JIT payment status is not getting updated",
       "payment status stuck, JIT not updating", "status of payment not updating from JIT",
       "JIT not updating payment status"]


@dataclass(frozen=True)
class Route:
    action: str
    method: str
    path: str  # {p}: a problem, {q}: a pending proposal, {n}: a ticket linked to the problem
    body: dict[str, Any] | None = None
    versioned: bool = False
    success: int = 200


ROUTES = {
    "list": Route("problems_view", "GET", "/api/problems"),
    "detail": Route("problems_view", "GET", "/api/problems/{p}"),
    "proposals": Route("problems_view", "GET", "/api/problems/proposals"),
    "create": Route("problems_manage", "POST", "/api/problems", {"title": "JIT down", "tickets": ["{n}"]},
                    success=201),
    "link": Route("problems_manage", "POST", "/api/problems/{p}/links", {"tickets": ["{n}"]}),
    "unlink": Route("problems_manage", "DELETE", "/api/problems/{p}/links/{n}"),
    "accept": Route("problems_manage", "POST", "/api/problems/proposals/{q}/accept", {}, success=201),
    "dismiss": Route("problems_manage", "POST", "/api/problems/proposals/{q}/dismiss"),
    "update": Route("problems_update", "PATCH", "/api/problems/{p}", {"status": "identified"}, True),
    "broadcast": Route("problems_broadcast", "POST", "/api/problems/{p}/broadcast", {"text": "Fix at 4 pm."}),
}
ALLOWED = {
    "operator": {"problems_view", "problems_manage", "problems_update", "problems_broadcast"},
    "tier": {"problems_view", "problems_update"},
    "kb_maintainer": set(),
    "admin": {"problems_view", "problems_manage", "problems_update", "problems_broadcast"},
}


def _filled(value: Any, names: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, list):
        return [_filled(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _filled(v, names) for k, v in value.items()}
    return value


@pytest.mark.parametrize("role", sorted(ALLOWED))
async def test_each_role_may_do_exactly_what_the_table_says(
    services: Services, client: httpx.AsyncClient, tokens: dict[str, str], role: str
) -> None:
    """Every route in turn for one role (those that use something up, last), each on fresh versions."""
    admin = bearer(tokens["admin"])
    numbers = await file_directly(services, [(f"u{i}", text) for i, text in enumerate(JIT)])
    (proposal,) = (await run_spotting(services)).proposed
    await file_directly(services, [(f"w{i}", text) for i, text in enumerate(JIT)], module="bills")
    (spare_proposal,) = (await run_spotting(services)).proposed
    spares = await file_directly(services, [("s1", "estimate will not save"), ("s2", "work order is blank")],
                                 module="estimate")
    version = (await client.get(f"/api/tickets/{numbers[0]}", headers=admin)).json()["version"]
    escalated = await client.post(f"/api/tickets/{numbers[0]}/escalate", json={"team": "vendor"},
                                  headers=bearer(tokens["admin"], version))
    assert escalated.status_code == 200, escalated.text  # so the vendor's tier token sees the problem
    problem = (await client.post("/api/problems", json={"title": "JIT", "tickets": numbers[:1]},
                                 headers=admin)).json()
    names = {"p": problem["id"], "q": proposal, "n": numbers[0]}
    wrong = []
    for name in ("list", "detail", "proposals", "update", "broadcast", "link", "create", "unlink", "accept",
                 "dismiss"):
        route = ROUTES[name]
        version = (await client.get(f"/api/problems/{problem['id']}", headers=admin)).json()["version"]
        ticket = {"link": spares[0], "create": spares[1]}.get(name, numbers[0])
        here = {**names, "n": ticket, "q": spare_proposal if name == "dismiss" else proposal}
        response = await client.request(route.method, _filled(route.path, here), json=_filled(route.body, here),
                                        headers=bearer(tokens[role], version if route.versioned else None))
        expected = route.success if route.action in ALLOWED[role] else 403
        if response.status_code != expected:
            wrong.append((name, expected, response.status_code, response.text))
    assert wrong == []


def test_the_table_covers_every_problems_route(app: FastAPI) -> None:
    paths = app.openapi()["paths"]  # the routers' own routes, however the app nests them
    served = {(m.upper(), path) for path, ops in paths.items() if path.startswith("/api/problems") for m in ops}
    generic = {"{p}": "{problem_id}", "{q}": "{proposal_id}", "{n}": "{number}"}
    listed = set()
    for route in ROUTES.values():
        path = route.path
        for concrete, template in generic.items():
            path = path.replace(concrete, template)
        listed.add((route.method, path))
    assert served == listed


async def test_a_ticket_belongs_to_one_problem_and_every_change_is_audited(
    services: Services, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    admin = bearer(tokens["admin"])
    first, second = await file_directly(services, [("a", JIT[0]), ("b", JIT[1])])
    one = (await client.post("/api/problems", json={"title": "JIT", "tickets": [first]}, headers=admin)).json()
    two = (await client.post("/api/problems", json={"title": "JIT 2", "tickets": [second]}, headers=admin)).json()
    clash = await client.post(f"/api/problems/{two['id']}/links", json={"tickets": [first]}, headers=admin)
    assert clash.status_code == 409
    assert clash.json()["message"] == f"ticket {first} is already linked to problem {one['id']}"
    moved = await client.delete(f"/api/problems/{one['id']}/links/{first}", headers=admin)
    assert moved.json()["tickets"] == []
    linked = await client.post(f"/api/problems/{two['id']}/links", json={"tickets": [first]}, headers=admin)
    assert sorted(linked.json()["tickets"]) == sorted([first, second])
    stale = await client.patch(f"/api/problems/{two['id']}", json={"jira_key": "MUKTA-7"},
                               headers=bearer(tokens["admin"], two["version"] + 5))
    assert stale.status_code == 412
    null = await client.patch(f"/api/problems/{two['id']}", json={"status": None},
                              headers=bearer(tokens["admin"], two["version"]))
    assert (null.status_code, null.json()["message"]) == (422, "status: must not be null")
    changed = await client.patch(f"/api/problems/{two['id']}", json={"status": "identified", "jira_key": "MUKTA-7",
                                                                      "reason": "vendor found it"},
                                 headers=bearer(tokens["admin"], two["version"]))
    assert changed.json()["status"] == "identified" and changed.json()["version"] == two["version"] + 1
    events = (await client.get(f"/api/problems/{two['id']}", headers=admin)).json()["events"]
    assert [e["action"] for e in events] == ["create", "link", "link", "update"]
    assert events[-1]["before"] == {"status": "investigating", "jira_key": None}
    assert events[-1]["after"] == {"status": "identified", "jira_key": "MUKTA-7"}
    assert events[-1]["actor"] == "admin-1" and events[-1]["reason"] == "vendor found it"
    ticket_events = (await client.get(f"/api/tickets/{first}", headers=admin)).json()["events"]
    assert [e["action"] for e in ticket_events] == ["link_problem", "unlink_problem", "link_problem"]


async def test_a_broadcast_reaches_each_linked_user_once_and_is_spaced_on_telegram(
    services: Services, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    admin = bearer(tokens["admin"])
    numbers = await file_directly(services, [("asha", JIT[0]), ("asha", JIT[1])])
    numbers += await file_directly(services, [(f"tg{n}", JIT[2 + n]) for n in range(3)], channel="telegram")
    problem = (await client.post("/api/problems", json={"title": "JIT", "tickets": numbers}, headers=admin)).json()
    sent = await client.post(f"/api/problems/{problem['id']}/broadcast", json={"text": "Fix expected by 4 pm."},
                             headers=admin)
    assert sent.json() == {"users": 4}
    (told,) = await services.engine.pending(UserRef("console", "asha"))
    assert "Fix expected by 4 pm." in told.text and numbers[0] in told.text and numbers[1] in told.text
    async with services.sessions() as session:
        items = list(await session.scalars(select(OutboxRow).where(OutboxRow.channel == "telegram",
                                                                   OutboxRow.kind == "problem_update")))
    times = sorted(i.next_attempt_at for i in items)
    assert len(times) == 3
    gap = timedelta(seconds=1 / services.settings.problem_notify_per_second["telegram"])
    assert [b - a for a, b in pairwise(times)] == [gap, gap]


async def test_the_dashboard_counts_problems_linked_tickets_and_time_to_fix(
    services: Services, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    admin = bearer(tokens["admin"])
    numbers = await file_directly(services, [(f"u{i}", text) for i, text in enumerate(JIT[:3])])
    fixed = (await client.post("/api/problems", json={"title": "JIT", "tickets": numbers}, headers=admin)).json()
    other = await file_directly(services, [("u8", "the estimate page will not save")], module="estimate")
    await client.post("/api/problems", json={"title": "Other", "tickets": other}, headers=admin)
    await client.patch(f"/api/problems/{fixed['id']}", json={"status": "fixed"},
                       headers=bearer(tokens["admin"], fixed["version"]))
    figures = (await client.get("/api/dashboard", headers=admin)).json()["problems"]
    assert figures["opened"] == 2 and figures["fixed"] == 1
    assert figures["by_status"] == {"fixed": 1, "investigating": 1}
    assert [(p["title"], p["linked_tickets"]) for p in figures["problems"]] == [("Other", 1), ("JIT", 3)]
    assert 0 <= figures["median_hours_first_report_to_fix"] < 1


async def test_accepting_a_decided_proposal_says_who_decided(
    services: Services, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    await file_directly(services, [(f"u{i}", text) for i, text in enumerate(JIT)])
    (proposal,) = (await run_spotting(services)).proposed
    admin = bearer(tokens["admin"])
    await client.post(f"/api/problems/proposals/{proposal}/dismiss", headers=admin)
    again = await client.post(f"/api/problems/proposals/{proposal}/accept", json={}, headers=admin)
    assert again.status_code == 409
    assert again.json()["message"] == f"proposal {proposal} is already dismissed by admin-1"
    assert (await client.get("/api/problems/proposals", headers=admin)).json()["items"] == []
    everything = (await client.get("/api/problems/proposals?status=all", headers=admin)).json()["items"]
    assert [p["status"] for p in everything] == ["dismissed"]
    async with services.sessions() as session:
        assert list(await session.scalars(select(TicketEventRow).where(TicketEventRow.action == "link_problem"))) == []
