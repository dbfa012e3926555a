"""Every route of the app has an access rule, and every role x object owner gets exactly what the rule says.

The routes come from the app itself (its OpenAPI schema and its routes, console pages included), never from
a list kept here, so a route added without a rule in api/rules.py fails this test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from api.permissions import allowed
from api.rules import RULES, Rule, rule_for
from api.tokens import Principal
from app.wiring import Services, build_app, build_services
from core.settings import Settings
from tests.api.conftest import ROLE_TOKENS
from tests.security.walk import ROLES, World, build_world, leaked, request_args, sign_in

HOW_TO = ('declare it in api/rules.py, RULES: (method, path): token("<permission>", <scope>) for an API route, '
          'page("<permission>", <scope>) for a console page, or public("<what authenticates instead>"); '
          "the permission goes in api.permissions.PERMISSIONS")


def served_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path template) of every route the app answers: its OpenAPI paths and its own route table
    (which holds the console pages and webhooks left out of the schema)."""
    routes = {(m.upper(), path) for path, ops in app.openapi()["paths"].items() for m in ops}
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            routes |= {(m, str(context.path)) for m in context.methods or ()}
    return routes


@pytest.fixture
def every_channel(settings: Settings) -> Settings:
    """Settings with every optional channel on, so that their routes are served too."""
    return settings.model_copy(update={"telegram_token": "123:walk", "voice_auth_token": "walk",
                                       "voice_public_url": "https://voice.example.org",
                                       "whatsapp_token": "walk", "whatsapp_phone_number_id": "1234"})


async def test_every_route_of_the_app_has_an_access_rule(every_channel: Settings) -> None:
    services = build_services(every_channel)
    try:
        served = served_routes(build_app(services))
    finally:
        await services.db.dispose()
    missing = sorted(served - set(RULES))
    assert not missing, f"routes without an access rule: {missing}; {HOW_TO}"
    stale = sorted(set(RULES) - served)
    assert not stale, f"rules for routes the app does not serve (remove them from api/rules.py): {stale}"


async def test_a_route_without_a_rule_is_refused_to_everyone(app: FastAPI, client: httpx.AsyncClient,
                                                              tokens: dict[str, str]) -> None:
    extra = APIRouter()

    @extra.get("/api/undeclared")
    async def undeclared() -> dict[str, str]:
        return {"secret": "data"}

    app.include_router(extra)
    response = await client.get("/api/undeclared", headers={"Authorization": f"Bearer {tokens['admin']}"})
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden" and "api/rules.py" in response.json()["message"]


def _expected(rule: Rule, role: str, owner: str, params: dict[str, str]) -> str:
    """"denied" (403), "hidden" (404, as for a missing object) or "through"."""
    assert rule.permission is not None
    who = Principal(f"{role}-1", role, ROLE_TOKENS[role])
    permission = rule.permission
    if rule.own is not None and params[rule.own.param] == who.name:
        permission = rule.own.permission
    if not allowed(who, permission):
        return "denied"
    if rule.scope is not None and role == "tier" and owner == "other":
        return "hidden"
    return "through"


IDENTITY_ROUTES = ("/api/tokens/", "/api/accounts/", "/console/tokens/", "/console/accounts/")


def _walk_order(key: tuple[str, str]) -> tuple[bool, bool, str, str]:
    method, path = key
    return path == "/console/sign-out", method == "DELETE", path, method


@pytest.fixture
async def world(services: Services, client: httpx.AsyncClient, tokens: dict[str, str]) -> AsyncIterator[World]:
    built = await build_world(services, tokens)
    for role in ROLES:
        built.sessions[role] = await sign_in(client, role)
    yield built


async def test_every_role_and_owner_gets_what_the_rule_says_on_every_route(
    client: httpx.AsyncClient, world: World, tmp_path: Path
) -> None:
    wrong: list[str] = []
    for role in ROLES:
        for method, path in sorted(RULES, key=_walk_order):
            rule = rule_for(method, path)
            assert rule is not None
            if rule.via == "public":
                continue
            owners = ("own", "other") if rule.scope or "{" in path else ("own",)
            for owner in owners:
                params = world.params(role, owner)
                if path.startswith(IDENTITY_ROUTES):  # revoking or disabling the walk's own callers would end it
                    params["name"] = "walk-nobody"
                expected = _expected(rule, role, owner, params)
                url = path.format(**params)
                response = await client.request(method, url, **request_args(world, rule.via, role, method))
                status = response.status_code
                if expected == "denied" and status != 403:
                    wrong.append(f"{role} {owner} {method} {url}: {status}, expected 403 (no permission)")
                elif expected == "hidden" and status != 404:
                    wrong.append(f"{role} {owner} {method} {url}: {status}, expected 404 (another team's)")
                elif expected == "through" and (status in (401, 403) or (method == "GET" and status == 404)):
                    wrong.append(f"{role} {owner} {method} {url}: {status}, expected to be let through")
                elif expected == "through" and method == "GET":
                    wrong += [f"{role} {owner} {method} {url}: shows {what}" for what in leaked(response.text, role)]
    assert not wrong, "\n".join(wrong)


async def test_a_tier_team_may_set_only_status_workaround_and_jira_key_on_its_problem(
    client: httpx.AsyncClient, world: World
) -> None:
    problem = world.objects["own"].problem
    tier = {"Authorization": f"Bearer {world.tokens['tier']}"}
    version = (await client.get(f"/api/problems/{problem}", headers=tier)).json()["version"]
    for field, value in (("title", "pwned"), ("description", "call 0000"), ("team", "l1")):
        refused = await client.patch(f"/api/problems/{problem}", json={"status": "fixed", field: value},
                                     headers=tier | {"If-Match": f'"{version}"'})
        assert refused.status_code == 403, refused.text
        assert field in refused.json()["message"]
    done = await client.patch(f"/api/problems/{problem}", json={"workaround": "pay by challan", "jira_key": "M-1"},
                              headers=tier | {"If-Match": f'"{version}"'})
    assert done.status_code == 200, done.text
    assert done.json()["workaround"] == "pay by challan"


async def test_a_tier_team_cannot_fix_or_read_a_problem_of_another_teams_tickets(
    client: httpx.AsyncClient, world: World
) -> None:
    """The reported attack: the vendor's token marked a state-technical problem fixed, resolving its tickets."""
    problem, ticket = world.objects["other"].problem, world.objects["other"].ticket
    tier = {"Authorization": f"Bearer {world.tokens['tier']}"}
    admin = {"Authorization": f"Bearer {world.tokens['admin']}"}
    version = (await client.get(f"/api/problems/{problem}", headers=admin)).json()["version"]
    attack = await client.patch(f"/api/problems/{problem}", json={"status": "fixed"},
                                headers=tier | {"If-Match": f'"{version}"'})
    assert attack.status_code == 404
    assert (await client.get(f"/api/tickets/{ticket}", headers=admin)).json()["status"] != "resolved"
    listed = (await client.get("/api/problems", headers=tier)).json()["items"]
    assert [p["id"] for p in listed] == [world.objects["own"].problem]
    proposals = (await client.get("/api/problems/proposals", headers=tier)).json()["items"]
    assert [p["id"] for p in proposals] == [world.objects["own"].proposal]
