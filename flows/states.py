"""The states of the helpdesk conversation: each says what the bot is waiting for."""

from __future__ import annotations

from enum import StrEnum


class S(StrEnum):
    NEW = "new"
    AWAITING_LANGUAGE = "awaiting_language"
    AWAITING_ROLE = "awaiting_role"
    AWAITING_ULB = "awaiting_ulb"
    AWAITING_PROBLEM = "awaiting_problem"
    OFFERING_FAQ = "offering_faq"
    OFFERING_PROBLEM = "offering_problem"  # the description matches an open known problem
    AWAITING_MODULE = "awaiting_module"
    AWAITING_CATEGORY = "awaiting_category"
    AWAITING_IMPACT = "awaiting_impact"
    AWAITING_WORKAROUND = "awaiting_workaround"
    CONFIRMING = "confirming"
    ASKING_FOLLOWUP = "asking_followup"
    ASKING_FIXED = "asking_fixed"
    ASKING_RATING = "asking_rating"
    ASKING_COMMENT = "asking_comment"  # after the rating: a few words for the team, or skip
    FILED = "filed"
    DEFLECTED = "deflected"
    CANCELLED = "cancelled"


# Between problems: the last one was filed, solved or cancelled; the next text starts a new one.
IDLE: list[str] = [S.FILED, S.DEFLECTED, S.CANCELLED]
# Questions whose answer belongs to the problem being described (cancel and restart drop them).
CASE_QUESTIONS: list[str] = [
    S.AWAITING_PROBLEM, S.OFFERING_FAQ, S.OFFERING_PROBLEM, S.AWAITING_MODULE, S.AWAITING_CATEGORY,
    S.AWAITING_IMPACT, S.AWAITING_WORKAROUND, S.CONFIRMING,
]
# After the FAQ: the problem is on its way to a person.
TRIAGE: list[str] = [S.AWAITING_MODULE, S.AWAITING_CATEGORY, S.AWAITING_IMPACT, S.AWAITING_WORKAROUND, S.CONFIRMING]
# Questions about a ticket already filed: whether a message belongs to it, whether its fix worked.
AFTER_HANDOFF: list[str] = [S.ASKING_FOLLOWUP, S.ASKING_FIXED]
# Where a ticket's "fixed" / "not fixed" / rating answer moves the conversation on (elsewhere the current
# question waits): between problems and in the feedback questions themselves.
FEEDBACK: list[str] = [S.ASKING_FIXED, S.ASKING_RATING, S.ASKING_COMMENT, *IDLE]
