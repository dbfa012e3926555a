"""Typed dependencies: the database session, the caller, their permission, and If-Match."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from api.access import Authenticate, current, scope_in_transaction
from api.tokens import Principal, principal_of
from core.chat_limits import ChatLimits
from core.db import utcnow
from core.ratelimit import RateLimiter
from core.settings import Settings
from tickets.desk import SqlTicketDesk
from tickets.store import DueFunction


@dataclass
class ApiContext:
    """What the routes need, built once by `app` and kept on `app.state.helpdesk`."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    due: DueFunction | None = None
    reload_kb: Callable[[], Coroutine[Any, Any, int]] | None = None
    read_sessions: async_sessionmaker[AsyncSession] | None = None  # read-only requests (SQLite: no write lock)
    clock: Callable[[], datetime] = utcnow  # token expiry, sessions, throttling, ticket changes (tests fix it)
    api_limiter: RateLimiter = field(init=False, repr=False)
    chat_limits: ChatLimits = field(init=False, repr=False)  # anonymous web chat and HTTP chat
    # how each kind of rule finds its caller (api.rules.Rule.via): "token" here, "console" from web.app
    authenticators: dict[str, Authenticate] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.api_limiter = RateLimiter(self.settings.api_requests_per_minute)
        self.chat_limits = ChatLimits(self.settings, self.sessions, lambda: self.clock())
        self.authenticators = {"token": bearer_principal}

    def readers(self) -> async_sessionmaker[AsyncSession]:
        """Sessions for work that only reads: the read-only pool where there is one (SQLite), else the main."""
        return self.read_sessions or self.sessions

    def one_read(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection for a single SELECT, needing no transaction: on a server in autocommit, which spares
        a BEGIN and a ROLLBACK, two round trips, on every API request's token lookup."""
        return self._single_reads.connect()

    @cached_property
    def _single_reads(self) -> AsyncEngine:
        # made at the first request: `read_sessions` is set after the context is built (app.wiring)
        engine = self.readers().kw["bind"]
        assert isinstance(engine, AsyncEngine)
        return engine if engine.dialect.name == "sqlite" else engine.execution_options(isolation_level="AUTOCOMMIT")


async def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.helpdesk
    return ctx


Context = Annotated[ApiContext, Depends(context)]


async def session(ctx: Context, request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the route returns, rolled back if it raises. The object the
    path names is checked against the caller's scope again inside it (api.access.scope_in_transaction)."""
    async with ctx.sessions() as s, s.begin():
        await scope_in_transaction(request, s)
        yield s


# scope="function": commit before the response goes out. FastAPI's default runs the code after `yield` once
# the response is sent, so a 200 could precede a commit that a crash or a failed COMMIT then lost (the soak:
# an operator's reply acknowledged, never stored, and its user waiting for it for ever).
Session = Annotated[AsyncSession, Depends(session, scope="function")]


async def read_session(ctx: Context) -> AsyncIterator[AsyncSession]:
    """A transaction for a request that only reads: on SQLite it waits for no writer (core.db.make_read_engine)."""
    async with ctx.readers()() as s, s.begin():
        yield s


ReadSession = Annotated[AsyncSession, Depends(read_session, scope="function")]
_bearer = HTTPBearer(auto_error=False, description="An API token from `helpdesk tokens create`")


async def bearer_principal(request: Request) -> Principal:
    """The caller of an API route, by its bearer token: looked up first, so that only tokens that name
    someone are counted by the rate limit (its memory grows with principals, not with what callers send)."""
    ctx: ApiContext = request.app.state.helpdesk
    credentials = await _bearer(request)
    if credentials is None:
        raise HTTPException(401, "an API token is required: Authorization: Bearer <token>",
                            headers={"WWW-Authenticate": "Bearer"})
    async with ctx.one_read() as connection:
        who = await principal_of(connection, credentials.credentials, ctx.clock())
    if who is None:
        raise HTTPException(401, "the API token is unknown, revoked or expired", headers={"WWW-Authenticate": "Bearer"})
    wait = ctx.api_limiter.retry_after(("token", who.name))
    if wait:
        raise HTTPException(429, f"too many requests with this token: at most {ctx.settings.api_requests_per_minute}"
                                 " a minute", headers={"Retry-After": str(max(1, round(wait)))})
    return who


async def principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The caller the access guard (api.access) let through; `credentials` only documents the scheme."""
    return current(request)


Caller = Annotated[Principal, Depends(principal)]


async def desk(ctx: Context, s: Session) -> SqlTicketDesk:
    return SqlTicketDesk(s, ctx.settings, ctx.due, clock=ctx.clock)


Desk = Annotated[SqlTicketDesk, Depends(desk)]


async def read_desk(ctx: Context, s: ReadSession) -> SqlTicketDesk:
    return SqlTicketDesk(s, ctx.settings, ctx.due, clock=ctx.clock)


ReadDesk = Annotated[SqlTicketDesk, Depends(read_desk)]


async def if_match(value: Annotated[str | None, Header(alias="If-Match")] = None) -> int:
    """The ticket version the caller last saw: `If-Match: "7"` (the ETag the API returned)."""
    if value is None:
        raise HTTPException(428, "If-Match is required: send the ticket's ETag (its version) from your last read")
    try:
        return int(value.strip().removeprefix("W/").strip('"'))
    except ValueError as err:
        raise HTTPException(400, f"If-Match: expected a ticket version like \"7\", not {value!r}") from err


IfMatch = Annotated[int, Depends(if_match)]


# A row id in a path: a positive 64-bit integer (a larger one is a 422, never a driver overflow)
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]
