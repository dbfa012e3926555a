"""The admins' accounts page: console accounts and API tokens, with disable/enable/unlock/role/revoke forms."""

# No `from __future__ import annotations`: FastAPI must see the annotations of routes as objects.
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.account_admin import AccountAdmin
from api.throttle import address_key, lockouts, unlock
from api.tokens import ROLES, SqlTokenStore
from core.errors import HelpdeskError
from web.context import Web, WebContext
from web.render import page
from web.session import Signed, SignedIn

router = APIRouter(prefix="/console", include_in_schema=False)
Admin = SignedIn  # an account whose role holds accounts_manage: the page rules say so (api/rules.py)


async def _page(web: WebContext, request: Request, signed: Signed, *, status: int = 200,
                problem: str | None = None, done: str | None = None) -> HTMLResponse:
    now = web.api.clock()
    async with web.api.readers()() as s:
        accounts = await AccountAdmin(s, now).all()
        tokens = await SqlTokenStore(s).all()
        addresses = [lock for lock in await lockouts(s, now) if lock.key.startswith("address:")]
    return page(web, request, "accounts.html", status=status, signed=signed, accounts=accounts, addresses=addresses,
                tokens=[(t, t.state(now)) for t in tokens], roles=ROLES, teams=web.api.settings.teams,
                problem=problem, done=done)


@router.get("/accounts")
async def accounts(web: Web, request: Request, signed: Admin) -> HTMLResponse:
    """Console accounts and API tokens, for admins."""
    return await _page(web, request, signed)


AccountAct = Callable[[AccountAdmin, str, dict[str, str], WebContext], Awaitable[Any]]
ACCOUNT_ACTIONS: dict[str, AccountAct] = {
    "disable": lambda a, n, f, w: a.disable(n),
    "enable": lambda a, n, f, w: a.enable(n),
    "unlock": lambda a, n, f, w: a.unlock(n),
    "role": lambda a, n, f, w: a.set_role(n, f["role"], f["team"] or None, [t.code for t in w.api.settings.teams]),
}


def _account_route(action: str, act: AccountAct) -> None:
    async def run(web: Web, request: Request, name: str, signed: Admin,
                  role: Annotated[str, Form(max_length=32)] = "",
                  team: Annotated[str, Form(max_length=64)] = "") -> Response:
        try:
            async with web.api.sessions() as s, s.begin():
                await act(AccountAdmin(s, web.api.clock()), name, {"role": role, "team": team}, web)
        except HelpdeskError as err:
            return await _page(web, request, signed, status=409, problem=f"{action} {name}: {err}")
        return RedirectResponse("/console/accounts", status_code=303)

    run.__name__ = f"account_{action}"
    router.post(f"/accounts/{{name}}/{action}")(run)


for _name, _act in ACCOUNT_ACTIONS.items():
    _account_route(_name, _act)


@router.post("/tokens/{name}/revoke")
async def revoke_token(web: Web, request: Request, name: str,
                       signed: SignedIn) -> Response:
    """Revoke an API token; it is refused from its next request."""
    try:
        async with web.api.sessions() as s, s.begin():
            await SqlTokenStore(s).revoke(name, web.api.clock())
    except HelpdeskError as err:
        return await _page(web, request, signed, status=409, problem=f"revoke {name}: {err}")
    return RedirectResponse("/console/accounts", status_code=303)


@router.post("/addresses/{address}/unlock")
async def unlock_address(web: Web, address: str, signed: Admin) -> Response:
    """Lift a client address's sign-in lockout."""
    async with web.api.sessions() as s, s.begin():
        await unlock(s, address_key(address))
    return RedirectResponse("/console/accounts", status_code=303)
