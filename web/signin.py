"""Signing in and out of the console."""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.accounts import SqlAccounts
from api.throttle import Refusal, SignInThrottle
from web.context import Web, WebContext
from web.render import page
from web.session import SignedIn, end, start

log = logging.getLogger(__name__)
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
    address = request.client.host if request.client else "unknown"
    async with web.api.sessions() as s, s.begin():
        throttle = SignInThrottle(s, web.api.settings, web.api.clock())
        refusal = await throttle.refusal(name, address)  # before any hashing: a flood costs one read each
        who = None if refusal else await SqlAccounts(s).verify(name, password)
        if who is None and refusal is None:
            await throttle.failed(name, address)
        elif who is not None:
            await throttle.succeeded(name)
    if refusal is not None:
        web.sign_in_refusals.labels(refusal.reason).inc()
        return _refused(web, request, refusal, next, csrf, name)
    if who is None:
        web.sign_in_refusals.labels("wrong_password").inc()
        log.info("sign-in failed for %s from %s", name[:64], address)
        return page(web, request, "sign_in.html", status=401, next=_safe_next(next), csrf=csrf, failed=True,
                    name=name)
    response = RedirectResponse(_safe_next(next), status_code=303)
    await start(web, request, response, who)
    response.delete_cookie(LOGIN_COOKIE, path="/console")
    return response


@router.post("/sign-out")
async def sign_out(web: Web, request: Request, signed: SignedIn) -> Response:
    """End the session, on the server too: the old cookie signs nobody in again."""
    response = RedirectResponse("/console/sign-in", status_code=303)
    await end(web, request, response)
    return response


def _refused(web: WebContext, request: Request, refusal: Refusal, next: str, csrf: str, name: str) -> HTMLResponse:
    """429 with Retry-After, and the page says whether to wait or to ask an admin."""
    response = page(web, request, "sign_in.html", status=429, next=_safe_next(next), csrf=csrf, failed=False,
                    name=name, refusal=refusal)
    response.headers["Retry-After"] = str(refusal.retry_after_s)
    return response
