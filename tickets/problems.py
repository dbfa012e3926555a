"""Known problems: operators link the tickets of one shared cause to a problem record, set its status, and
tell everyone linked. Every change is versioned and audited; messages for users go into the outbox in the
same transaction, one per user, spaced per channel (`settings.problem_notify_per_second`).

Marking a problem fixed resolves its active tickets together (each through the ticket desk, so audited and
announced to webhooks) and tells each of their users once, asking them to confirm it works: their next
message is taken as the answer to "is it fixed?" as for any resolved ticket.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Tx, is_row_id, utcnow
from core.errors import ConflictError, InvalidInput, InvalidTransition, NotFound, StaleVersion
from core.settings import Settings
from tickets.desk import SqlTicketDesk
from tickets.lifecycle import ACTIVE
from tickets.models import OutboxRow, TicketEventRow, TicketRow
from tickets.problem_models import ProblemEventRow, ProblemLinkRow, ProblemRow
from tickets.store import DueFunction, SqlTicketStore, Ticket, TicketDraft

STATUSES = ("investigating", "identified", "fixed")
OPEN = ("investigating", "identified")
AUDITED = ("title", "description", "status", "team", "workaround", "jira_key")
MATCH_TEXTS = 50  # newest linked descriptions a user's words are compared with

# asked on every turn that describes a problem, so built once (core.db.Tx)
_OPEN_PROBLEMS = (
    select(ProblemRow.id, ProblemRow.title, ProblemRow.description, ProblemRow.workaround, ProblemRow.ulb)
    .where(ProblemRow.status.in_(OPEN)).order_by(ProblemRow.id)
)
_LINKED_DESCRIPTIONS = (
    select(TicketRow.description)
    .join(ProblemLinkRow, ProblemLinkRow.ticket_id == TicketRow.id)
    .where(ProblemLinkRow.problem_id == bindparam("p_problem"))
    .order_by(TicketRow.id.desc()).limit(MATCH_TEXTS)
)


@dataclass(frozen=True)
class Problem:
    id: int
    title: str
    description: str
    status: str
    team: str
    module: str
    category: str
    priority: str
    ulb: str | None
    workaround: str | None
    jira_key: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    fixed_at: datetime | None
    version: int
    tickets: tuple[str, ...]  # linked ticket numbers, oldest first
    first_reported_at: datetime | None  # the oldest linked ticket's filing time


@dataclass(frozen=True)
class ProblemEvent:
    at: datetime
    actor: str
    action: str
    before: dict[str, Any]
    after: dict[str, Any]
    reason: str | None


@dataclass(frozen=True)
class KnownProblem:
    """An open problem as the conversation compares a user's words with it."""

    id: int
    title: str
    workaround: str | None
    ulb: str | None
    texts: tuple[str, ...]  # its title, description and linked tickets' descriptions


@dataclass(frozen=True)
class Joiner:
    """A user adding themselves to a known problem from the conversation."""

    channel: str
    user_id: str
    role: str | None
    ulb: str | None
    language: str
    description: str
    transcript: list[dict[str, Any]]


