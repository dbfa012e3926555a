"""Who may do what: one table, read by the routes and by the permission test."""

from __future__ import annotations

from api.tokens import Principal

TICKET_ACTIONS = ("claim", "assign", "reply", "note", "set_priority", "set_category", "escalate", "wait",
                  "resolve", "close", "reopen")

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
    "kb_reload": frozenset({"kb_maintainer", "admin"}),
    "tokens": frozenset({"admin"}),
    "operators_view": frozenset({"operator", "admin"}),
    "operators_manage": frozenset({"admin"}),
    "set_own_shift": frozenset({"operator", "tier", "admin"}),
    "notifications": frozenset({"operator", "tier", "admin"}),
    "dashboard": frozenset({"operator", "kb_maintainer", "admin"}),
    "webhooks": frozenset({"admin"}),
    "console": frozenset({"operator", "tier", "kb_maintainer", "admin"}),  # sign in to the web console
    "kb_view": frozenset({"operator", "tier", "kb_maintainer", "admin"}),
    "kb_edit": frozenset({"kb_maintainer", "admin"}),
}


def allowed(principal: Principal, action: str) -> bool:
    return principal.role in PERMISSIONS[action]


def can_see(principal: Principal, escalated_to: str | None) -> bool:
    """Tier teams see only the tickets escalated to them; everyone else with ticket rights sees all."""
    return principal.role != "tier" or (escalated_to is not None and escalated_to == principal.team)
