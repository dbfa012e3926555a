"""The one access check: run before every route, it reads the route's rule (api/rules.py), finds out who is
calling the way the rule says (a bearer token, a console session), and lets the call through only if their
role holds the permission, the object the path names is theirs to see, and a partial update sets only the
fields their role may set.

What each refusal looks like: a role without the permission gets 403 (`forbidden`); an object outside the
caller's scope gets 404 (`not_found`), exactly as if it did not exist; a route with no rule is refused
for everyone with 403, saying where to declare one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.permissions import allowed
from api.rules import Rule, rule_for
from api.scopes import CHECKS
from api.tokens import Principal
from core.errors import NotFound, PermissionDenied

log = logging.getLogger(__name__)

# How a rule's `via` finds the caller: api.deps registers "token", web.app registers "console".
Authenticate = Callable[[Request], Awaitable[Principal]]


class AccessDenied(PermissionDenied):
    """The caller's role may not do this (an API 403, or the console's "not for your role" page)."""

    def __init__(self, message: str, who: Principal | None = None, action: str = "", via: str = "token") -> None:
        super().__init__(message)
        self.who, self.action, self.via = who, action, via


def _route_path(request: Request) -> str:
    return str(getattr(request.scope.get("route"), "path", request.url.path))


async def authorize(request: Request) -> None:
    """The app-wide dependency: the caller is known and allowed, or the request ends here."""
    path = _route_path(request)
    rule = rule_for(request.method, path)
    if rule is None:
        log.error("no access rule for %s %s: refused", request.method, path)
        raise AccessDenied(f"no access rule is declared for {request.method} {path}: add one to api/rules.py")
    if rule.via == "public":
        return
    ctx = request.app.state.helpdesk
    who = await ctx.authenticators[rule.via](request)
    request.state.principal = who
    await _check(request, rule, who)


async def _check(request: Request, rule: Rule, who: Principal) -> None:
    assert rule.permission is not None
    permission = rule.permission
    if rule.own is not None and request.path_params.get(rule.own.param) == who.name:
        permission = rule.own.permission
    if not allowed(who, permission):
        raise AccessDenied(f"the {who.role} role may not {permission.replace('_', ' ')}", who, permission, rule.via)
    if rule.scope is not None:
        raw = str(request.path_params.get(rule.scope.param, ""))
        ctx = request.app.state.helpdesk
        async with ctx.one_read() as connection:
            visible = await CHECKS[rule.scope.kind](connection, who, raw, ctx.settings, False)
        if not visible:
            raise NotFound(f"no {rule.scope.kind} {raw}")
    if who.role in rule.fields:
        await _check_fields(request, rule.fields[who.role], who)


async def _check_fields(request: Request, permitted: frozenset[str], who: Principal) -> None:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        return  # not JSON: the route's own validation refuses it
    extra = sorted(set(body) - permitted) if isinstance(body, dict) else []
    if extra:
        raise AccessDenied(f"the {who.role} role may set only {', '.join(sorted(permitted))} here, not "
                           f"{', '.join(extra)}", who, "update " + ", ".join(extra))


async def scope_in_transaction(request: Request, session: AsyncSession) -> None:
    """The object scope checked again inside the transaction that acts on the object, its rows locked until
    that transaction ends (PostgreSQL: FOR UPDATE; SQLite: a writer's BEGIN IMMEDIATE holds the database), so
    a ticket re-escalated after the guard's check and before the change cannot be changed by the team that
    no longer has it. The guard's own check, before any body is read, stays the early answer."""
    who = getattr(request.state, "principal", None)
    rule = rule_for(request.method, _route_path(request))
    if request.method in ("GET", "HEAD") or rule is None or rule.scope is None or not isinstance(who, Principal):
        return  # a read changes nothing: the guard's check is the answer
    raw = str(request.path_params.get(rule.scope.param, ""))
    settings = request.app.state.helpdesk.settings
    if not await CHECKS[rule.scope.kind](await session.connection(), who, raw, settings, True):
        raise NotFound(f"no {rule.scope.kind} {raw}")


def current(request: Request) -> Principal:
    """Who the guard let through on this request (for routes, through api.deps.Caller)."""
    who = getattr(request.state, "principal", None)
    if not isinstance(who, Principal):
        raise AccessDenied(f"{request.method} {_route_path(request)} is public: it has no caller")
    return who

