"""The FastAPI application factory: everything it needs is passed in, nothing is built at import."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager

from fastapi import APIRouter, Depends, FastAPI

from api import errors
from api.access import authorize
from api.deps import ApiContext
from api.limits import BodySizeLimit
from api.metrics import install_metrics
from api.routes import dashboard, identity, operators, problems, reports, system, tickets, webhooks
from api.validation import clean_input

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_app(
    ctx: ApiContext, extra_routers: Sequence[APIRouter] = (), lifespan: Lifespan | None = None,
    body_limits: Mapping[str, int] | None = None,
) -> FastAPI:
    """The API app; channels that need HTTP (web chat, Telegram webhook) bring their own routers, and the
    caller may pass a lifespan that runs background work while the app serves, and request body limits of
    their own for upload paths (`body_limits`, path to bytes)."""
    app = FastAPI(
        title="helpdesk",
        summary="Operator and knowledge-base API of the MUKTASoft helpdesk",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # /docs is served from vendored assets (web.app), never a CDN; no ReDoc (CDN-only)
        redoc_url=None,
        dependencies=[Depends(clean_input), Depends(authorize)],  # every route, added now or later
    )
    app.state.helpdesk = ctx
    errors.install(app)
    app.include_router(system.router)
    app.include_router(tickets.router)
    app.include_router(operators.router)
    app.include_router(dashboard.router)
    app.include_router(reports.router)
    app.include_router(webhooks.router)
    app.include_router(problems.router)
    app.include_router(identity.router)
    for router in extra_routers:
        app.include_router(router)
    install_metrics(app, ctx.sessions, lambda: ctx.clock())
    app.add_middleware(BodySizeLimit, max_bytes=ctx.settings.max_request_bytes, per_path=body_limits)
    return app
