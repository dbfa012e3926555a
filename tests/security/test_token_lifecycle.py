"""API tokens over their life: revoked, rotated or expired, each refused from the next request in every
server process (two app instances on one database), through the API, and through `helpdesk tokens`."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from app.cli import cli
from tests.api.conftest import auth
from tests.security.identity_helpers import FixedClock, client_of


async def test_a_token_revoked_through_one_process_is_refused_by_the_other_at_once(
    first_app: FastAPI, other_app: FastAPI, tokens: dict[str, str],
) -> None:
    async with client_of(first_app) as a, client_of(other_app) as b:
        assert (await b.get("/api/tickets", headers=auth(tokens["operator"]))).status_code == 200
        revoked = await a.post("/api/tokens/operator-1/revoke", headers=auth(tokens["admin"]))
        assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
        refused = await b.get("/api/tickets", headers=auth(tokens["operator"]))
        assert refused.status_code == 401
        assert refused.json()["error"] == "unauthorized"
        listed = (await b.get("/api/tokens", headers=auth(tokens["admin"]))).json()["items"]
        assert {t["name"]: t["state"] for t in listed}["operator-1"] == "revoked"
        assert "hd_" not in json.dumps(listed)  # the list never shows a token


async def test_a_rotated_token_stops_working_and_its_replacement_works_everywhere(
    first_app: FastAPI, other_app: FastAPI, tokens: dict[str, str],
) -> None:
    async with client_of(first_app) as a, client_of(other_app) as b:
        assert (await b.get("/api/tickets", headers=auth(tokens["tier"]))).status_code == 200
        rotated = await a.post("/api/tokens/tier-1/rotate", headers=auth(tokens["admin"]), json={})
        new = rotated.json()["token"]
        assert (await b.get("/api/tickets", headers=auth(tokens["tier"]))).status_code == 401
        assert (await b.get("/api/tickets", headers=auth(new))).status_code == 200


async def test_a_token_with_an_expiry_works_until_then_and_is_refused_after(
    first_app: FastAPI, other_app: FastAPI, tokens: dict[str, str], clock: FixedClock,
) -> None:
    async with client_of(first_app) as a, client_of(other_app) as b:
        rotated = await a.post("/api/tokens/operator-1/rotate", headers=auth(tokens["admin"]), json={"expires": "2h"})
        token = rotated.json()["token"]
        clock.advance(hours=1, minutes=59)
        assert (await b.get("/api/tickets", headers=auth(token))).status_code == 200
        clock.advance(minutes=1)
        assert (await b.get("/api/tickets", headers=auth(token))).status_code == 401
        listed = (await a.get("/api/tokens", headers=auth(tokens["admin"]))).json()["items"]
        assert {t["name"]: t["state"] for t in listed}["operator-1"] == "expired"


@pytest.mark.parametrize("role", ["operator", "tier", "kb_maintainer"])
async def test_only_an_admin_may_list_revoke_or_rotate_tokens(
    first_app: FastAPI, tokens: dict[str, str], role: str,
) -> None:
    async with client_of(first_app) as a:
        assert (await a.get("/api/tokens", headers=auth(tokens[role]))).status_code == 403
        assert (await a.post("/api/tokens/admin-1/revoke", headers=auth(tokens[role]))).status_code == 403
        assert (await a.get("/api/tickets", headers=auth(tokens["admin"]))).status_code == 200


async def test_revoking_or_rotating_an_unknown_token_is_a_clear_404_and_a_bad_expiry_a_422(
    first_app: FastAPI, tokens: dict[str, str],
) -> None:
    async with client_of(first_app) as a:
        missing = await a.post("/api/tokens/nobody/revoke", headers=auth(tokens["admin"]))
        assert missing.status_code == 404 and missing.json()["error"] == "not_found"
        bad = await a.post("/api/tokens/operator-1/rotate", headers=auth(tokens["admin"]), json={"expires": "soon"})
        assert bad.status_code == 422 and bad.json()["message"].startswith("expires:")
        assert (await a.get("/api/tickets", headers=auth(tokens["operator"]))).status_code == 200


def test_the_tokens_command_creates_lists_rotates_and_revokes(database_url: str, tmp_path: object) -> None:
    runner = CliRunner()
    env = {"HELPDESK_DATABASE_URL": database_url, "HELPDESK_DATA_DIR": str(tmp_path)}
    made = runner.invoke(cli, ["tokens", "create", "--name", "portal", "--role", "operator", "--expires", "30d"],
                         env=env)
    assert made.exit_code == 0, made.output
    listed = [json.loads(line) for line in runner.invoke(cli, ["tokens", "list"], env=env).output.splitlines()]
    assert [(t["name"], t["state"]) for t in listed] == [("portal", "active")] and listed[0]["expires_at"]
    rotated = runner.invoke(cli, ["tokens", "rotate", "portal"], env=env)
    assert rotated.exit_code == 0 and rotated.output.strip().startswith("hd_")
    assert rotated.output.strip() != made.output.strip()
    assert runner.invoke(cli, ["tokens", "revoke", "portal"], env=env).exit_code == 0
    listed = [json.loads(line) for line in runner.invoke(cli, ["tokens", "list"], env=env).output.splitlines()]
    assert listed[0]["state"] == "revoked"
    again = runner.invoke(cli, ["tokens", "rotate", "portal"], env=env)
    assert again.exit_code == 2 and "revoked" in again.output
    unknown = runner.invoke(cli, ["tokens", "revoke", "nobody"], env=env)
    assert unknown.exit_code == 2 and "no token named 'nobody'" in unknown.output
