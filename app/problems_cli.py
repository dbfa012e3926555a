"""`helpdesk problems ...`: the spotting job's proposals from the terminal (spot once, list, accept,
dismiss), and the grouping the job uses, built from settings and the knowledge base's synonyms."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer

from app.clustering import problem_cluster
from app.wiring import open_database
from core.errors import HelpdeskError
from core.settings import Settings
from kb.normalize import Synonyms
from tickets.problem_spotting import SqlProposals, spot
from tickets.problems import SqlProblems

problems_app = typer.Typer(help="Known problems: the spotting job's proposals.", no_args_is_help=True)
ACTOR = "console"


def _synonyms(settings: Settings) -> Synonyms:
    from kb.loader import load_knowledge_base

    return load_knowledge_base(settings.kb_dir).synonyms


async def _with_proposals(settings: Settings, act: str, proposal_id: int | None) -> Any:
    db, sessions = open_database(settings)
    try:
        if act == "spot":
            result = await spot(sessions, settings, problem_cluster(settings, _synonyms(settings)))
            return {"proposed": list(result.proposed), "grown": list(result.grown)}
        async with sessions() as session, session.begin():
            proposals = SqlProposals(session, SqlProblems(session, settings))
            if act == "accept" and proposal_id is not None:
                problem = await proposals.accept(proposal_id, ACTOR)
                return {"problem": problem.id, "title": problem.title, "tickets": list(problem.tickets)}
            if act == "dismiss" and proposal_id is not None:
                return {"dismissed": (await proposals.dismiss(proposal_id, ACTOR)).id}
            return [{"id": p.id, "module": p.module, "ulb": p.ulb, "keywords": list(p.keywords),
                     "tickets": list(p.tickets), "examples": list(p.examples)} for p in await proposals.find()]
    finally:
        await db.dispose()


def _run(settings: Settings, act: str, proposal_id: int | None = None) -> None:
    try:
        result = asyncio.run(_with_proposals(settings, act, proposal_id))
    except HelpdeskError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(1) from err
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))


@problems_app.command("spot")
def spot_once(ctx: typer.Context) -> None:
    """Run the spotting job once (`helpdesk serve` runs it every HELPDESK_PROBLEM_SPOT_SECONDS)."""
    _run(ctx.obj, "spot")


@problems_app.command("proposals")
def proposals(ctx: typer.Context) -> None:
    """The pending proposals: groups of similar open tickets, newest first."""
    _run(ctx.obj, "list")


@problems_app.command("accept")
def accept(ctx: typer.Context, proposal: Annotated[int, typer.Argument(help="The proposal's id.")]) -> None:
    """Make a proposal a problem, linking its tickets that are still open."""
    _run(ctx.obj, "accept", proposal)


@problems_app.command("dismiss")
def dismiss(ctx: typer.Context, proposal: Annotated[int, typer.Argument(help="The proposal's id.")]) -> None:
    """Dismiss a proposal; its tickets are not proposed together again."""
    _run(ctx.obj, "dismiss", proposal)
