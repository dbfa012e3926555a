"""Sign-in throttling: per account and per client address, counted in the database (shared by every
server process), an increasing wait then a lockout an admin can lift; throttled attempts are refused before
any password hash is computed, and /metrics counts refusals and lockouts. Time is a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from typer.testing import CliRunner

from api import accounts
from api.accounts import SqlAccounts
from app.cli import cli
from app.wiring import Services
from tests.api.conftest import auth
from tests.security.identity_helpers import PASSWORD, FixedClock, client_of, csrf_of, sign_in


class CountingHasher(PasswordHasher):
    """argon2-cffi's hasher, counting the verifications it computes."""

    def __init__(self, seen: list[str]) -> None:
        super().__init__(time_cost=2, memory_cost=19 * 1024, parallelism=1)
        self.seen = seen

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.seen.append(str(password))
        return super().verify(hash, password)


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The passwords the server checked with Argon2, in order."""
    seen: list[str] = []
    monkeypatch.setattr(accounts, "_hasher", CountingHasher(seen))
    yield seen


async def _account(services: Services, name: str, role: str = "operator") -> None:
    async with services.sessions() as s, s.begin():
        await SqlAccounts(s).create(name, role, PASSWORD, None, [])


async def test_after_three_failures_each_attempt_waits_longer_and_is_refused_without_hashing(
    services: Services, first_app: FastAPI, other_app: FastAPI, clock: FixedClock, hashes: list[str],
) -> None:
    await _account(services, "asha")
    async with client_of(first_app) as a, client_of(other_app) as b:
        for client in (a, b, a):  # failures counted across both processes
            assert (await sign_in(client, "asha", "wrong guess")).status_code == 401
        assert len(hashes) == 3
        refused = await sign_in(b, "asha")  # even the right password waits
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "2"
        assert "wait 2 seconds" in refused.text
        assert len(hashes) == 3  # refused before any hashing
        clock.advance(seconds=2)
        assert (await sign_in(a, "asha", "wrong again")).status_code == 401
        clock.advance(seconds=3)
        assert (await sign_in(a, "asha")).status_code == 429  # now 4 s after the 4th failure
        clock.advance(seconds=1)
        assert (await sign_in(a, "asha")).status_code == 303
        assert len(hashes) == 5


async def test_ten_failures_lock_the_account_until_an_admin_unlocks_it(
    services: Services, first_app: FastAPI, other_app: FastAPI, clock: FixedClock, tokens: dict[str, str],
    hashes: list[str],
) -> None:
    await _account(services, "asha")
    async with client_of(first_app) as a, client_of(other_app) as b:
        for _ in range(10):
            clock.advance(minutes=5)  # past every wait, so each is a real guess
            assert (await sign_in(a, "asha", "wrong guess")).status_code == 401
        clock.advance(minutes=5)
        locked = await sign_in(b, "asha")
        assert locked.status_code == 429 and "locked" in locked.text and "An admin can unlock" in locked.text
        assert len(hashes) == 10
        listed = (await b.get("/api/accounts", headers=auth(tokens["admin"]))).json()["items"]
        assert listed[0]["locked_until"] is not None
        metrics = (await a.get("/metrics")).text
        assert 'helpdesk_sign_in_lockouts{kind="account"} 1.0' in metrics
        assert (await b.post("/api/accounts/asha/unlock", headers=auth(tokens["admin"]))).status_code == 204
        assert (await sign_in(a, "asha")).status_code == 303
        assert 'helpdesk_sign_in_lockouts{kind="account"} 0.0' in (await a.get("/metrics")).text


async def test_a_lockout_ends_by_itself_after_an_hour(
    services: Services, first_app: FastAPI, clock: FixedClock,
) -> None:
    await _account(services, "asha")
    async with client_of(first_app) as a:
        for _ in range(10):
            clock.advance(minutes=5)
            await sign_in(a, "asha", "wrong guess")
        clock.advance(minutes=59)
        assert (await sign_in(a, "asha")).status_code == 429
        clock.advance(minutes=1)
        assert (await sign_in(a, "asha")).status_code == 303


@pytest.fixture
def few_per_address(services: Services) -> None:
    """Lower address limits (the defaults are 10 free and a lockout at 30), to keep the test short."""
    services.settings.signin_address_free_failures = 4
    services.settings.signin_address_lockout = 8


async def test_one_address_guessing_many_accounts_is_throttled_and_locked_out_as_an_address(
    services: Services, few_per_address: None, first_app: FastAPI, clock: FixedClock, hashes: list[str],
) -> None:
    await _account(services, "asha")
    async with client_of(first_app, "198.51.100.9") as attacker, client_of(first_app, "192.0.2.1") as office:
        for n in range(8):
            clock.advance(seconds=1)
            if n >= 4:  # four free failures from one address, then each waits 2 s, 4 s, 8 s ...
                throttled = await sign_in(attacker, f"guess-{n}", "wrong guess")
                assert throttled.status_code == 429
                clock.advance(seconds=int(throttled.headers["Retry-After"]))
            assert (await sign_in(attacker, f"guess-{n}", "wrong guess")).status_code == 401
        clock.advance(minutes=10)
        assert (await sign_in(attacker, "asha")).status_code == 429  # the address is locked out
        assert (await sign_in(office, "asha")).status_code == 303  # the account itself is not
        metrics = (await attacker.get("/metrics")).text
        assert 'helpdesk_sign_in_lockouts{kind="address"} 1.0' in metrics
        assert 'helpdesk_sign_ins_refused_total{reason="locked"} 1.0' in metrics
        assert 'helpdesk_sign_ins_refused_total{reason="throttled"} 4.0' in metrics
        assert 'helpdesk_sign_ins_refused_total{reason="wrong_password"} 8.0' in metrics
        await _account(services, "root", "admin")
        assert (await sign_in(office, "root")).status_code == 303
        page = await office.get("/console/accounts")
        assert "198.51.100.9: 8 failed sign-ins" in page.text
        lifted = await office.post("/console/addresses/198.51.100.9/unlock", data={"csrf": csrf_of(page.text)})
        assert lifted.status_code == 303 and "198.51.100.9" not in (await office.get("/console/accounts")).text
        assert (await sign_in(attacker, "asha")).status_code == 303


def test_the_users_unlock_command_lifts_an_account_or_an_address(database_url: str, tmp_path: object) -> None:
    runner = CliRunner()
    env = {"HELPDESK_DATABASE_URL": database_url, "HELPDESK_DATA_DIR": str(tmp_path)}
    assert runner.invoke(cli, ["users", "create", "asha"], input=PASSWORD + "\n", env=env).exit_code == 0
    assert runner.invoke(cli, ["users", "unlock", "asha"], env=env).output.strip() == "'asha' was not locked"
    neither = runner.invoke(cli, ["users", "unlock"], env=env)
    assert neither.exit_code == 2
    address = runner.invoke(cli, ["users", "unlock", "--address", "198.51.100.9"], env=env)
    assert address.exit_code == 0, address.output
