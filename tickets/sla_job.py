"""The SLA sweep: read every active ticket's clock, record changes, warn people and escalate breaches.

The clock is the first-response target until the ticket has a first response, then the resolution target,
both counted from filing on the business calendar with the ticket's waiting-on-user pauses left out. A
ticket waiting on the user is paused and not swept. The sweep acts only when the clock's status differs
from the ticket's `sla_status`:
- at risk (the at-risk fraction of the target used): marked, and the holder is notified;
- breached: marked, escalated ONE level, and the holder and the new level's team are notified;
- on time again (a first response starts the resolution clock, or a priority change moved the due time):
  marked, nobody notified.
A status recorded before the first response belongs to the response clock, so the resolution clock's own
at-risk or breach counts as a change even when the word is the same.
The holder is the assignee, or when nobody is assigned, the shared inbox of the team at the ticket's level.

Escalation levels: 0 is L1 (the helpdesk, inbox `team:<settings.l1_team>`), 1 is the tier team the
ticket's category routes to (`settings.routes`), 2 is `settings.escalation_final_team` (the programme's
administration, HUDD PMU, by default; None makes level 1 the last). A ticket an operator already escalated
by hand counts as level 1 (or 2 if it sits with the final team). A breach at the last level is marked and
notified but escalates no further.

Every change goes through SqlTicketDesk, so it is versioned, audited (actor "sla-job") and raises
`ticket.updated`. Workers take tickets with FOR UPDATE SKIP LOCKED and act only on a status change, so
any number of them can sweep at once and a ticket is escalated and notified once.

A pass given a SweepMemo (as `run` does) reads only the active tickets' ids and versions, and loads and
clocks only those it has not seen at their current version or whose status may have changed since: a
clock's status cannot change before its at-risk point or due time, and any change to a ticket (a reply, a
priority, a pause) bumps its version. A pass then costs one light query plus work in proportion to the
tickets whose status can have changed; the first pass of a process reads everything.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import scan, utcnow
from core.errors import ConfigError
from core.settings import Settings
from tickets.desk import SqlTicketDesk, parse_pauses
from tickets.models import TicketEventRow, TicketRow
from tickets.notifications import SqlNotifications, team_inbox
from tickets.routing import route
from tickets.sla import Kind, SlaClock, SlaPolicy, SlaReading

log = logging.getLogger(__name__)

ACTOR = "sla-job"
SWEPT = ("new", "open", "reopened", "escalated")  # waiting_on_user is paused


@dataclass(frozen=True)
class SweepResult:
    """What one sweep did: ticket numbers per outcome."""

    checked: int = 0
    at_risk: tuple[str, ...] = ()
    breached: tuple[str, ...] = ()
    escalated: tuple[str, ...] = ()
    on_time_again: tuple[str, ...] = ()

    @property
    def changed(self) -> int:
        return len(self.at_risk) + len(self.breached) + len(self.on_time_again)


@dataclass
class _Tally:
    checked: int = 0
    outcomes: dict[str, list[str]] = field(default_factory=dict)

    def add(self, outcome: str, number: str) -> None:
        self.outcomes.setdefault(outcome, []).append(number)

    def result(self) -> SweepResult:
        got = {k: tuple(v) for k, v in self.outcomes.items()}
        return SweepResult(self.checked, got.get("at_risk", ()), got.get("breached", ()),
                           got.get("escalated", ()), got.get("on_time", ()))


@dataclass
class SweepMemo:
    """One process's memory between passes: ticket id -> (version, checked at, earliest status change).

    Only an optimisation: a ticket missing from it, at another version, or past its moment is swept as
    without it. Keep one per database (ids mean different tickets in different databases).
    """

    seen: dict[int, tuple[int, datetime, datetime]] = field(default_factory=dict)

    def due(self, active: Sequence[tuple[int, int]], now: datetime) -> list[int]:
        """The ids among `active` (id, version) to sweep at `now`; forgets tickets no longer active."""
        self.seen = {i: self.seen[i] for i, _ in active if i in self.seen}
        due = []
        for ticket_id, version in active:
            known = self.seen.get(ticket_id)
            if known is None or known[0] != version or not known[1] <= now < known[2]:
                due.append(ticket_id)
        return due

    def swept(self, row: TicketRow, reading: SlaReading, policy: SlaPolicy, now: datetime) -> None:
        """Remember that `row` is swept at `now` to `reading`'s status, and when that can change next."""
        if reading.status == "at_risk":
            until = reading.due
        elif reading.status == "on_time":
            # Business time never runs faster than wall time, so the at-risk point is at least this far off.
            to_risk = reading.target * policy.at_risk_fraction - reading.elapsed
            until = now + max(min(to_risk, reading.due - now), timedelta(0))
        else:  # breached stays breached until the ticket itself changes
            until = datetime.max.replace(tzinfo=now.tzinfo)
        self.seen[row.id] = (row.version, now, until)


