"""The ticket lifecycle as data: which action is allowed from which status, and where it leads.

new -> open (claimed) -> waiting_on_user (SLA paused) -> escalated (to a tier team) -> resolved -> closed;
reopened within a window after resolution when the user says the fix did not work.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import InvalidTransition

STATUSES = ("new", "open", "waiting_on_user", "escalated", "resolved", "closed", "reopened")
ACTIVE = frozenset({"new", "open", "waiting_on_user", "escalated", "reopened"})
# The same predicate, literally, in the queue's query and in its partial index (ix_tickets_active_due): a
# database uses a partial index only when it can see the query implies the index's WHERE, and bound
# parameters hide that.
ACTIVE_SQL = "status IN ('escalated', 'new', 'open', 'reopened', 'waiting_on_user')"
_ANY_BUT_CLOSED = frozenset(STATUSES) - {"closed"}


@dataclass(frozen=True)
class Move:
    """An action's allowed source statuses and the status it leads to (None: unchanged)."""

    sources: frozenset[str]
    dest: str | None


MOVES: dict[str, Move] = {
    # claiming keeps an escalated ticket escalated (the tier team member takes it); the desk decides that
    "claim": Move(frozenset({"new", "open", "reopened", "escalated"}), "open"),
    "assign": Move(frozenset({"new", "open", "reopened", "escalated"}), "open"),
    "wait": Move(frozenset({"open", "escalated", "reopened"}), "waiting_on_user"),
    "resume": Move(frozenset({"waiting_on_user"}), None),  # status before waiting; decided by the store
    "escalate": Move(ACTIVE, "escalated"),
    "resolve": Move(ACTIVE, "resolved"),
    "close": Move(frozenset({"resolved"}), "closed"),
    "reopen": Move(frozenset({"resolved", "closed"}), "reopened"),
    "reply": Move(_ANY_BUT_CLOSED, None),
    "note": Move(frozenset(STATUSES), None),
    "sla": Move(frozenset(STATUSES), None),  # the SLA sweep records the clock's status (and escalation level)
    "set_priority": Move(_ANY_BUT_CLOSED, None),
    "set_category": Move(_ANY_BUT_CLOSED, None),
    "feedback": Move(frozenset({"resolved", "closed"}), None),  # the user's "fixed?" answer and rating
    "link": Move(frozenset(STATUSES), None),  # another ticket linked as a duplicate, or merged into this one
    "merge": Move(ACTIVE | {"resolved"}, "closed"),  # a duplicate merged into another ticket, which tracks it now
    "jira_link": Move(frozenset(STATUSES), None),  # the JIRA issue created for the vendor team
    "vendor_update": Move(frozenset(STATUSES), None),  # the vendor's JIRA issue resolved or commented
}


def is_allowed(action: str, status: str) -> bool:
    """Whether `action` may be taken on a ticket in `status` (actions outside the lifecycle always may)."""
    move = MOVES.get(action)
    return move is None or status in move.sources


def next_status(action: str, status: str) -> str:
    """The status after `action`, or InvalidTransition saying which statuses would allow it."""
    move = MOVES[action]
    if status not in move.sources:
        allowed = ", ".join(s for s in STATUSES if s in move.sources)
        what = action.replace("_", " ")
        raise InvalidTransition(f"cannot {what} a ticket that is {status} (allowed from: {allowed})")
    return move.dest or status
