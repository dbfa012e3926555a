"""Known problems: list, create from tickets, link and unlink, change status, broadcast; and the spotting
job's proposals to accept or dismiss."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response

from api.deps import Caller, Context, IfMatch, RowId, Session
from api.privacy import for_viewer
from api.problem_schemas import (
    AcceptIn,
    BroadcastIn,
    BroadcastPublic,
    ProblemCreate,
    ProblemDetailPublic,
    ProblemPublic,
    ProblemsPublic,
    ProblemUpdate,
    ProposalPublic,
    ProposalsPublic,
    Status,
    TicketsIn,
)
from api.scopes import hidden_problems, visible_numbers
from api.tokens import Principal
from tickets.problem_spotting import SqlProposals
from tickets.problems import Problem, SqlProblems

router = APIRouter(prefix="/api/problems", tags=["problems"])


async def problems(ctx: Context, s: Session) -> SqlProblems:
    return SqlProblems(s, ctx.settings, ctx.due)


Problems = Annotated[SqlProblems, Depends(problems)]


def _tagged(response: Response, problem: Problem, who: Principal) -> ProblemPublic:
    response.headers["ETag"] = f'"{problem.version}"'
    return for_viewer(who, ProblemPublic.of(problem))


@router.get("/proposals")
async def proposals(s: Session, ctx: Context, store: Problems, who: Caller,
                    status: Literal["pending", "accepted", "dismissed", "all"] = "pending") -> ProposalsPublic:
    """Groups of similar open tickets the spotting job found (pending ones unless `status` says otherwise)."""
    found = await SqlProposals(s, store).find(None if status == "all" else status)
    async with ctx.one_read() as connection:
        mine = await visible_numbers(connection, who, {n for p in found for n in p.tickets})
    return for_viewer(who, ProposalsPublic(items=[ProposalPublic.of(p) for p in found if set(p.tickets) <= mine]))


@router.post("/proposals/{proposal_id}/accept", status_code=201)
async def accept(proposal_id: RowId, body: AcceptIn, s: Session, store: Problems, who: Caller,
                 response: Response) -> ProblemPublic:
    """Make the proposal a problem: its tickets still open are linked to it."""
    problem = await SqlProposals(s, store).accept(proposal_id, who.name, body.title, body.team, body.workaround)
    return _tagged(response, problem, who)


@router.post("/proposals/{proposal_id}/dismiss")
async def dismiss(proposal_id: RowId, s: Session, store: Problems, who: Caller) -> ProposalPublic:
    """Not one problem: these tickets are not proposed together again."""
    return for_viewer(who, ProposalPublic.of(await SqlProposals(s, store).dismiss(proposal_id, who.name)))


@router.get("")
async def listing(store: Problems, ctx: Context, who: Caller, status: Status | None = None) -> ProblemsPublic:
    """Problems, newest first (for a tier team, those whose tickets are all escalated to it)."""
    found = await store.find(status)
    async with ctx.one_read() as connection:
        hidden = await hidden_problems(connection, who, [p.id for p in found])
    return for_viewer(who, ProblemsPublic(items=[ProblemPublic.of(p) for p in found if p.id not in hidden]))


@router.post("", status_code=201)
async def create(body: ProblemCreate, store: Problems, who: Caller, response: Response) -> ProblemPublic:
    """A problem founded on one ticket or several, which are linked to it."""
    problem = await store.create(who.name, body.tickets, body.title, body.description, body.team, body.workaround,
                                 body.jira_key, body.ulb)
    return _tagged(response, problem, who)


@router.get("/{problem_id}")
async def detail(problem_id: RowId, store: Problems, who: Caller, response: Response) -> ProblemDetailPublic:
    """One problem with its linked tickets and audit trail."""
    problem = await store.get(problem_id)
    response.headers["ETag"] = f'"{problem.version}"'
    return for_viewer(who, ProblemDetailPublic.build(problem, await store.events(problem_id)))


@router.patch("/{problem_id}")
async def update(problem_id: RowId, body: ProblemUpdate, store: Problems, version: IfMatch, response: Response,
                 who: Caller) -> ProblemPublic:
    """Change the status, workaround, team, JIRA key or wording; "fixed" resolves the linked tickets and
    tells each of their users once."""
    changes = body.model_dump(exclude_unset=True, exclude={"reason"})
    problem = await store.update(problem_id, who.name, version, body.reason, **changes)
    return _tagged(response, problem, who)


@router.post("/{problem_id}/links")
async def link(problem_id: RowId, body: TicketsIn, store: Problems, who: Caller, response: Response) -> ProblemPublic:
    """Link tickets to the problem."""
    return _tagged(response, await store.link(problem_id, who.name, body.tickets), who)


@router.delete("/{problem_id}/links/{number}")
async def unlink(problem_id: RowId, number: str, store: Problems, who: Caller, response: Response) -> ProblemPublic:
    """Unlink a ticket from the problem."""
    return _tagged(response, await store.unlink(problem_id, who.name, [number]), who)


@router.post("/{problem_id}/broadcast")
async def broadcast(problem_id: RowId, body: BroadcastIn, store: Problems,
                    who: Caller) -> BroadcastPublic:
    """Send an announcement to every user linked to the problem, through the outbox."""
    return BroadcastPublic(users=await store.broadcast(problem_id, who.name, body.text))
