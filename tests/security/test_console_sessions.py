"""Console sessions live on the server: signing out, disabling the account or changing its password ends
them in every server process (two app instances on one database); they expire after 12 hours."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from api.accounts import SqlAccounts
from app.cli import cli
from app.wiring import Services
from tests.api.conftest import auth
from tests.security.identity_helpers import PASSWORD, FixedClock, client_of, csrf_of, sign_in


async def _account(services: Services, name: str, role: str = "operator") -> None:
    async with services.sessions() as s, s.begin():
        await SqlAccounts(s).create(name, role, PASSWORD, "vendor", [t.code for t in services.settings.teams])


async def _signed_in_on(client: httpx.AsyncClient, name: str) -> None:
    assert (await sign_in(client, name)).status_code == 303
    assert (await client.get("/console/kb")).status_code == 200


async def _still_signed_in(client: httpx.AsyncClient) -> bool:
    page = await client.get("/console/kb")
    assert page.status_code in (200, 303)
    return page.status_code == 200


async def test_sign_out_ends_the_session_on_the_server_so_a_copied_cookie_is_useless(
    services: Services, first_app: FastAPI, other_app: FastAPI,
) -> None:
    await _account(services, "asha")
    async with client_of(first_app) as a, client_of(other_app) as b:
        await _signed_in_on(a, "asha")
        cookie = a.cookies["hd_console"]
        b.cookies.set("hd_console", cookie)
        assert await _still_signed_in(b)
        page = await a.get("/console/kb")
        assert (await a.post("/console/sign-out", data={"csrf": csrf_of(page.text)})).status_code == 303
        assert not await _still_signed_in(b)  # the old cookie, replayed on the other process


@pytest.mark.parametrize("change", ["disable", "password"])
async def test_disabling_an_account_or_changing_its_password_ends_its_sessions_everywhere(
    services: Services, first_app: FastAPI, other_app: FastAPI, tokens: dict[str, str], change: str,
) -> None:
    await _account(services, "asha")
    async with client_of(first_app) as a, client_of(other_app) as b:
        await _signed_in_on(a, "asha")
        if change == "disable":
            done = await b.post("/api/accounts/asha/disable", headers=auth(tokens["admin"]))
        else:
            done = await b.post("/api/accounts/asha/password", headers=auth(tokens["admin"]),
                                json={"password": "a brand new secret"})
        assert done.status_code == 200 and done.json()["sessions_ended"] == 1
        assert not await _still_signed_in(a)
        again = await sign_in(a, "asha")
        assert again.status_code == 401  # disabled, or the old password


async def test_an_enabled_account_signs_in_again_and_a_new_role_applies_at_its_next_request(
    services: Services, first_app: FastAPI, other_app: FastAPI, tokens: dict[str, str],
) -> None:
    await _account(services, "ravi", "kb_maintainer")
    async with client_of(first_app) as a, client_of(other_app) as b:
        await b.post("/api/accounts/ravi/disable", headers=auth(tokens["admin"]))
        assert (await b.post("/api/accounts/ravi/enable", headers=auth(tokens["admin"]))).status_code == 204
        await _signed_in_on(a, "ravi")
        assert (await a.get("/console/queue")).status_code == 403
        role = await b.post("/api/accounts/ravi/role", headers=auth(tokens["admin"]),
                            json={"role": "tier", "team": "vendor"})
        assert role.status_code == 204
        assert (await a.get("/console/queue")).status_code == 200
        listed = (await b.get("/api/accounts", headers=auth(tokens["admin"]))).json()["items"]
        assert listed == [{"name": "ravi", "role": "tier", "team": "vendor", "disabled": False, "locked_until": None}]
        bad = await b.post("/api/accounts/ravi/role", headers=auth(tokens["admin"]), json={"role": "root"})
        assert bad.status_code == 422 and bad.json()["message"].startswith("role:")


async def test_a_session_ends_twelve_hours_after_sign_in(
    services: Services, first_app: FastAPI, clock: FixedClock,
) -> None:
    await _account(services, "asha")
    async with client_of(first_app) as a:
        await _signed_in_on(a, "asha")
        clock.advance(hours=11, minutes=59)
        assert await _still_signed_in(a)
        clock.advance(minutes=1)
        assert not await _still_signed_in(a)


async def test_an_admin_disables_and_enables_accounts_and_revokes_tokens_from_the_console_page(
    services: Services, first_app: FastAPI, tokens: dict[str, str],
) -> None:
    await _account(services, "root", "admin")
    await _account(services, "asha")
    async with client_of(first_app) as admin, client_of(first_app, "198.51.100.2") as asha:
        await _signed_in_on(admin, "root")
        await _signed_in_on(asha, "asha")
        page = await admin.get("/console/accounts")
        assert page.status_code == 200 and "asha" in page.text and "operator-1" in page.text
        forged = await admin.post("/console/accounts/asha/disable", data={"csrf": "not the token"})
        assert forged.status_code == 403 and await _still_signed_in(asha)
        csrf = csrf_of(page.text)
        assert (await admin.post("/console/accounts/asha/disable", data={"csrf": csrf})).status_code == 303
        assert not await _still_signed_in(asha)
        assert "disabled" in (await admin.get("/console/accounts")).text
        assert (await admin.post("/console/accounts/asha/enable", data={"csrf": csrf})).status_code == 303
        await _signed_in_on(asha, "asha")
        assert (await admin.post("/console/tokens/operator-1/revoke", data={"csrf": csrf})).status_code == 303
        assert (await admin.get("/api/tickets", headers=auth(tokens["operator"]))).status_code == 401
        assert (await asha.get("/console/accounts")).status_code == 403


def test_the_users_command_lists_disables_enables_re_roles_and_re_passwords(
    database_url: str, tmp_path: object,
) -> None:
    runner = CliRunner()
    env = {"HELPDESK_DATABASE_URL": database_url, "HELPDESK_DATA_DIR": str(tmp_path)}
    assert runner.invoke(cli, ["users", "create", "asha"], input=PASSWORD + "\n", env=env).exit_code == 0
    assert runner.invoke(cli, ["users", "disable", "asha"], env=env).output.startswith("disabled account 'asha'")
    assert '"disabled": true' in runner.invoke(cli, ["users", "list"], env=env).output
    assert runner.invoke(cli, ["users", "enable", "asha"], env=env).exit_code == 0
    role = runner.invoke(cli, ["users", "set-role", "asha", "tier", "--team", "vendor"], env=env)
    assert role.exit_code == 0, role.output
    assert '"role": "tier", "team": "vendor"' in runner.invoke(cli, ["users", "list"], env=env).output
    short = runner.invoke(cli, ["users", "set-password", "asha"], input="short\n", env=env)
    assert short.exit_code == 2 and "password: must be at least" in short.output
    changed = runner.invoke(cli, ["users", "set-password", "asha"], input="a brand new secret\n", env=env)
    assert changed.exit_code == 0 and "0 session(s) ended" in changed.output
    unknown = runner.invoke(cli, ["users", "disable", "nobody"], env=env)
    assert unknown.exit_code == 2 and "no account named 'nobody'" in unknown.output
