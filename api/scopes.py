"""Object scopes: whether a caller may see the object a path names, and which listed objects they may see.

A tier team sees the tickets escalated to it, the problems and proposals all of whose tickets it sees, and
the attachments of those tickets; every other role with the permission sees every ticket, problem and
proposal. An attachment is served only as part of a ticket (one no ticket carries, nobody may fetch), and
a notification only to the inbox it was sent to.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sqlalchemy import Select, Text, cast, select
from sqlalchemy.ext.asyncio import AsyncConnection

from api.permissions import inboxes
from api.tokens import Principal
from core.db import is_row_id
from core.settings import Settings
from tickets.models import NotificationRow, TicketRow
from tickets.problem_models import ProblemLinkRow, ProblemProposalRow, ProblemRow

# (connection, caller, the path's raw value, settings, lock): with `lock`, inside the transaction that acts on
# the object, the rows the answer rests on are locked until it ends (api.access.scope_in_transaction)
Check = Callable[[AsyncConnection, Principal, str, Settings, bool], Awaitable[bool]]
_REF = re.compile(r"^[0-9a-f]{64}(\.[a-z0-9]{1,8})?$")


def _id(raw: str) -> int | None:
    """The row id in a path, or None for one that names no row (the route answers 404 or 422 for it)."""
    return int(raw) if raw.isascii() and raw.isdigit() and is_row_id(int(raw)) else None


def scoped(who: Principal) -> bool:
    """Whether the caller sees only some tickets (a tier team) rather than all."""
    return who.role == "tier"


def _locked(query: Select[Any], lock: bool) -> Select[Any]:
    return query.with_for_update() if lock else query


async def _ticket(conn: AsyncConnection, who: Principal, number: str, settings: Settings, lock: bool) -> bool:
    if not scoped(who):
        return True
    query = select(TicketRow.escalated_to).where(TicketRow.number == number.upper())
    team = (await conn.execute(_locked(query, lock))).scalar_one_or_none()
    return team is not None and team == who.team


async def _all_escalated_to(conn: AsyncConnection, who: Principal, ticket_ids: Iterable[Any], lock: bool) -> bool:
    ids = [int(i) for i in ticket_ids]
    if not ids:
        return False
    query = select(TicketRow.escalated_to).where(TicketRow.id.in_(ids))
    teams = set((await conn.execute(_locked(query, lock))).scalars())
    return teams == {who.team} and who.team is not None


async def _problem(conn: AsyncConnection, who: Principal, raw: str, settings: Settings, lock: bool) -> bool:
    problem_id = _id(raw)
    if not scoped(who) or problem_id is None:
        return True  # a malformed id is the route's to refuse (422)
    if lock:  # the problem first, then its tickets: the order a change to the problem takes them in
        await conn.execute(_locked(select(ProblemRow.id).where(ProblemRow.id == problem_id), lock))
    links = (await conn.execute(select(ProblemLinkRow.ticket_id).where(ProblemLinkRow.problem_id == problem_id)))
    return await _all_escalated_to(conn, who, links.scalars(), lock)


async def _proposal(conn: AsyncConnection, who: Principal, raw: str, settings: Settings, lock: bool) -> bool:
    proposal_id = _id(raw)
    if not scoped(who) or proposal_id is None:
        return True
    query = _locked(select(ProblemProposalRow.ticket_ids).where(ProblemProposalRow.id == proposal_id), lock)
    return await _all_escalated_to(conn, who, (await conn.execute(query)).scalar_one_or_none() or [], lock)


async def _attachment(conn: AsyncConnection, who: Principal, ref: str, settings: Settings, lock: bool) -> bool:
    if not _REF.match(ref):
        return False
    query = select(TicketRow.escalated_to).where(cast(TicketRow.attachments, Text).contains(f'"{ref}"')).limit(50)
    teams = list((await conn.execute(query)).scalars())
    return bool(teams) and (not scoped(who) or who.team in teams)


async def _notification(conn: AsyncConnection, who: Principal, raw: str, settings: Settings, lock: bool) -> bool:
    notification_id = _id(raw)
    if notification_id is None:
        return True
    query = select(NotificationRow.recipient).where(NotificationRow.id == notification_id)
    recipient = (await conn.execute(query)).scalar_one_or_none()
    return recipient is None or recipient in inboxes(who, settings)  # a missing one: the route's 404


CHECKS: dict[str, Check] = {
    "ticket": _ticket, "problem": _problem, "proposal": _proposal, "attachment": _attachment,
    "notification": _notification,
}


async def hidden_problems(conn: AsyncConnection, who: Principal, problem_ids: Iterable[int]) -> set[int]:
    """Of these problems, those the caller may not see (some linked ticket is not theirs, or none is)."""
    ids = list(problem_ids)
    if not scoped(who) or not ids:
        return set()
    query = (select(ProblemRow.id, TicketRow.escalated_to)
             .outerjoin(ProblemLinkRow, ProblemLinkRow.problem_id == ProblemRow.id)
             .outerjoin(TicketRow, TicketRow.id == ProblemLinkRow.ticket_id)
             .where(ProblemRow.id.in_(ids)))
    seen: dict[int, set[str | None]] = {}
    for problem_id, team in (await conn.execute(query)).all():
        seen.setdefault(problem_id, set()).add(team)
    return {i for i in ids if seen.get(i, {None}) != {who.team}}


async def visible_numbers(conn: AsyncConnection, who: Principal, numbers: Iterable[str]) -> set[str]:
    """Of these ticket numbers, those the caller may see."""
    wanted = list(numbers)
    if not scoped(who):
        return set(wanted)
    query = select(TicketRow.number).where(TicketRow.number.in_(wanted), TicketRow.escalated_to == who.team)
    return {n for n in (await conn.execute(query)).scalars() if n}
