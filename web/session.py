"""Console sign-in state: a signed, HttpOnly cookie holding the account name and its CSRF token.

The role is read from the account on every request, so a changed role or a disabled account takes effect
at once; the route's action is checked against the API's permission table.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request, Response
from itsdangerous import BadSignature

from api.permissions import allowed
from api.tokens import Principal
from web.accounts import SqlAccounts
from web.context import Web

COOKIE = "hd_console"
MAX_AGE_S = 12 * 3600  # one working day
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"


@dataclass(frozen=True)
class Signed:
    """The signed-in account and the CSRF token its forms must carry."""

    who: Principal
    csrf: str


class SignInRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class Forbidden(Exception):
    def __init__(self, who: Principal, action: str) -> None:
        self.who = who
        self.action = action


def start(web: Web, request: Request, response: Response, who: Principal) -> None:
    token = web.signer.dumps({"name": who.name, "csrf": secrets.token_urlsafe(24)})
    response.set_cookie(COOKIE, token, max_age=MAX_AGE_S, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")


def end(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


def _cookie(web: Web, request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = web.signer.loads(raw, max_age=MAX_AGE_S)
    except BadSignature:
        return None
    return data if isinstance(data, dict) else None


async def signed_in(web: Web, request: Request) -> Signed | None:
    data = _cookie(web, request)
    if data is None:
        return None
    async with web.api.sessions() as s:
        who = await SqlAccounts(s).current(str(data.get("name", "")))
    return None if who is None else Signed(who, str(data.get("csrf", "")))


async def check_csrf(request: Request, signed: Signed) -> None:
    """Every state-changing request carries the session's token, in a header (htmx) or a form field."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, signed.csrf):
        raise HTTPException(403, "the form's CSRF token is missing or stale: reload the page and try again")


def console(action: str) -> Callable[..., Coroutine[Any, Any, Signed]]:
    """A dependency: the signed-in account, if its role may do `action` (the API's permission table)."""

    async def check(web: Web, request: Request) -> Signed:
        signed = await signed_in(web, request)
        if signed is None:
            raise SignInRequired(quote(str(request.url.path)))
        if not allowed(signed.who, action):
            raise Forbidden(signed.who, action)
        if request.method not in ("GET", "HEAD"):
            await check_csrf(request, signed)
        return signed

    return check
