"""API tokens and console accounts over their lifetime (admins only): list, revoke, rotate, disable, enable,
change role or password, lift a sign-in lockout. Every change holds from the next request in every process."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from api.account_admin import AccountAdmin, AccountInfo
from api.accounts import MIN_PASSWORD
from api.deps import Caller, Context, Session
from api.tokens import ROLES, SqlTokenStore, TokenInfo
from core.expiry import parse_expiry

router = APIRouter(prefix="/api", tags=["identity"])
TokenAdmin = Caller  # the permission ("tokens", "accounts_manage") is each route's rule in api/rules.py
AccountsAdmin = Caller
Name = Annotated[str, Path(min_length=1, max_length=64)]


class TokenPublic(BaseModel):
    name: str
    role: str
    team: str | None
    state: str = Field(description="active, expired or revoked")
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, info: TokenInfo, now: datetime) -> TokenPublic:
        return cls(name=info.name, role=info.role, team=info.team, state=info.state(now), created_at=info.created_at,
                   expires_at=info.expires_at, revoked_at=info.revoked_at)


class TokensPublic(BaseModel):
    items: list[TokenPublic]


class TokenRotate(BaseModel):
    expires: str | None = Field(default=None, max_length=40,
                                description="a new expiry: a span (30d, 12h, 90m) or a date (2027-03-31)")


class TokenRotated(BaseModel):
    name: str
    token: str = Field(description="the new token; shown only now (the old one no longer works)")


class AccountPublic(BaseModel):
    name: str
    role: str
    team: str | None
    disabled: bool
    locked_until: datetime | None = Field(description="set while sign-in is locked out after failed attempts")

    @classmethod
    def of(cls, info: AccountInfo) -> AccountPublic:
        return cls(name=info.name, role=info.role, team=info.team, disabled=info.disabled_at is not None,
                   locked_until=info.locked_until)


class AccountsPublic(BaseModel):
    items: list[AccountPublic]


class AccountRole(BaseModel):
    role: str = Field(max_length=32, description=f"one of {', '.join(ROLES)}")
    team: str | None = Field(default=None, max_length=64, description="for the tier role: the team code")


class AccountPassword(BaseModel):
    password: str = Field(min_length=MIN_PASSWORD, max_length=256)


class SessionsEnded(BaseModel):
    name: str
    sessions_ended: int


@router.get("/tokens")
async def list_tokens(ctx: Context, s: Session, who: TokenAdmin) -> TokensPublic:
    """Every API token's owner, role, state and dates (never the token)."""
    now = ctx.clock()
    return TokensPublic(items=[TokenPublic.of(t, now) for t in await SqlTokenStore(s).all()])


@router.post("/tokens/{name}/revoke")
async def revoke_token(name: Name, ctx: Context, s: Session, who: TokenAdmin) -> TokenPublic:
    """Revoke a token; it is refused from the next request on."""
    now = ctx.clock()
    return TokenPublic.of(await SqlTokenStore(s).revoke(name, now), now)


@router.post("/tokens/{name}/rotate")
async def rotate_token(name: Name, body: TokenRotate, ctx: Context, s: Session, who: TokenAdmin) -> TokenRotated:
    """Replace a token; the new one is in the answer, once."""
    until = parse_expiry(body.expires, ctx.clock()) if body.expires else None
    return TokenRotated(name=name, token=await SqlTokenStore(s).rotate(name, until))


@router.get("/accounts")
async def list_accounts(ctx: Context, s: Session, who: AccountsAdmin) -> AccountsPublic:
    """Every console account, disabled or locked out ones included."""
    return AccountsPublic(items=[AccountPublic.of(a) for a in await AccountAdmin(s, ctx.clock()).all()])


@router.post("/accounts/{name}/disable")
async def disable_account(name: Name, ctx: Context, s: Session, who: AccountsAdmin) -> SessionsEnded:
    """Disable an account; its console sessions end at once."""
    return SessionsEnded(name=name, sessions_ended=await AccountAdmin(s, ctx.clock()).disable(name))


@router.post("/accounts/{name}/enable", status_code=204)
async def enable_account(name: Name, ctx: Context, s: Session, who: AccountsAdmin) -> None:
    """Let a disabled account sign in again."""
    await AccountAdmin(s, ctx.clock()).enable(name)


@router.post("/accounts/{name}/role", status_code=204)
async def set_account_role(name: Name, body: AccountRole, ctx: Context, s: Session, who: AccountsAdmin) -> None:
    """Change an account's role (and team); it applies from its next request."""
    await AccountAdmin(s, ctx.clock()).set_role(name, body.role, body.team, [t.code for t in ctx.settings.teams])


@router.post("/accounts/{name}/password")
async def set_account_password(name: Name, body: AccountPassword, ctx: Context, s: Session,
                               who: AccountsAdmin) -> SessionsEnded:
    """Set a new password; every session of the account ends."""
    return SessionsEnded(name=name, sessions_ended=await AccountAdmin(s, ctx.clock()).set_password(name, body.password))


@router.post("/accounts/{name}/unlock", status_code=204)
async def unlock_account(name: Name, ctx: Context, s: Session, who: AccountsAdmin) -> None:
    """Lift a sign-in lockout and forget the account's failed attempts."""
    await AccountAdmin(s, ctx.clock()).unlock(name)
