"""Who may call each route, as data: one rule per (method, path template), for the API and the console alike.

The one guard (api/access.py) runs before every route and reads this table; a route with no rule here is
refused for everyone. tests/security/test_route_rules.py walks every route of the app for every role and
object owner and fails on a route missing from the table, so a new route ships with its rule:

    ("POST", "/api/things/{thing_id}/frob"): token("things_frob", scope=THING),

with the permission added to `api.permissions.PERMISSIONS` (which roles hold it) and, if the path names an
object that not every holder may see, a `Scope` (the object's kind and its path parameter) with its check
in `api.scopes.CHECKS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Via = Literal["token", "console", "public"]


@dataclass(frozen=True)
class Scope:
    """The object a path names, checked for the caller before the route runs (404 when they may not see it)."""

    kind: Literal["ticket", "problem", "proposal", "attachment", "notification"]
    param: str  # the path parameter holding its number, id or reference


@dataclass(frozen=True)
class Own:
    """The path names a person: themselves they may change with `permission`, others only with the rule's."""

    param: str
    permission: str


@dataclass(frozen=True)
class Rule:
    """How a route authenticates (`via`), the permission it needs, the object it touches, and for a partial
    update the body fields a role may set (roles not listed may set every field)."""

    via: Via
    permission: str | None = None
    scope: Scope | None = None
    own: Own | None = None
    fields: Mapping[str, frozenset[str]] = field(default_factory=dict)
    why_public: str = ""  # for `public` routes: what authenticates the caller instead (or why nothing need)


def token(permission: str, scope: Scope | None = None, *, own: Own | None = None,
          fields: Mapping[str, frozenset[str]] | None = None) -> Rule:
    """An API route: a bearer token whose role holds `permission`."""
    return Rule("token", permission, scope, own, fields or {})


def page(permission: str, scope: Scope | None = None) -> Rule:
    """A console page: a signed-in account whose role holds `permission` (and a CSRF token to change things)."""
    return Rule("console", permission, scope)


def public(why: str) -> Rule:
    """A route that takes no token or console session; `why` says what stands in for one."""
    return Rule("public", why_public=why)


TICKET = Scope("ticket", "number")
PROBLEM = Scope("problem", "problem_id")
PROPOSAL = Scope("proposal", "proposal_id")
ATTACHMENT = Scope("attachment", "ref")
NOTIFICATION = Scope("notification", "notification_id")

# A tier team may mark a problem fixed and record how to live with it, not reword or move it (the README).
TIER_PROBLEM_FIELDS = frozenset({"status", "workaround", "jira_key", "reason"})

