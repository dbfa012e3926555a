"""Signing in and out of the console."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web.accounts import SqlAccounts
from web.context import Web
from web.render import page
from web.session import SignedIn, end, start

router = APIRouter(prefix="/console", include_in_schema=False)
LOGIN_COOKIE = "hd_login"  # double-submit token for the sign-in form itself (there is no session yet)


def _safe_next(target: str) -> str:
    """Only a path on this site (no //host, no scheme), so sign-in never forwards elsewhere."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/console"


@router.get("/sign-in")
async def sign_in_page(web: Web, request: Request, next: str = "/console") -> HTMLResponse:
    """The sign-in form."""
    token = secrets.token_urlsafe(24)
    response = page(web, request, "sign_in.html", next=_safe_next(next), csrf=token, failed=False)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", path="/console",
                        secure=request.url.scheme == "https")
    return response


@router.post("/sign-in")
async def sign_in(
    web: Web, request: Request, name: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)], csrf: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/console",
) -> Response:
    """Check the password; on success start a session and go where the user was heading."""
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf):
        raise HTTPException(403, "the sign-in form is stale: reload the page and try again")
    async with web.api.sessions() as s, s.begin():
        who = await SqlAccounts(s).verify(name, password)
    if who is None:
        return page(web, request, "sign_in.html", status=401, next=_safe_next(next), csrf=csrf, failed=True,
                    name=name)
    response = RedirectResponse(_safe_next(next), status_code=303)
    start(web, request, response, who)
    response.delete_cookie(LOGIN_COOKIE, path="/console")
    return response


@router.post("/sign-out")
async def sign_out(signed: SignedIn) -> Response:
    """End the session."""
    response = RedirectResponse("/console/sign-in", status_code=303)
    end(response)
    return response
