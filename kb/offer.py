"""What the bot makes of a problem description: the FAQ answers it offers, or that it abstains. The conversation
decides with this (flows.conversation), and the console's "Try a question" shows the same decision."""

from __future__ import annotations

from kb.protocol import Matcher, Proposal

EMPLOYEE_AUDIENCE, CBO_AUDIENCE = "employee", "cbo"


def audience_of(role: str | None) -> str:
    return CBO_AUDIENCE if role == "cbo" else EMPLOYEE_AUDIENCE


def faq_offer(matcher: Matcher, text: str, *, language: str | None, role: str | None, limit: int,
              exclude: frozenset[str] = frozenset()) -> Proposal:
    """The answers the bot would offer (`confident_hits`: one clear answer, or up to `limit` close ones, never
    one in `exclude`) or that it abstains, with the reasons."""
    return matcher.propose(text, lang=language, limit=limit, audience=audience_of(role), exclude=exclude)
