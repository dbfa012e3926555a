"""Console sign-in state: a signed, HttpOnly cookie holding the account name and its CSRF token.

The role is read from the account on every request, so a changed role or a disabled account takes effect
at once; what each page needs is in the one rule table, api/rules.py, checked by api/access.py.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, Response
from itsdangerous import BadSignature

from api.tokens import Principal
from web.accounts import SqlAccounts
from web.context import WebContext

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


def start(web: WebContext, request: Request, response: Response, who: Principal) -> None:
    token = web.signer.dumps({"name": who.name, "csrf": secrets.token_urlsafe(24)})
    response.set_cookie(COOKIE, token, max_age=MAX_AGE_S, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")


def end(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


def _cookie(web: WebContext, request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = web.signer.loads(raw, max_age=MAX_AGE_S)
    except BadSignature:
        return None
    return data if isinstance(data, dict) else None


async def signed_in(web: WebContext, request: Request) -> Signed | None:
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


async def authenticate(request: Request) -> Principal:
    """How console rules (api/rules.py, via "console") find their caller: the signed-in account, and for a
    request that changes something, its CSRF token too. Registered with the access guard by web.app."""
    web: WebContext = request.app.state.web
    signed = await signed_in(web, request)
    if signed is None:
        raise SignInRequired(quote(str(request.url.path)))
    if request.method not in ("GET", "HEAD"):
        await check_csrf(request, signed)
    request.state.signed = signed
    return signed.who


async def signed(request: Request) -> Signed:
    """The signed-in account the access guard let through."""
    found = getattr(request.state, "signed", None)
    if not isinstance(found, Signed):
        raise SignInRequired(quote(str(request.url.path)))
    return found


SignedIn = Annotated[Signed, Depends(signed)]
