"""Known problems: list, create from tickets, link and unlink, change status, broadcast; and the spotting
job's proposals to accept or dismiss."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response

from api.deps import Context, IfMatch, Session, require
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
from api.tokens import Principal
from tickets.problem_spotting import SqlProposals
from tickets.problems import Problem, SqlProblems

router = APIRouter(prefix="/api/problems", tags=["problems"])


async def problems(ctx: Context, s: Session) -> SqlProblems:
    return SqlProblems(s, ctx.settings, ctx.due)


Problems = Annotated[SqlProblems, Depends(problems)]
Viewer = Annotated[Principal, Depends(require("problems_view"))]
Manager = Annotated[Principal, Depends(require("problems_manage"))]


def _tagged(response: Response, problem: Problem) -> ProblemPublic:
    response.headers["ETag"] = f'"{problem.version}"'
    return ProblemPublic.of(problem)


@router.get("/proposals")
async def proposals(s: Session, store: Problems, who: Viewer,
                    status: Literal["pending", "accepted", "dismissed", "all"] = "pending") -> ProposalsPublic:
    """Groups of similar open tickets the spotting job found (pending ones unless `status` says otherwise)."""
    found = await SqlProposals(s, store).find(None if status == "all" else status)
    return ProposalsPublic(items=[ProposalPublic.of(p) for p in found])


@router.post("/proposals/{proposal_id}/accept", status_code=201)
async def accept(proposal_id: int, body: AcceptIn, s: Session, store: Problems, who: Manager,
                 response: Response) -> ProblemPublic:
    """Make the proposal a problem: its tickets still open are linked to it."""
    problem = await SqlProposals(s, store).accept(proposal_id, who.name, body.title, body.team, body.workaround)
    return _tagged(response, problem)


@router.post("/proposals/{proposal_id}/dismiss")
async def dismiss(proposal_id: int, s: Session, store: Problems, who: Manager) -> ProposalPublic:
    """Not one problem: these tickets are not proposed together again."""
    return ProposalPublic.of(await SqlProposals(s, store).dismiss(proposal_id, who.name))


@router.get("")
async def listing(store: Problems, who: Viewer, status: Status | None = None) -> ProblemsPublic:
    """Problems, newest first."""
    return ProblemsPublic(items=[ProblemPublic.of(p) for p in await store.find(status)])


@router.post("", status_code=201)
async def create(body: ProblemCreate, store: Problems, who: Manager, response: Response) -> ProblemPublic:
    """A problem founded on one ticket or several, which are linked to it."""
    problem = await store.create(who.name, body.tickets, body.title, body.description, body.team, body.workaround,
                                 body.jira_key, body.ulb)
    return _tagged(response, problem)


@router.get("/{problem_id}")
async def detail(problem_id: int, store: Problems, who: Viewer, response: Response) -> ProblemDetailPublic:
    """One problem with its linked tickets and audit trail."""
    problem = await store.get(problem_id)
    response.headers["ETag"] = f'"{problem.version}"'
    return ProblemDetailPublic.build(problem, await store.events(problem_id))


@router.patch("/{problem_id}")
async def update(problem_id: int, body: ProblemUpdate, store: Problems, version: IfMatch, response: Response,
                 who: Annotated[Principal, Depends(require("problems_update"))]) -> ProblemPublic:
    """Change the status, workaround, team, JIRA key or wording; "fixed" resolves the linked tickets and
    tells each of their users once."""
    changes = body.model_dump(exclude_unset=True, exclude={"reason"})
    problem = await store.update(problem_id, who.name, version, body.reason, **changes)
    return _tagged(response, problem)


@router.post("/{problem_id}/links")
async def link(problem_id: int, body: TicketsIn, store: Problems, who: Manager, response: Response) -> ProblemPublic:
    """Link tickets to the problem."""
    return _tagged(response, await store.link(problem_id, who.name, body.tickets))


@router.delete("/{problem_id}/links/{number}")
async def unlink(problem_id: int, number: str, store: Problems, who: Manager, response: Response) -> ProblemPublic:
    """Unlink a ticket from the problem."""
    return _tagged(response, await store.unlink(problem_id, who.name, [number]))


@router.post("/{problem_id}/broadcast")
async def broadcast(problem_id: int, body: BroadcastIn, store: Problems,
                    who: Annotated[Principal, Depends(require("problems_broadcast"))]) -> BroadcastPublic:
    """Send an announcement to every user linked to the problem, through the outbox."""
    return BroadcastPublic(users=await store.broadcast(problem_id, who.name, body.text))
