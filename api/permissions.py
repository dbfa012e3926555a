"""Who may do what: one table, read by the routes and by the permission test."""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

from api.tokens import Principal
from core.settings import Settings
from tickets.notifications import team_inbox
from tickets.queue import QueueEntry
from tickets.store import Ticket

Shown = TypeVar("Shown", Ticket, QueueEntry)

TICKET_ACTIONS = ("claim", "assign", "reply", "note", "set_priority", "set_category", "escalate", "wait",
                  "resolve", "close", "reopen", "link", "merge")

PERMISSIONS: dict[str, frozenset[str]] = {
    "queue": frozenset({"operator", "tier", "admin"}),
    "view": frozenset({"operator", "tier", "admin"}),
    "claim": frozenset({"operator", "tier", "admin"}),
    "assign": frozenset({"operator", "admin"}),
    "reply": frozenset({"operator", "tier", "admin"}),
    "note": frozenset({"operator", "tier", "admin"}),
    "set_priority": frozenset({"operator", "admin"}),
    "set_category": frozenset({"operator", "tier", "admin"}),
    "escalate": frozenset({"operator", "tier", "admin"}),
    "wait": frozenset({"operator", "tier", "admin"}),
    "resolve": frozenset({"operator", "tier", "admin"}),
    "close": frozenset({"operator", "admin"}),
    "reopen": frozenset({"operator", "admin"}),
    "link": frozenset({"operator", "admin"}),  # duplicates: link two tickets, merge one into another
    "merge": frozenset({"operator", "admin"}),
    "bulk": frozenset({"operator", "admin"}),  # the queue's bulk assign, close and priority
    "canned_edit": frozenset({"kb_maintainer", "admin"}),  # canned responses: add, edit, delete
    "export": frozenset({"operator", "admin"}),  # the weekly report: every ticket of a period, as CSV or JSON
    "saved_filters": frozenset({"operator", "tier", "admin"}),  # each account's own saved queue filters
    "kb_reload": frozenset({"kb_maintainer", "admin"}),
    "tokens": frozenset({"admin"}),
    "accounts_manage": frozenset({"admin"}),  # console accounts: list, disable, enable, role, password, unlock
    "operators_view": frozenset({"operator", "admin"}),
    "operators_manage": frozenset({"admin"}),
    "set_own_shift": frozenset({"operator", "tier", "admin"}),
    "notifications": frozenset({"operator", "tier", "admin"}),
    "dashboard": frozenset({"operator", "kb_maintainer", "admin"}),
    "webhooks": frozenset({"admin"}),
    "problems_view": frozenset({"operator", "tier", "admin"}),
    "problems_manage": frozenset({"operator", "admin"}),  # create, link, unlink; accept or dismiss proposals
    "problems_update": frozenset({"operator", "tier", "admin"}),  # status (fixed), workaround, JIRA key
    "problems_broadcast": frozenset({"operator", "admin"}),
    "console": frozenset({"operator", "tier", "kb_maintainer", "admin"}),  # sign in to the web console
    "kb_view": frozenset({"operator", "tier", "kb_maintainer", "admin"}),
    "kb_edit": frozenset({"kb_maintainer", "admin"}),
}


def allowed(principal: Principal, action: str) -> bool:
    return principal.role in PERMISSIONS[action]


def can_see(principal: Principal, escalated_to: str | None) -> bool:
    """Tier teams see only the tickets escalated to them; everyone else with ticket rights sees all."""
    return principal.role != "tier" or (escalated_to is not None and escalated_to == principal.team)


# Who calls voice callers back and so sees their whole number; the other roles see only its last 4 digits.
SEES_CALLER_NUMBER = frozenset({"operator", "admin"})


def shown_to(principal: Principal, ticket: Shown) -> Shown:
    """The ticket as this caller may see it: a voice ticket's phone number masked for roles that do not call."""
    if ticket.channel != "voice" or principal.role in SEES_CALLER_NUMBER:
        return ticket
    number = ticket.user_id
    return replace(ticket, user_id="*" * max(len(number) - 4, 0) + number[-4:])


def inboxes(who: Principal, settings: Settings) -> list[str]:
    """Whose notifications the caller reads: their own, their tier team's, and the L1 desk's for L1 and admins."""
    boxes = [who.name]
    if who.team:
        boxes.append(team_inbox(who.team))
    if who.role in ("operator", "admin"):
        boxes.append(team_inbox(settings.l1_team))
    if who.role == "admin" and settings.escalation_final_team:
        boxes.append(team_inbox(settings.escalation_final_team))
    return boxes