def escalation_chain(settings: Settings, category: str) -> list[str | None]:
    """Who holds a ticket at each level: None for L1, the routed tier team, then the final team if any."""
    chain: list[str | None] = [None, route(category, settings)]
    if settings.escalation_final_team:
        chain.append(settings.escalation_final_team)
    return chain


def current_level(row: TicketRow, chain: Sequence[str | None]) -> int:
    """The ticket's level: its recorded one, or higher if an operator escalated it by hand."""
    held = chain.index(row.escalated_to) if row.escalated_to in chain else 1
    return min(max(row.escalation_level, held), len(chain) - 1)


def clock_reading(row: TicketRow, policy: SlaPolicy, now: datetime) -> SlaReading:
    """The ticket's running clock at `now`: response until first responded, then resolution."""
    kind: Kind = "response" if row.first_response_at is None else "resolution"
    return SlaClock(policy, row.priority, row.created_at, kind, parse_pauses(row.pauses or [])).at(now)


async def sweep(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, policy: SlaPolicy,
    now: datetime | None = None, batch: int = 200, memo: SweepMemo | None = None,
) -> SweepResult:
    """One pass over the active tickets, `batch` per transaction; safe to run in several workers at once.

    With `memo`, only the tickets it cannot vouch for are loaded (see the module's docstring).
    """
    check_config(settings)
    now = now or utcnow()
    tally = _Tally()
    if memo is None:
        after = 0
        while True:
            query = select(TicketRow).where(TicketRow.id > after).order_by(TicketRow.id).limit(batch)
            rows = await _sweep_batch(sessions, settings, policy, query, now, tally, None)
            if len(rows) < batch:
                return tally.result()
            after = rows[-1].id
    async with sessions() as session, session.begin():  # every active ticket's id and version, each pass
        active = [(row.id, row.version) for row in await scan(
            session, select(TicketRow.id, TicketRow.version).where(TicketRow.status.in_(SWEPT)))]
    due = memo.due(active, now)
    for start in range(0, len(due), batch):
        query = select(TicketRow).where(TicketRow.id.in_(due[start:start + batch])).order_by(TicketRow.id)
        await _sweep_batch(sessions, settings, policy, query, now, tally, memo)
    return tally.result()


async def _sweep_batch(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, policy: SlaPolicy, query: Select[TicketRow],
    now: datetime, tally: _Tally, memo: SweepMemo | None,
) -> list[TicketRow]:
    """Lock the active tickets `query` selects (skipping those another worker holds) and sweep them."""
    async with sessions() as session, session.begin():
        query = query.where(TicketRow.status.in_(SWEPT)).with_for_update(skip_locked=True)
        rows = list(await session.scalars(query))
        for row in rows:
            await _sweep_one(session, settings, policy, row, now, tally, memo)
    tally.checked += len(rows)
    return rows


async def run(sessions: async_sessionmaker[AsyncSession], settings: Settings, policy: SlaPolicy) -> None:
    """Sweep every `settings.sla_sweep_seconds` until cancelled; a failed sweep is logged and retried."""
    memo = SweepMemo()
    while True:
        try:
            result = await sweep(sessions, settings, policy, memo=memo)
            if result.changed:
                log.info("SLA sweep: %d checked, %d at risk, %d breached, %d escalated", result.checked,
                         len(result.at_risk), len(result.breached), len(result.escalated))
        except Exception:
            log.exception("SLA sweep failed; retrying in %s s", settings.sla_sweep_seconds)
        await asyncio.sleep(settings.sla_sweep_seconds)


