"""Console sign-in state: an HttpOnly cookie holding a random session id; the session row (api.server_sessions)
holds the account and the CSRF token its forms must carry.

The role is read from the account on every request, so a changed role or a disabled account takes effect
at once; the route's action is checked against the API's permission table.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request, Response

from api.permissions import allowed
from api.server_sessions import LIFETIME, begin_session, end_session, session_of
from api.tokens import Principal
from web.context import Web, WebContext

COOKIE = "hd_console"
MAX_AGE_S = int(LIFETIME.total_seconds())
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


async def start(web: WebContext, request: Request, response: Response, who: Principal) -> None:
    """A new server-side session for `who`, its id in the cookie."""
    async with web.api.sessions() as s, s.begin():
        cookie = await begin_session(s, who.name, web.api.clock())
    response.set_cookie(COOKIE, cookie, max_age=MAX_AGE_S, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")


async def end(web: WebContext, request: Request, response: Response) -> None:
    """End the session on the server (the cookie alone no longer signs anyone in) and drop the cookie."""
    cookie = request.cookies.get(COOKIE)
    if cookie:
        async with web.api.sessions() as s, s.begin():
            await end_session(s, cookie)
    response.delete_cookie(COOKIE, path="/")


async def signed_in(web: WebContext, request: Request) -> Signed | None:
    cookie = request.cookies.get(COOKIE)
    if not cookie or len(cookie) > 100:
        return None
    async with web.api.sessions() as s:
        found = await session_of(s, cookie, web.api.clock())
    return None if found is None else Signed(*found)


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
