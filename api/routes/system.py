"""Health, readiness and the knowledge-base reload."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlalchemy import text

from api.deps import Caller, Context

router = APIRouter(tags=["system"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(ctx: Context) -> dict[str, str]:
    """The process can reach its database."""
    try:
        async with ctx.sessions() as s:
            await s.execute(text("SELECT 1"))
    except Exception as err:
        raise HTTPException(503, f"database unreachable: {type(err).__name__}") from err
    return {"status": "ready"}


@router.post("/api/kb/reload", tags=["kb"])
async def reload_kb(ctx: Context, who: Caller) -> dict[str, int]:
    """Reload the knowledge base from its files (refused, and the old one kept, if they are invalid)."""
    if ctx.reload_kb is None:
        raise HTTPException(503, "this server has no knowledge base to reload")
    return {"entries": await ctx.reload_kb()}
