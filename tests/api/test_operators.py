"""The operators roster and notifications, as admins, operators and tier members use them."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from app.wiring import Services
from tests.api.conftest import FileTicket, auth
from tickets.sla import SlaPolicy
from tickets.sla_job import sweep


async def _create(client: httpx.AsyncClient, token: str, **body: object) -> httpx.Response:
    return await client.post("/api/operators", json=body, headers=auth(token))


async def _patch(client: httpx.AsyncClient, token: str, name: str, **body: object) -> httpx.Response:
    return await client.patch(f"/api/operators/{name}", json=body, headers=auth(token))


async def test_an_admin_adds_operators_and_operators_see_the_roster(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    made = await _create(client, tokens["admin"], name="op-2")
    assert made.status_code == 200, made.text
    assert made.json() | {"last_assigned_at": None} == {
        "name": "op-2", "role": "operator", "team": None, "on_shift": False, "away": False, "last_assigned_at": None}
    assert (await _create(client, tokens["admin"], name="vendor-2", role="tier", team="vendor")).status_code == 200
    roster = await client.get("/api/operators", headers=auth(tokens["operator"]))
    assert [(o["name"], o["team"]) for o in roster.json()["items"]] == [("op-2", None), ("vendor-2", "vendor")]


async def test_only_admins_add_operators_and_tier_members_do_not_see_the_roster(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    assert (await _create(client, tokens["operator"], name="op-3")).status_code == 403
    assert (await client.get("/api/operators", headers=auth(tokens["tier"]))).status_code == 403


async def test_a_bad_operator_is_refused_naming_the_field(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    admin = tokens["admin"]
    cases: list[tuple[dict[str, object], str]] = [
        ({"name": "x", "role": "boss"}, "body.role"), ({"name": ""}, "body.name"),
        ({"name": "x", "role": "tier"}, "team:"), ({"name": "x", "role": "tier", "team": "nobody"}, "team:"),
        ({"name": "x", "team": "vendor"}, "team:"), ({"name": "x", "shift": True}, "body.shift"),
    ]
    for body, field in cases:
        response = await _create(client, admin, **body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"] == "invalid_input"
        assert response.json()["message"].startswith(field), (body, response.json())


async def test_a_second_operator_with_the_same_name_is_a_conflict(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    assert (await _create(client, tokens["admin"], name="op-2")).status_code == 200
    again = await _create(client, tokens["admin"], name="op-2")
    assert again.status_code == 409 and again.json()["message"].startswith("name:")


async def test_an_operator_starts_their_own_shift_but_not_someone_elses(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    for name in ("operator-1", "op-2"):
        await _create(client, tokens["admin"], name=name)
    own = await _patch(client, tokens["operator"], "operator-1", on_shift=True)
    assert own.status_code == 200 and (own.json()["on_shift"], own.json()["away"]) == (True, False)
    away = await _patch(client, tokens["operator"], "operator-1", away=True)
    assert (away.json()["on_shift"], away.json()["away"]) == (True, True)
    other = await _patch(client, tokens["operator"], "op-2", on_shift=True)
    assert other.status_code == 403 and other.json()["error"] == "forbidden"
    by_admin = await _patch(client, tokens["admin"], "op-2", on_shift=True)
    assert by_admin.status_code == 200 and by_admin.json()["on_shift"] is True


async def test_changing_a_shift_needs_a_known_operator_and_a_flag(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    missing = await _patch(client, tokens["admin"], "nobody", on_shift=True)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    await _create(client, tokens["admin"], name="op-2")
    empty = await _patch(client, tokens["admin"], "op-2")
    assert empty.status_code == 422 and "on_shift or away" in empty.json()["message"]
    wrong = await _patch(client, tokens["admin"], "op-2", on_shift="maybe")
    assert wrong.status_code == 422 and wrong.json()["message"].startswith("body.on_shift")


async def _breach(services: Services, client: httpx.AsyncClient, admin: str, number: str) -> None:
    due = (await client.get(f"/api/tickets/{number}", headers=auth(admin))).json()["response_due_at"]
    policy = SlaPolicy.from_settings(services.settings)
    await sweep(services.sessions, services.settings, policy, now=datetime.fromisoformat(due) + timedelta(minutes=1))


async def test_an_operator_reads_and_clears_their_notifications(
    client: httpx.AsyncClient, services: Services, tokens: dict[str, str], file_ticket: FileTicket
) -> None:
    number = await file_ticket()
    version = (await client.get(f"/api/tickets/{number}", headers=auth(tokens["admin"]))).json()["version"]
    await client.post(f"/api/tickets/{number}/assign", json={"operator": "operator-1"},
                      headers=auth(tokens["admin"], version))
    await _breach(services, client, tokens["admin"], number)
    inbox = (await client.get("/api/notifications", headers=auth(tokens["operator"]))).json()["items"]
    assert [(n["recipient"], n["kind"], n["ticket_number"]) for n in inbox] == [
        ("operator-1", "sla_breached", number)]
    read = await client.post(f"/api/notifications/{inbox[0]['id']}/read", headers=auth(tokens["operator"]))
    assert read.status_code == 200 and read.json()["read_at"]
    assert (await client.get("/api/notifications", headers=auth(tokens["operator"]))).json()["items"] == []


async def test_a_tier_team_sees_its_team_inbox_but_not_other_peoples_notifications(
    client: httpx.AsyncClient, services: Services, tokens: dict[str, str], file_ticket: FileTicket
) -> None:
    number = await file_ticket(description="bill page shows an error on save")
    await client.post(f"/api/tickets/{number}/category", json={"category": "bug", "reason": "code fault"},
                      headers=auth(tokens["admin"], 1))
    await _breach(services, client, tokens["admin"], number)
    tier = (await client.get("/api/notifications", headers=auth(tokens["tier"]))).json()["items"]
    assert [n["recipient"] for n in tier] == ["team:vendor"]
    desk = (await client.get("/api/notifications", headers=auth(tokens["operator"]))).json()["items"]
    assert [n["recipient"] for n in desk] == ["team:helpdesk"]
    theirs = await client.post(f"/api/notifications/{desk[0]['id']}/read", headers=auth(tokens["tier"]))
    assert theirs.status_code == 404
    assert (await client.get("/api/notifications", headers=auth(tokens["kb_maintainer"]))).status_code == 403