def check_config(settings: Settings) -> None:
    """ConfigError unless the final escalation team is a configured team (call at start-up to fail fast)."""
    final = settings.escalation_final_team
    if final and final not in {t.code for t in settings.teams}:
        raise ConfigError(f"escalation_final_team: {final!r} is not one of the configured teams (HELPDESK_TEAMS)")


async def _sweep_one(
    session: AsyncSession, settings: Settings, policy: SlaPolicy, row: TicketRow, now: datetime, tally: _Tally,
    memo: SweepMemo | None = None,
) -> None:
    try:
        reading = clock_reading(row, policy, now)
        chain = escalation_chain(settings, row.category)
    except ValueError as err:  # an unknown priority or category: the rest of the batch still counts
        log.warning("SLA sweep skips ticket %s: %s", row.number, err)
        return
    if reading.status == row.sla_status and not await _on_finished_clock(session, row):
        if memo is not None:
            memo.swept(row, reading, policy, now)
        return
    number, desk = row.number or "", SqlTicketDesk(session, settings)
    kind = "response" if row.first_response_at is None else "resolution"
    due = reading.due.astimezone(policy.calendar.zone).strftime("%a %d %b %H:%M")
    if reading.status == "on_time":
        await desk.mark_sla(number, ACTOR, "on_time", f"{kind} due {due}")
    elif reading.status == "at_risk":
        reason = f"{kind} due {due}, {reading.fraction:.0%} of the time used"
        await desk.mark_sla(number, ACTOR, "at_risk", reason)
        await _notify(session, [_holder(row, settings)], row, "sla_at_risk", f"{number} is at risk: {reason}")
    else:
        await _breach(session, desk, settings, row, chain, f"{kind} was due {due}", tally)
    tally.add(reading.status, number)
    if memo is not None:  # `row` holds the version the changes above gave it (a rollback leaves a mismatch)
        memo.swept(row, reading, policy, now)


async def _breach(
    session: AsyncSession, desk: SqlTicketDesk, settings: Settings, row: TicketRow,
    chain: Sequence[str | None], reason: str, tally: _Tally,
) -> None:
    number, holder = row.number or "", _holder(row, settings)
    level = current_level(row, chain)
    target = chain[level + 1] if level + 1 < len(chain) else None
    if target is None:
        await desk.mark_sla(number, ACTOR, "breached", f"{reason}; already at the last escalation level", level)
        text = f"{number} breached its SLA ({reason}) at the last escalation level"
        last = chain[level] or settings.l1_team
        await _notify(session, [holder, team_inbox(last)], row, "sla_breached", text)
        return
    await desk.mark_sla(number, ACTOR, "breached", reason, level + 1)
    await desk.escalate(number, ACTOR, target, f"SLA breached: {reason}", None)
    tally.add("escalated", number)
    text = f"{number} breached its SLA ({reason}) and is escalated to {settings.team_name(target)}"
    await _notify(session, [holder, team_inbox(target)], row, "sla_breached", text)


async def _on_finished_clock(session: AsyncSession, row: TicketRow) -> bool:
    """True when the recorded status was the response clock's and the resolution clock runs now."""
    if row.first_response_at is None or row.sla_status == "on_time":
        return False
    query = select(func.max(TicketEventRow.at)).where(TicketEventRow.ticket_id == row.id,
                                                      TicketEventRow.action == "sla")
    marked = await session.scalar(query)
    return marked is not None and marked < row.first_response_at


def _holder(row: TicketRow, settings: Settings) -> str:
    return row.assignee or team_inbox(row.escalated_to or settings.l1_team)


async def _notify(session: AsyncSession, recipients: list[str], row: TicketRow, kind: str, text: str) -> None:
    notifications = SqlNotifications(session)
    for recipient in dict.fromkeys(recipients):
        await notifications.notify(recipient, kind, text, row.id)
