"""The SLA sweep: at-risk warnings, breaches escalated one level at a time, once, however many workers run."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import make_engine, make_sessions
from core.errors import ConfigError
from core.settings import Settings
from tickets.desk import SqlTicketDesk, TicketEvent, sla_due
from tickets.models import NotificationRow, TicketRow
from tickets.notifications import Notification, SqlNotifications
from tickets.sla import SlaPolicy
from tickets.sla_job import SweepMemo, sweep
from tickets.store import SqlTicketStore, Ticket, TicketDraft

Sessions = async_sessionmaker[AsyncSession]
MINUTE = timedelta(minutes=1)
FILED_AT = datetime(2026, 12, 1, 4, 30, tzinfo=UTC)  # a Tuesday, 10:00 in Odisha: inside business hours


async def _file(sessions: Sessions, settings: Settings, category: str = "technical", priority: str = "P2") -> Ticket:
    draft = TicketDraft(channel="console", user_id="u1", role="JE", ulb="od.jatni", language="en", module="bills",
                        category=category, priority=priority, priority_reason="test", description="bill fails",
                        team=settings.routes[category])
    async with sessions() as s, s.begin():
        store = SqlTicketStore(s, "HD", sla_due(SlaPolicy.from_settings(settings)), clock=lambda: FILED_AT)
        return await store.file(draft)


async def _ticket(sessions: Sessions, number: str) -> TicketRow:
    async with sessions() as s:
        row = await s.scalar(select(TicketRow).where(TicketRow.number == number))
        assert row is not None
        return row


async def _events(sessions: Sessions, settings: Settings, number: str) -> list[TicketEvent]:
    async with sessions() as s:
        desk = SqlTicketDesk(s, settings)
        return await desk.events((await desk.row(number)).id)


async def _unread(sessions: Sessions, *recipients: str) -> list[Notification]:
    async with sessions() as s:
        return await SqlNotifications(s).unread(recipients)


async def _all_notifications(sessions: Sessions) -> list[tuple[str, str]]:
    async with sessions() as s:
        return [(n.recipient, n.kind) for n in await s.scalars(select(NotificationRow).order_by(NotificationRow.id))]


async def _act(sessions: Sessions, settings: Settings, action: str, number: str, *args: object) -> None:
    async with sessions() as s, s.begin():
        await getattr(SqlTicketDesk(s, settings), action)(number, *args)


def _due(ticket: Ticket) -> datetime:
    assert ticket.response_due_at is not None
    return ticket.response_due_at


@pytest.fixture
def policy(settings: Settings) -> SlaPolicy:
    return SlaPolicy.from_settings(settings)


async def test_a_fresh_ticket_is_left_alone(sessions: Sessions, settings: Settings, policy: SlaPolicy) -> None:
    ticket = await _file(sessions, settings)
    result = await sweep(sessions, settings, policy, now=FILED_AT + MINUTE)  # a minute after filing
    assert result.checked == 1 and result.changed == 0
    row = await _ticket(sessions, ticket.number)
    assert (row.sla_status, row.version) == ("on_time", 1)
    assert await _all_notifications(sessions) == []


async def test_at_risk_warns_the_assignee_once(sessions: Sessions, settings: Settings, policy: SlaPolicy) -> None:
    ticket = await _file(sessions, settings)
    await _act(sessions, settings, "assign", ticket.number, "lead", "op-1", None)
    first = await sweep(sessions, settings, policy, now=_due(ticket) - 2 * MINUTE)
    again = await sweep(sessions, settings, policy, now=_due(ticket) - MINUTE)
    assert first.at_risk == (ticket.number,) and again.changed == 0
    row = await _ticket(sessions, ticket.number)
    assert (row.sla_status, row.escalated_to, row.status) == ("at_risk", None, "open")
    [warning] = await _unread(sessions, "op-1")
    assert (warning.kind, warning.ticket_number) == ("sla_at_risk", ticket.number)
    assert "response due" in warning.text
    assert await _all_notifications(sessions) == [("op-1", "sla_at_risk")]
    audit = (await _events(sessions, settings, ticket.number))[-1]
    assert (audit.actor, audit.action, audit.before, audit.after) == (
        "sla-job", "sla", {"sla_status": "on_time"}, {"sla_status": "at_risk"})


async def test_an_unassigned_ticket_at_risk_warns_the_helpdesk_inbox(
    sessions: Sessions, settings: Settings, policy: SlaPolicy
) -> None:
    ticket = await _file(sessions, settings)
    await sweep(sessions, settings, policy, now=_due(ticket) - MINUTE)
    assert await _all_notifications(sessions) == [("team:helpdesk", "sla_at_risk")]


async def test_a_breach_escalates_to_the_routed_tier_team_and_tells_both_sides(
    sessions: Sessions, settings: Settings, policy: SlaPolicy
) -> None:
    ticket = await _file(sessions, settings, category="technical")
    await _act(sessions, settings, "assign", ticket.number, "lead", "op-1", None)
    result = await sweep(sessions, settings, policy, now=_due(ticket) + MINUTE)
    assert result.breached == result.escalated == (ticket.number,)
    row = await _ticket(sessions, ticket.number)
    assert (row.sla_status, row.status, row.escalated_to, row.escalation_level) == (
        "breached", "escalated", "state_technical", 1)
    assert await _all_notifications(sessions) == [("op-1", "sla_breached"), ("team:state_technical", "sla_breached")]
    actions = [(e.actor, e.action) for e in await _events(sessions, settings, ticket.number)]
    assert actions[-2:] == [("sla-job", "sla"), ("sla-job", "escalate")]


async def test_a_resolution_breach_after_a_late_answer_escalates_to_the_last_level(
    sessions: Sessions, settings: Settings, policy: SlaPolicy
) -> None:
    ticket = await _file(sessions, settings, category="bug")
    await sweep(sessions, settings, policy, now=_due(ticket) + MINUTE)
    await _act(sessions, settings, "reply", ticket.number, "vendor-1", "Fix deployed, try now", None)
    assert ticket.resolution_due_at is not None
    result = await sweep(sessions, settings, policy, now=ticket.resolution_due_at + MINUTE)
    assert result.escalated == (ticket.number,)
    row = await _ticket(sessions, ticket.number)
    assert (row.escalated_to, row.escalation_level, row.sla_status) == ("programme_admin", 2, "breached")
    assert await _all_notifications(sessions) == [
        ("team:helpdesk", "sla_breached"), ("team:vendor", "sla_breached"),  # the first breach
        ("team:vendor", "sla_breached"), ("team:programme_admin", "sla_breached"),  # the second
    ]
    assert (await sweep(sessions, settings, policy, now=ticket.resolution_due_at + 2 * MINUTE)).changed == 0


async def test_a_first_response_puts_the_ticket_on_the_resolution_clock(
    sessions: Sessions, settings: Settings, policy: SlaPolicy
) -> None:
    ticket = await _file(sessions, settings)
    await sweep(sessions, settings, policy, now=_due(ticket) - MINUTE)
    await _act(sessions, settings, "reply", ticket.number, "op-1", "Looking into it", None)
    result = await sweep(sessions, settings, policy, now=_due(ticket))
    assert result.on_time_again == (ticket.number,)
    assert (await _ticket(sessions, ticket.number)).sla_status == "on_time"


async def test_the_last_level_is_never_passed(sessions: Sessions, settings: Settings, policy: SlaPolicy) -> None:
    ticket = await _file(sessions, settings)
    await _act(sessions, settings, "escalate", ticket.number, "lead", "programme_admin", "urgent", None)
    result = await sweep(sessions, settings, policy, now=_due(ticket) + MINUTE)
    assert result.breached == (ticket.number,) and result.escalated == ()
    row = await _ticket(sessions, ticket.number)
    assert (row.escalated_to, row.escalation_level, row.sla_status) == ("programme_admin", 2, "breached")
    assert await _all_notifications(sessions) == [("team:programme_admin", "sla_breached")]


async def test_without_a_final_team_the_tier_team_is_the_last_level(
    sessions: Sessions, settings: Settings, policy: SlaPolicy
) -> None:
    settings = settings.model_copy(update={"escalation_final_team": None})
    ticket = await _file(sessions, settings, category="functional")
    await _act(sessions, settings, "escalate", ticket.number, "lead", "master_trainers", None, None)
    result = await sweep(sessions, settings, policy, now=_due(ticket) + MINUTE)
    assert result.breached == (ticket.number,) and result.escalated == ()
    assert (await _ticket(sessions, ticket.number)).escalated_to == "master_trainers"


async def test_an_unknown_final_team_is_a_configuration_error(
    sessions: Sessions, settings: Settings, policy: SlaPolicy
) -> None:
    settings = settings.model_copy(update={"escalation_final_team": "nobody"})
    with pytest.raises(ConfigError, match="escalation_final_team"):
        await sweep(sessions, settings, policy)


async def test_a_ticket_waiting_on_the_user_is_not_swept(
    sessions: Sessions, settings: Settings, policy: SlaPolicy
) -> None:
    ticket = await _file(sessions, settings)
    await _act(sessions, settings, "claim", ticket.number, "op-1", None)
    await _act(sessions, settings, "wait_on_user", ticket.number, "op-1", None)
    result = await sweep(sessions, settings, policy, now=_due(ticket) + timedelta(days=30))
    assert result.checked == 0
    assert (await _ticket(sessions, ticket.number)).sla_status == "on_time"


async def test_time_spent_waiting_on_the_user_does_not_count(
    sessions: Sessions, settings: Settings, policy: SlaPolicy
) -> None:
    ticket = await _file(sessions, settings)
    assert ticket.created_at is not None
    pause = [ticket.created_at.isoformat(), _due(ticket).isoformat()]
    async with sessions() as s, s.begin():
        await s.execute(update(TicketRow).where(TicketRow.number == ticket.number).values(pauses=[pause]))
    result = await sweep(sessions, settings, policy, now=_due(ticket) + MINUTE)
    assert result.changed == 0


async def test_every_batch_is_swept(sessions: Sessions, settings: Settings, policy: SlaPolicy) -> None:
    tickets = [await _file(sessions, settings) for _ in range(5)]
    result = await sweep(sessions, settings, policy, now=_due(tickets[-1]) + MINUTE, batch=2)
    assert result.checked == 5
    assert sorted(result.escalated) == sorted(t.number for t in tickets)


async def test_concurrent_sweeps_escalate_and_notify_each_ticket_once(
    sessions: Sessions, settings: Settings, policy: SlaPolicy
) -> None:
    tickets = [await _file(sessions, settings) for _ in range(4)]
    now = _due(tickets[-1]) + MINUTE
    results = await asyncio.gather(*(sweep(sessions, settings, policy, now=now, batch=2) for _ in range(3)))
    escalated = [n for r in results for n in r.escalated]
    assert sorted(escalated) == sorted(t.number for t in tickets)
    assert len(await _all_notifications(sessions)) == 2 * len(tickets)
    for ticket in tickets:
        assert (await _ticket(sessions, ticket.number)).escalation_level == 1


async def test_workers_on_separate_connections_escalate_each_ticket_once(
    sessions: Sessions, settings: Settings, policy: SlaPolicy
) -> None:
    tickets = [await _file(sessions, settings) for _ in range(6)]
    engines = [make_engine(settings.resolved_database_url()) for _ in range(2)]
    try:
        now = _due(tickets[-1]) + MINUTE
        results = await asyncio.gather(*(sweep(make_sessions(e), settings, policy, now=now, batch=1)
                                         for e in engines))
    finally:
        for engine in engines:
            await engine.dispose()
    assert sorted(n for r in results for n in r.escalated) == sorted(t.number for t in tickets)
    assert len(await _all_notifications(sessions)) == 2 * len(tickets)
    for ticket in tickets:
        escalations = [e for e in await _events(sessions, settings, ticket.number) if e.action == "escalate"]
        assert len(escalations) == 1


async def test_a_remembering_sweep_reloads_only_tickets_that_can_have_changed(
    sessions: Sessions, settings: Settings, policy: SlaPolicy
) -> None:
    quiet, answered = await _file(sessions, settings), await _file(sessions, settings, priority="P1")
    memo = SweepMemo()
    start = _due(answered) - timedelta(hours=3)
    first = await sweep(sessions, settings, policy, now=start, memo=memo)
    again = await sweep(sessions, settings, policy, now=start + MINUTE, memo=memo)
    assert (first.checked, first.changed, again.checked) == (2, 0, 0)
    await _act(sessions, settings, "set_priority", quiet.number, "lead", "P4", "a cosmetic fault", None)
    moved = await sweep(sessions, settings, policy, now=start + 2 * MINUTE, memo=memo)
    assert moved.checked == 1 and moved.changed == 0
    at_risk = await sweep(sessions, settings, policy, now=_due(answered) - MINUTE, memo=memo)
    assert at_risk.at_risk == (answered.number,)
    breached = await sweep(sessions, settings, policy, now=_due(answered) + timedelta(hours=2), memo=memo)
    assert breached.escalated == (answered.number,)
    later = await sweep(sessions, settings, policy, now=_due(answered) + timedelta(days=30), memo=memo)
    assert later.escalated == (quiet.number,)
    quiet_again = await sweep(sessions, settings, policy, now=_due(answered) + timedelta(days=31), memo=memo)
    assert (quiet_again.checked, quiet_again.changed) == (0, 0)


async def test_a_remembering_sweep_gives_the_same_outcomes_as_a_full_one(
    sessions: Sessions, settings: Settings, policy: SlaPolicy
) -> None:
    tickets = [await _file(sessions, settings, priority=p) for p in ("P1", "P2", "P3", "P4")]
    memo, start = SweepMemo(), _due(tickets[0]) - timedelta(hours=4)
    outcomes = []
    for hours in range(0, 24 * 14, 3):
        now = start + timedelta(hours=hours)
        result = await sweep(sessions, settings, policy, now=now, memo=memo, batch=2)
        outcomes += [(n, "at_risk") for n in result.at_risk] + [(n, "breached") for n in result.breached]
        assert (await sweep(sessions, settings, policy, now=now)).changed == 0  # nothing left for a full pass
    assert sorted(outcomes) == sorted([(t.number, s) for t in tickets for s in ("at_risk", "breached")])
