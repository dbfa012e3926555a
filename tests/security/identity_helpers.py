"""Helpers for the identity tests: a fixed, movable clock; two app instances on one database; sign-in."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from api.deps import ApiContext
from tests.clock import START as START
from tests.clock import FixedClock as FixedClock

PASSWORD = "long enough secret"  # noqa: S105 (test accounts)


def use_clock(app: FastAPI, clock: FixedClock) -> None:
    ctx: ApiContext = app.state.helpdesk
    ctx.clock = clock


def client_of(app: FastAPI, address: str = "203.0.113.7") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://helpdesk")


async def sign_in(client: httpx.AsyncClient, name: str, password: str = PASSWORD) -> httpx.Response:
    form = await client.get("/console/sign-in")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token
    return await client.post("/console/sign-in", data={"name": name, "password": password,
                                                       "csrf": token.group(1), "next": "/console/kb"})


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)
