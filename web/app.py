"""Puts the browser pages on the FastAPI app: static files, the web chat, the console."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from itsdangerous import URLSafeTimedSerializer
from prometheus_client import CollectorRegistry, Counter

from api.access import AccessDenied
from api.deps import ApiContext
from api.errors import error_response
from core.i18n import Catalog
from tickets.attachments import AttachmentStore
from tickets.calendar import BusinessCalendar
from web import (
    accounts_page,
    canned_pages,
    chat,
    console,
    dashboard,
    export,
    kbforms,
    kbgaps,
    kbpages,
    kbreview,
    notices,
    problem_pages,
    queue_tools,
    signin,
)
from web.chat_store import ChatHistory
from web.context import HERE, WebChatEngine, WebContext, session_secret, templates
from web.render import page
from web.session import SignInRequired, authenticate

if TYPE_CHECKING:
    from kb.matcher import LexicalMatcher


def install(app: FastAPI, api: ApiContext, engine: WebChatEngine, matcher: LexicalMatcher, catalog: Catalog) -> None:
    settings = api.settings
    secret = session_secret(settings.web_session_secret, settings.data_dir)
    app.state.web = WebContext(
        api, engine, matcher, AttachmentStore(settings.attachments_dir, settings.attachments_max_bytes), catalog,
        templates(), URLSafeTimedSerializer(secret, salt="helpdesk-web"), ChatHistory(api.sessions),
        BusinessCalendar.from_settings(settings), _refusals(app.state.metrics_registry),
    )
    app.mount("/web/static", StaticFiles(directory=HERE / "static"), name="web-static")
    app.get("/docs", include_in_schema=False)(_api_docs)
    for module in (chat, signin, console, notices, queue_tools, problem_pages, kbpages, kbforms, kbgaps, kbreview,
                   dashboard, export, canned_pages, accounts_page):
        app.include_router(module.router)
    app.add_exception_handler(SignInRequired, _to_sign_in)
    app.add_exception_handler(AccessDenied, _forbidden)
    api.authenticators["console"] = authenticate


async def _api_docs() -> HTMLResponse:
    """Swagger UI for the API, from the pinned copy in web/static/swagger-ui (its VERSION says which)."""
    assets = "/web/static/swagger-ui"
    return get_swagger_ui_html(openapi_url="/openapi.json", title="helpdesk API",
                               swagger_js_url=f"{assets}/swagger-ui-bundle.js",
                               swagger_css_url=f"{assets}/swagger-ui.css",
                               swagger_favicon_url=f"{assets}/favicon-32x32.png")


def _refusals(registry: CollectorRegistry) -> Counter:
    return Counter("helpdesk_sign_ins_refused", "Console sign-ins refused, by reason (wrong_password, throttled, "
                   "locked)", ["reason"], registry=registry)


async def _to_sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    target = f"/console/sign-in?next={exc.next_url}"
    if request.headers.get("HX-Request"):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def _forbidden(request: Request, exc: Exception) -> Response:
    """A console page says so in a page; the API in its JSON error."""
    assert isinstance(exc, AccessDenied)
    if exc.via != "console" or exc.who is None:
        return error_response(403, "forbidden", str(exc))
    web: WebContext = request.app.state.web
    return page(web, request, "forbidden.html", status=403, who=exc.who, action=exc.action.replace("_", " "))
