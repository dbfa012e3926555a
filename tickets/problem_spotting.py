"""The spotting job: open tickets of the last hours that describe the same thing, in the same module (and
ULB, when `settings.problem_by_ulb`), are proposed as one problem once a group reaches
`settings.problem_min_tickets` within `settings.problem_window_hours`.

Grouping is the knowledge base's gap clustering (`kb.gaps.cluster_texts`), passed in by `app` so that this
package does not depend on the knowledge base. Nothing is linked until an operator accepts a proposal.
Idempotent: a group is keyed by its founding tickets and stored once; a later run that finds a pending
proposal's group again (grown, say) adds the new tickets to it instead of proposing it twice (a pending
proposal's tickets stay in the running however old they get); tickets already linked to a problem or in a
dismissed proposal are left out. On PostgreSQL one run at a time holds an advisory lock; SQLite's writers
are serialised already.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import is_row_id, utcnow
from core.errors import InvalidInput, InvalidTransition, NotFound
from core.settings import Settings
from tickets.lifecycle import ACTIVE
from tickets.models import TicketRow
from tickets.problem_models import ProblemLinkRow, ProblemProposalRow
from tickets.problems import Problem, SqlProblems

log = logging.getLogger(__name__)

PROPOSAL_STATUSES = ("pending", "accepted", "dismissed")
EXAMPLES = 3
_LOCK_KEY = 7_000_712  # PostgreSQL advisory lock: one spotting run at a time across workers


class Group(Protocol):
    """Positions of alike texts (the first is the most typical) and the words they share."""

    @property
    def members(self) -> tuple[int, ...]: ...

    @property
    def keywords(self) -> tuple[str, ...]: ...


Cluster = Callable[[Sequence[str]], Sequence[Group]]


@dataclass(frozen=True)
class Proposal:
    id: int
    status: str
    module: str
    ulb: str | None
    keywords: tuple[str, ...]
    tickets: tuple[str, ...]  # numbers, the most typical first
    examples: tuple[str, ...]
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    problem_id: int | None


@dataclass(frozen=True)
class SpotResult:
    proposed: tuple[int, ...] = ()  # new proposals' ids
    grown: tuple[int, ...] = ()  # pending proposals that took new tickets


async def spot(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, cluster: Cluster, now: datetime | None = None
) -> SpotResult:
    """One run over the open, unlinked tickets of the window."""
    now = now or utcnow()
    since = now - timedelta(hours=settings.problem_window_hours)
    proposed: list[int] = []
    grown: list[int] = []
    async with sessions() as session, session.begin():
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        # pending proposals of any age (undecided, they may still grow); dismissed ones that can hold a ticket
        # of the window
        decided_or_not = (ProblemProposalRow.status == "pending") | (
            (ProblemProposalRow.status == "dismissed") & (ProblemProposalRow.created_at >= since))
        proposals = list(await session.scalars(select(ProblemProposalRow).where(decided_or_not)))
        dismissed = {i for p in proposals if p.status == "dismissed" for i in p.ticket_ids}
        pending = [p for p in proposals if p.status == "pending"]
        held = {i for p in pending for i in p.ticket_ids}
        for (module, ulb), rows in (await _candidates(session, since, held, settings.problem_by_ulb)).items():
            rows = [r for r in rows if r.id not in dismissed]
            if len(rows) < settings.problem_min_tickets:
                continue
            for group in cluster([r.description for r in rows]):
                members = [rows[i].id for i in group.members]
                if len(members) < settings.problem_min_tickets:
                    continue
                known = next((p for p in pending if set(p.ticket_ids) & set(members)), None)
                if known is None:
                    proposal = _proposal(module, ulb, group.keywords, members, now)
                    session.add(proposal)
                    await session.flush()
                    pending.append(proposal)
                    proposed.append(proposal.id)
                elif set(members) - set(known.ticket_ids):
                    known.ticket_ids = [*known.ticket_ids, *(m for m in members if m not in known.ticket_ids)]
                    grown.append(known.id)
    return SpotResult(tuple(proposed), tuple(grown))


async def run(sessions: async_sessionmaker[AsyncSession], settings: Settings, cluster: Cluster) -> None:
    """Spot every `settings.problem_spot_seconds` until cancelled; a failed run is logged and retried."""
    while True:
        try:
            result = await spot(sessions, settings, cluster)
            if result.proposed or result.grown:
                log.info("problem spotting: %d new proposals, %d grown", len(result.proposed), len(result.grown))
        except Exception:
            log.exception("problem spotting failed; retrying in %s s", settings.problem_spot_seconds)
        await asyncio.sleep(settings.problem_spot_seconds)


async def _candidates(
    session: AsyncSession, since: datetime, held: set[int], by_ulb: bool
) -> dict[tuple[str, str | None], list[TicketRow]]:
    """Open tickets linked to no problem, filed since `since` or `held` by a pending proposal (so that its
    group is found again however old), by module (and ULB), oldest first."""
    recent = TicketRow.created_at >= since
    query = (
        select(TicketRow).outerjoin(ProblemLinkRow, ProblemLinkRow.ticket_id == TicketRow.id)
        .where(TicketRow.status.in_(ACTIVE), recent | TicketRow.id.in_(held) if held else recent,
               ProblemLinkRow.id.is_(None))
        .order_by(TicketRow.id)
    )
    groups: dict[tuple[str, str | None], list[TicketRow]] = {}
    for row in await session.scalars(query):
        groups.setdefault((row.module, row.ulb if by_ulb else None), []).append(row)
    return groups


def _proposal(
    module: str, ulb: str | None, keywords: Sequence[str], members: list[int], now: datetime
) -> ProblemProposalRow:
    key = hashlib.sha256(",".join(map(str, sorted(members))).encode()).hexdigest()
    return ProblemProposalRow(group_key=key, status="pending", module=module, ulb=ulb, keywords=list(keywords),
                              ticket_ids=members, created_at=now)


class SqlProposals:
    """Reading and deciding proposals inside the caller's transaction."""

    def __init__(self, session: AsyncSession, problems: SqlProblems) -> None:
        self._session = session
        self._problems = problems

    async def find(self, status: str | None = "pending", limit: int = 100) -> list[Proposal]:
        if status is not None and status not in PROPOSAL_STATUSES:
            raise InvalidInput(f"status: must be one of {', '.join(PROPOSAL_STATUSES)}, not {status!r}")
        query = select(ProblemProposalRow).order_by(ProblemProposalRow.id.desc()).limit(limit)
        if status is not None:
            query = query.where(ProblemProposalRow.status == status)
        return [await self._view(row) for row in await self._session.scalars(query)]

    async def get(self, proposal_id: int) -> Proposal:
        return await self._view(await self._row(proposal_id))

    async def accept(self, proposal_id: int, actor: str, title: str | None = None, team: str | None = None,
                     workaround: str | None = None) -> Problem:
        """A problem founded on the proposal's tickets that are still open and unlinked."""
        row = await self._pending(proposal_id)
        tickets = await self._tickets(row.ticket_ids)
        linked = set(await self._session.scalars(
            select(ProblemLinkRow.ticket_id).where(ProblemLinkRow.ticket_id.in_(row.ticket_ids))))
        usable = [t for t in tickets if t.id not in linked and t.status in ACTIVE]
        if not usable:
            raise InvalidTransition(f"proposal {proposal_id}: none of its tickets is still open and unlinked")
        problem = await self._problems.create(
            actor, [t.number or "" for t in usable], title or usable[0].description[:200],
            description=usable[0].description, team=team, workaround=workaround, ulb=row.ulb,
        )
        self._decide(row, actor, "accepted")
        row.problem_id = problem.id
        return problem

    async def dismiss(self, proposal_id: int, actor: str) -> Proposal:
        """Not one problem: its tickets are not proposed together again."""
        row = await self._pending(proposal_id)
        self._decide(row, actor, "dismissed")
        return await self._view(row)

    async def _row(self, proposal_id: int, for_update: bool = False) -> ProblemProposalRow:
        if not is_row_id(proposal_id):
            raise NotFound(f"no proposal {proposal_id}")
        query = select(ProblemProposalRow).where(ProblemProposalRow.id == proposal_id)
        row = await self._session.scalar(query.with_for_update() if for_update else query)
        if row is None:
            raise NotFound(f"no proposal {proposal_id}")
        return row

    async def _pending(self, proposal_id: int) -> ProblemProposalRow:
        row = await self._row(proposal_id, for_update=True)
        if row.status != "pending":
            raise InvalidTransition(f"proposal {proposal_id} is already {row.status} by {row.decided_by}")
        return row

    @staticmethod
    def _decide(row: ProblemProposalRow, actor: str, status: str) -> None:
        row.status, row.decided_by, row.decided_at = status, actor, utcnow()

    async def _tickets(self, ids: Sequence[int]) -> list[TicketRow]:
        """The tickets in the order given (the most typical first)."""
        found = {t.id: t for t in await self._session.scalars(select(TicketRow).where(TicketRow.id.in_(list(ids))))}
        return [found[i] for i in ids if i in found]

    async def _view(self, row: ProblemProposalRow) -> Proposal:
        tickets = await self._tickets(row.ticket_ids)
        return Proposal(
            row.id, row.status, row.module, row.ulb, tuple(row.keywords or ()), tuple(t.number or "" for t in tickets),
            tuple(t.description for t in tickets[:EXAMPLES]), row.created_at, row.decided_by, row.decided_at,
            row.problem_id,
        )