class SqlProblems:
    """Problem actions inside the caller's transaction."""

    def __init__(self, tx: Tx | AsyncSession, settings: Settings, due: DueFunction | None = None) -> None:
        self._sql = Tx.of(tx)
        self._session = self._sql.session
        self._settings = settings
        self._due = due
        self._desk = SqlTicketDesk(self._sql, settings, due)

    # -- reading ---------------------------------------------------------------------------------------
    async def row(self, problem_id: int, *, for_update: bool = False) -> ProblemRow:
        if not is_row_id(problem_id):
            raise NotFound(f"no problem {problem_id}")
        query = select(ProblemRow).where(ProblemRow.id == problem_id)
        row = await self._session.scalar(query.with_for_update() if for_update else query)
        if row is None:
            raise NotFound(f"no problem {problem_id}")
        return row

    async def get(self, problem_id: int) -> Problem:
        return await self._view(await self.row(problem_id))

    async def find(self, status: str | None = None, limit: int = 100) -> list[Problem]:
        if status is not None and status not in STATUSES:
            raise InvalidInput(f"status: must be one of {', '.join(STATUSES)}, not {status!r}")
        query = select(ProblemRow).order_by(ProblemRow.id.desc()).limit(limit)
        if status is not None:
            query = query.where(ProblemRow.status == status)
        return [await self._view(row) for row in await self._session.scalars(query)]

    async def events(self, problem_id: int) -> list[ProblemEvent]:
        query = select(ProblemEventRow).where(ProblemEventRow.problem_id == problem_id).order_by(ProblemEventRow.id)
        return [ProblemEvent(e.at, e.actor, e.action, dict(e.before), dict(e.after), e.reason)
                for e in await self._session.scalars(query)]

    async def linked_rows(self, problem_id: int) -> list[TicketRow]:
        query = (select(TicketRow).join(ProblemLinkRow, ProblemLinkRow.ticket_id == TicketRow.id)
                 .where(ProblemLinkRow.problem_id == problem_id).order_by(TicketRow.id))
        return list(await self._session.scalars(query))

    async def known(self, ulb: str | None) -> list[KnownProblem]:
        """Open problems a user of `ulb` may be reporting again (a problem without a ULB is everyone's)."""
        found = []
        for row in await self._sql.all(_OPEN_PROBLEMS, {}):
            if row["ulb"] is not None and row["ulb"] != ulb:
                continue
            descriptions = await self._sql.all(_LINKED_DESCRIPTIONS, {"p_problem": row["id"]})
            texts = [row["title"], row["description"], *(d["description"] for d in descriptions)]
            found.append(KnownProblem(row["id"], row["title"], row["workaround"], row["ulb"],
                                      tuple(t for t in texts if t)))
        return found

    # -- changes ---------------------------------------------------------------------------------------
    async def create(
        self, actor: str, numbers: Sequence[str], title: str, description: str = "", team: str | None = None,
        workaround: str | None = None, jira_key: str | None = None, ulb: str | None = None,
    ) -> Problem:
        """A problem founded on one or more tickets, which are linked to it; module, category and priority
        are the tickets' most common ones, the team theirs unless given."""
        title = _required("title", title)
        if not numbers:
            raise InvalidInput("tickets: name at least one ticket the problem is founded on")
        rows = [await self._desk.row(n) for n in dict.fromkeys(n.upper() for n in numbers)]
        team = team or _most_common(r.team for r in rows)
        self._check_team(team)
        now = utcnow()
        row = ProblemRow(
            title=title, description=description.strip(), status="investigating", team=team,
            module=_most_common(r.module for r in rows), category=_most_common(r.category for r in rows),
            priority=min(r.priority for r in rows), ulb=ulb, workaround=_optional(workaround),
            jira_key=_optional(jira_key), created_by=actor, created_at=now, updated_at=now, version=1,
        )
        self._session.add(row)
        await self._session.flush()
        self._audit(row, actor, "create", {}, {k: getattr(row, k) for k in AUDITED if getattr(row, k)})
        for ticket in rows:
            await self._link(row, ticket, actor)
        return await self._view(row)

    async def link(self, problem_id: int, actor: str, numbers: Sequence[str]) -> Problem:
        row = await self.row(problem_id, for_update=True)
        if row.status not in OPEN:
            raise InvalidTransition(f"problem {problem_id} is {row.status}: link tickets to an open problem")
        for number in dict.fromkeys(n.upper() for n in numbers):
            await self._link(row, await self._desk.row(number), actor)
        return await self._view(row)

    async def unlink(self, problem_id: int, actor: str, numbers: Sequence[str]) -> Problem:
        row = await self.row(problem_id, for_update=True)
        for number in dict.fromkeys(n.upper() for n in numbers):
            ticket = await self._desk.row(number)
            link = await self._session.scalar(select(ProblemLinkRow).where(
                ProblemLinkRow.ticket_id == ticket.id, ProblemLinkRow.problem_id == row.id))
            if link is None:
                raise NotFound(f"ticket {number} is not linked to problem {problem_id}")
            await self._session.delete(link)
            self._audit(row, actor, "unlink", {"ticket": ticket.number}, {})
            self._session.add(TicketEventRow(ticket_id=ticket.id, actor=actor, action="unlink_problem",
                                             before={"problem": row.id}, after={}, at=utcnow()))
        await self._session.flush()
        return await self._view(row)

    async def update(
        self, problem_id: int, actor: str, expected_version: int | None, reason: str | None = None,
        **changes: str | None,
    ) -> Problem:
        """Change the title, description, team, workaround, JIRA key or status as one audited version;
        status "fixed" resolves the linked tickets and tells their users."""
        row = await self.row(problem_id, for_update=True)
        if expected_version is not None and expected_version != row.version:
            raise StaleVersion(f"problem {row.id} is at version {row.version}, not {expected_version}; reload it")
        unknown = set(changes) - set(AUDITED)
        if unknown:
            raise InvalidInput(f"{sorted(unknown)[0]}: not a field of a problem ({', '.join(AUDITED)})")
        for name in ("title", "description", "status", "team"):
            if name in changes and changes[name] is None:
                raise InvalidInput(f"{name}: must not be null")
        status = changes.get("status")
        if status is not None and status not in STATUSES:
            raise InvalidInput(f"status: must be one of {', '.join(STATUSES)}, not {status!r}")
        if changes.get("team"):
            self._check_team(str(changes["team"]))
        if "title" in changes:
            changes["title"] = _required("title", changes["title"])
        before = {k: getattr(row, k) for k, v in changes.items() if getattr(row, k) != v}
        if not before:
            return await self._view(row)
        for key in before:
            setattr(row, key, changes[key])
        row.version += 1
        row.updated_at = utcnow()
        if "status" in before:
            row.fixed_at = row.updated_at if status == "fixed" else None
        self._audit(row, actor, "update", before, {k: changes[k] for k in before}, reason)
        if before.get("status") in OPEN and status == "fixed":
            await self._fixed(row, actor)
        return await self._view(row)

    async def broadcast(self, problem_id: int, actor: str, text: str) -> int:
        """An announcement to every user linked to the problem (once each); returns how many users."""
        text = _required("text", text)
        row = await self.row(problem_id)
        users = _by_user(await self.linked_rows(problem_id))
        self._notify(users, "problem_update", {"problem": row.id, "title": row.title, "text": text})
        self._audit(row, actor, "broadcast", {}, {"users": len(users)}, text)
        return len(users)

    async def join(self, problem_id: int, who: Joiner) -> Ticket:
        """File a ticket for a user who says they have this known problem (no triage: the problem's module,
        category, priority and team), linked to it."""
        row = await self.row(problem_id, for_update=True)
        if row.status not in OPEN:
            raise InvalidTransition(f"problem {problem_id} is {row.status}; it takes no more tickets")
        draft = TicketDraft(
            channel=who.channel, user_id=who.user_id, role=who.role, ulb=who.ulb, language=who.language,
            module=row.module, category=row.category, priority=row.priority,
            priority_reason=f"known problem #{row.id}: {row.title}", description=who.description,
            team=row.team, transcript=who.transcript,
        )
        store = SqlTicketStore(self._session, self._settings.ticket_prefix, self._due)
        ticket = await store.file(draft)
        await self._link(row, await self._desk.row(ticket.number), f"user:{who.user_id}")
        return ticket

    # -- helpers ---------------------------------------------------------------------------------------
    async def _link(self, row: ProblemRow, ticket: TicketRow, actor: str) -> None:
        existing = await self._session.scalar(select(ProblemLinkRow).where(ProblemLinkRow.ticket_id == ticket.id))
        if existing is not None:
            if existing.problem_id == row.id:
                return
            raise ConflictError(f"ticket {ticket.number} is already linked to problem {existing.problem_id}")
        self._session.add(ProblemLinkRow(problem_id=row.id, ticket_id=ticket.id, linked_by=actor, linked_at=utcnow()))
        self._audit(row, actor, "link", {}, {"ticket": ticket.number})
        self._session.add(TicketEventRow(ticket_id=ticket.id, actor=actor, action="link_problem", before={},
                                         after={"problem": row.id}, at=utcnow()))
        await self._session.flush()

    async def _fixed(self, row: ProblemRow, actor: str) -> None:
        tickets = [t for t in await self.linked_rows(row.id) if t.status in ACTIVE]
        for ticket in tickets:
            await self._desk.change(ticket.number or "", actor, "resolve", None, f"known problem #{row.id} fixed",
                                    resolved_at=row.fixed_at)
        self._notify(_by_user(tickets), "problem_fixed", {"problem": row.id, "title": row.title})

    def _notify(self, users: dict[tuple[str, str], list[TicketRow]], kind: str, payload: dict[str, Any]) -> None:
        """One outbox item per user, spaced so that no channel gets more than its rate."""
        now, sent = utcnow(), Counter[str]()
        for (channel, user_id), tickets in users.items():
            rate = self._settings.problem_notify_per_second.get(channel)
            due = now + timedelta(seconds=sent[channel] / rate) if rate else now
            sent[channel] += 1
            numbers = [t.number for t in tickets]
            self._session.add(OutboxRow(
                channel=channel, user_id=user_id, ticket_id=tickets[0].id, kind=kind, attempts=0,
                payload={**payload, "number": numbers[0], "numbers": numbers}, created_at=now, next_attempt_at=due,
            ))

    def _audit(self, row: ProblemRow, actor: str, action: str, before: dict[str, Any], after: dict[str, Any],
               reason: str | None = None) -> None:
        self._session.add(ProblemEventRow(problem_id=row.id, actor=actor, action=action, before=before,
                                          after=after, reason=reason, at=utcnow()))

    def _check_team(self, team: str) -> None:
        teams = [t.code for t in self._settings.teams]
        if team not in teams:
            raise InvalidInput(f"team: must be one of {', '.join(teams)}, not {team!r}")

    async def _view(self, row: ProblemRow) -> Problem:
        query = (select(TicketRow.number, TicketRow.created_at)
                 .join(ProblemLinkRow, ProblemLinkRow.ticket_id == TicketRow.id)
                 .where(ProblemLinkRow.problem_id == row.id).order_by(TicketRow.id))
        linked = (await self._session.execute(query)).all()
        first = min((at for _, at in linked), default=None)
        return Problem(
            row.id, row.title, row.description, row.status, row.team, row.module, row.category, row.priority,
            row.ulb, row.workaround, row.jira_key, row.created_by, row.created_at, row.updated_at, row.fixed_at,
            row.version, tuple(n for n, _ in linked if n), first,
        )


def _by_user(tickets: Sequence[TicketRow]) -> dict[tuple[str, str], list[TicketRow]]:
    users: dict[tuple[str, str], list[TicketRow]] = {}
    for ticket in tickets:
        users.setdefault((ticket.channel, ticket.user_id), []).append(ticket)
    return users


def _most_common(values: Any) -> str:
    return str(Counter(values).most_common(1)[0][0])


def _required(name: str, value: str | None) -> str:
    if value is None or not value.strip():
        raise InvalidInput(f"{name}: must not be empty")
    return value.strip()


def _optional(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None