RULES: dict[tuple[str, str], Rule] = {
    # -- outside any role: health, metrics, and channels with their own proof of who is calling
    ("GET", "/healthz"): public("liveness only, no data"),
    ("GET", "/readyz"): public("readiness only, no data"),
    ("GET", "/metrics"): public("counts only, for the Prometheus scraper"),
    ("GET", "/docs"): public("the API's documentation page (the schema at /openapi.json is public too)"),
    ("POST", "/chat/messages"): public("an HTTP-chat channel key (HELPDESK_CHANNEL_KEYS)"),
    ("GET", "/chat/messages"): public("an HTTP-chat channel key (HELPDESK_CHANNEL_KEYS)"),
    ("POST", "/api/jira/webhook"): public("the JIRA webhook's shared secret"),
    ("POST", "/telegram/webhook"): public("Telegram's secret-token header"),
    ("GET", "/whatsapp/webhook"): public("Meta's subscription handshake, answered only with the verify token"),
    ("POST", "/whatsapp/webhook"): public("Meta's X-Hub-Signature-256 over the body"),
    ("POST", "/voice/incoming"): public("the voice provider's request signature"),
    ("POST", "/voice/step"): public("the voice provider's request signature"),
    ("POST", "/voice/recorded"): public("the voice provider's request signature"),
    ("GET", "/voice/prompts/{lang}/{name}"): public("recorded menu prompts, the same for every caller"),
    ("GET", "/web/chat"): public("the anonymous web chat: each browser gets a signed id of its own"),
    ("POST", "/web/chat/send"): public("the web chat's signed session id"),
    ("GET", "/web/chat/wait"): public("the web chat's signed session id (long polling for operator replies)"),
    ("POST", "/web/chat/language"): public("the web chat's signed session id"),
    ("GET", "/web/chat/continue"): public("the resume-code form; a code is checked and its tries limited"),
    ("GET", "/web/chat/continue/{code}"): public("a resume code shown to the user after filing (tries limited)"),
    ("GET", "/web/chat/photo/{ref}"): public("only the browser whose conversation sent the photo can open it"),
    ("GET", "/console/sign-in"): public("the sign-in form"),
    ("POST", "/console/sign-in"): public("the password is what it checks"),
    # -- the API, by bearer token
    ("POST", "/api/kb/reload"): token("kb_reload"),
    ("GET", "/api/tickets"): token("queue"),  # a tier team's queue lists only tickets escalated to it
    ("GET", "/api/tickets/{number}"): token("view", TICKET),
    ("POST", "/api/tickets/{number}/claim"): token("claim", TICKET),
    ("POST", "/api/tickets/{number}/assign"): token("assign", TICKET),
    ("POST", "/api/tickets/{number}/reply"): token("reply", TICKET),
    ("POST", "/api/tickets/{number}/reply-with-attachment"): token("reply", TICKET),
    ("POST", "/api/tickets/{number}/notes"): token("note", TICKET),
    ("POST", "/api/tickets/{number}/priority"): token("set_priority", TICKET),
    ("POST", "/api/tickets/{number}/category"): token("set_category", TICKET),
    ("POST", "/api/tickets/{number}/escalate"): token("escalate", TICKET),
    ("POST", "/api/tickets/{number}/wait"): token("wait", TICKET),
    ("POST", "/api/tickets/{number}/resolve"): token("resolve", TICKET),
    ("POST", "/api/tickets/{number}/close"): token("close", TICKET),
    ("POST", "/api/tickets/{number}/reopen"): token("reopen", TICKET),
    ("POST", "/api/tickets/{number}/links"): token("link", TICKET),  # the other ticket: any, for these roles
    ("POST", "/api/tickets/{number}/merge"): token("merge", TICKET),
    ("GET", "/api/operators"): token("operators_view"),
    ("POST", "/api/operators"): token("operators_manage"),
    ("PATCH", "/api/operators/{name}"): token("operators_manage", own=Own("name", "set_own_shift")),
    ("GET", "/api/notifications"): token("notifications"),  # the caller's own and their teams' inboxes
    ("POST", "/api/notifications/{notification_id}/read"): token("notifications", NOTIFICATION),
    ("GET", "/api/dashboard"): token("dashboard"),
    ("GET", "/api/reports/tickets"): token("export"),
    ("POST", "/api/webhooks"): token("webhooks"),
    ("GET", "/api/webhooks"): token("webhooks"),
    ("DELETE", "/api/webhooks/{webhook_id}"): token("webhooks"),
    ("GET", "/api/tokens"): token("tokens"),
    ("POST", "/api/tokens/{name}/revoke"): token("tokens"),
    ("POST", "/api/tokens/{name}/rotate"): token("tokens"),
    ("GET", "/api/accounts"): token("accounts_manage"),
    **{("POST", f"/api/accounts/{{name}}/{action}"): token("accounts_manage")
       for action in ("disable", "enable", "role", "password", "unlock")},
    ("GET", "/api/problems/proposals"): token("problems_view"),  # a tier team: proposals of its tickets only
    ("POST", "/api/problems/proposals/{proposal_id}/accept"): token("problems_manage", PROPOSAL),
    ("POST", "/api/problems/proposals/{proposal_id}/dismiss"): token("problems_manage", PROPOSAL),
    ("GET", "/api/problems"): token("problems_view"),  # a tier team: problems whose tickets it can all see
    ("POST", "/api/problems"): token("problems_manage"),
    ("GET", "/api/problems/{problem_id}"): token("problems_view", PROBLEM),
    ("PATCH", "/api/problems/{problem_id}"): token("problems_update", PROBLEM,
                                                   fields={"tier": TIER_PROBLEM_FIELDS}),
    ("POST", "/api/problems/{problem_id}/links"): token("problems_manage", PROBLEM),
    ("DELETE", "/api/problems/{problem_id}/links/{number}"): token("problems_manage", PROBLEM),
    ("POST", "/api/problems/{problem_id}/broadcast"): token("problems_broadcast", PROBLEM),
    # -- the console, by signed-in account
    ("POST", "/console/sign-out"): page("console"),
    ("GET", "/console"): page("console"),
    ("GET", "/console/queue"): page("queue"),
    ("GET", "/console/queue/rows"): page("queue"),
    ("GET", "/console/queue/notices"): page("notifications"),
    ("POST", "/console/queue/bulk"): page("bulk"),  # each ticket's own action permission is checked too
    ("POST", "/console/filters"): page("saved_filters"),  # an account's own filters only
    ("POST", "/console/filters/{filter_id}/delete"): page("saved_filters"),
    ("GET", "/console/problems"): page("problems_view"),  # a tier team: problems whose tickets it can all see
    ("GET", "/console/problems/{problem_id}"): page("problems_view", PROBLEM),
    ("POST", "/console/problems/{problem_id}/links"): page("problems_manage", PROBLEM),
    ("POST", "/console/problems/{problem_id}/broadcast"): page("problems_broadcast", PROBLEM),
    ("POST", "/console/problems/{problem_id}/fixed"): page("problems_update", PROBLEM),
    ("POST", "/console/notifications/{notification_id}/read"): page("notifications", NOTIFICATION),
    ("GET", "/console/accounts"): page("accounts_manage"),
    **{("POST", f"/console/accounts/{{name}}/{action}"): page("accounts_manage")
       for action in ("disable", "enable", "role", "unlock")},
    ("POST", "/console/addresses/{address}/unlock"): page("accounts_manage"),
    ("POST", "/console/tokens/{name}/revoke"): page("tokens"),
    ("GET", "/console/tickets/{number}"): page("view", TICKET),
    **{("POST", f"/console/tickets/{{number}}/{action}"): page(action, TICKET)
       for action in ("claim", "assign", "reply", "note", "set_priority", "set_category", "escalate", "wait",
                      "resolve", "close", "reopen", "link", "merge")},
    ("GET", "/console/attachments/{ref}"): page("view", ATTACHMENT),
    ("GET", "/console/kb"): page("kb_view"),
    ("GET", "/console/kb/try"): page("kb_view"),
    ("GET", "/console/kb/gaps"): page("kb_view"),  # a tier team: its own tickets; numbers masked but for L1
    ("GET", "/console/kb/new"): page("kb_edit"),
    ("POST", "/console/kb/new"): page("kb_edit"),
    ("GET", "/console/kb/{entry_id}/edit"): page("kb_edit"),
    ("POST", "/console/kb/{entry_id}/edit"): page("kb_edit"),
    ("POST", "/console/kb/{entry_id}/rename"): page("kb_edit"),
    ("GET", "/console/kb/translations"): page("kb_view"),
    ("GET", "/console/kb/reviews"): page("kb_view"),
    ("POST", "/console/kb/reviews/{number}/approve"): page("kb_edit"),
    ("GET", "/console/dashboard"): page("dashboard"),
    ("GET", "/console/canned"): page("canned_edit"),
    ("POST", "/console/canned"): page("canned_edit"),
    ("POST", "/console/canned/{canned_id}"): page("canned_edit"),
    ("POST", "/console/canned/{canned_id}/delete"): page("canned_edit"),
    ("GET", "/console/export/tickets.csv"): page("export"),
    ("GET", "/console/queue.csv"): page("export"),
    ("GET", "/console/export/summary.csv"): page("export"),
}


def rule_for(method: str, path: str) -> Rule | None:
    """The rule of the route with this method and path template (HEAD answers as GET does)."""
    return RULES.get((method, path)) or (RULES.get(("GET", path)) if method == "HEAD" else None)
