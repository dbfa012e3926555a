"""The first flow, as data: from greeting to a filed ticket or a solved problem.

Triggers: `begin` (first contact), `text` (free text), `picked` (a menu choice), `solved` / `not_solved`
(the FAQ offer), `confirm` / `edit_*` (the summary) and the global commands. For one trigger the first
transition whose conditions hold wins. Conditions of one transition are evaluated in the order listed
(flows.engine.InOrderMachine), but each must still be safe to call on its own. `flows/diagram.md` is
generated from this list.
"""

from __future__ import annotations

from typing import Any

from flows.states import AFTER_HANDOFF, CASE_QUESTIONS, FEEDBACK, IDLE, TRIAGE, S

ALL = "*"
TransitionConfig = dict[str, Any]

STATES: list[str] = [s.value for s in S]

TRANSITIONS: list[TransitionConfig] = [
    # first contact and the profile, asked once and remembered
    {"trigger": "begin", "source": S.NEW, "dest": S.AWAITING_PROBLEM, "conditions": "has_profile",
     "after": "greet"},
    {"trigger": "begin", "source": S.NEW, "dest": S.AWAITING_LANGUAGE, "after": "greet"},
    {"trigger": "picked", "source": S.AWAITING_LANGUAGE, "dest": None, "conditions": "is_resuming",
     "before": "remember_choice", "after": "resume"},
    {"trigger": "picked", "source": S.AWAITING_LANGUAGE, "dest": S.AWAITING_PROBLEM, "conditions": "has_profile",
     "before": "remember_choice"},
    {"trigger": "picked", "source": S.AWAITING_LANGUAGE, "dest": S.AWAITING_ROLE, "before": "remember_choice"},
    {"trigger": "picked", "source": S.AWAITING_ROLE, "dest": S.AWAITING_ULB, "before": "remember_choice"},
    {"trigger": "picked", "source": S.AWAITING_ULB, "dest": None, "conditions": "is_resuming",
     "before": "remember_choice", "after": "resume"},
    {"trigger": "picked", "source": S.AWAITING_ULB, "dest": S.AWAITING_PROBLEM, "before": "remember_choice"},
    # the problem, and the knowledge base's answers
    {"trigger": "text", "source": S.AWAITING_PROBLEM, "dest": S.CONFIRMING, "conditions": "is_editing",
     "before": "remember_description"},
    {"trigger": "text", "source": S.AWAITING_PROBLEM, "dest": S.OFFERING_PROBLEM, "conditions": "has_known_problem",
     "before": ["remember_description", "offer_problem"]},
    {"trigger": "text", "source": S.AWAITING_PROBLEM, "dest": S.OFFERING_FAQ, "conditions": "has_faq_hit",
     "before": "remember_description"},
    {"trigger": "text", "source": S.AWAITING_PROBLEM, "dest": S.AWAITING_MODULE, "before": "remember_description"},
    {"trigger": "solved", "source": S.OFFERING_FAQ, "dest": S.DEFLECTED, "after": "record_deflection"},
    {"trigger": "not_solved", "source": S.OFFERING_FAQ, "dest": S.AWAITING_CATEGORY, "conditions": "has_module",
     "before": "reject_faq"},
    {"trigger": "not_solved", "source": S.OFFERING_FAQ, "dest": S.AWAITING_MODULE, "before": "reject_faq"},
    # a known problem: join it with one tap (a linked ticket, no triage), or go on as a different issue
    {"trigger": "join_problem", "source": S.OFFERING_PROBLEM, "dest": S.FILED, "after": "file_for_problem"},
    {"trigger": "different_issue", "source": S.OFFERING_PROBLEM, "dest": S.OFFERING_FAQ,
     "conditions": "has_faq_offered", "before": "decline_problem"},
    {"trigger": "different_issue", "source": S.OFFERING_PROBLEM, "dest": S.AWAITING_MODULE,
     "before": "decline_problem"},
    # triage: module, category, impact; the priority follows from the answers
    {"trigger": "picked", "source": S.AWAITING_MODULE, "dest": S.CONFIRMING, "conditions": "is_editing",
     "before": "remember_choice"},
    # a description without words (a voice message) cannot be matched: the module's most helpful answers instead
    {"trigger": "picked", "source": S.AWAITING_MODULE, "dest": S.OFFERING_FAQ, "conditions": "has_module_faq",
     "before": ["remember_choice", "offer_module_faq"]},
    {"trigger": "picked", "source": S.AWAITING_MODULE, "dest": S.AWAITING_CATEGORY, "before": "remember_choice"},
    {"trigger": "picked", "source": S.AWAITING_CATEGORY, "dest": S.CONFIRMING, "conditions": "is_editing",
     "before": "remember_choice"},
    {"trigger": "picked", "source": S.AWAITING_CATEGORY, "dest": S.AWAITING_IMPACT, "before": "remember_choice"},
    {"trigger": "picked", "source": S.AWAITING_IMPACT, "dest": S.AWAITING_WORKAROUND,
     "before": "remember_choice"},
    {"trigger": "picked", "source": S.AWAITING_WORKAROUND, "dest": S.CONFIRMING, "before": "remember_choice"},
    # summary: confirm, or go back to one answer and return here
    {"trigger": "confirm", "source": S.CONFIRMING, "dest": S.FILED, "after": "file_ticket"},
    {"trigger": "edit_description", "source": S.CONFIRMING, "dest": S.AWAITING_PROBLEM, "before": "start_editing"},
    {"trigger": "edit_module", "source": S.CONFIRMING, "dest": S.AWAITING_MODULE, "before": "start_editing"},
    {"trigger": "edit_category", "source": S.CONFIRMING, "dest": S.AWAITING_CATEGORY, "before": "start_editing"},
    {"trigger": "edit_impact", "source": S.CONFIRMING, "dest": S.AWAITING_IMPACT, "before": "start_editing"},
    # between problems: right after the helpdesk's question (a reply, waiting or not) the message goes to that
    # ticket at once, with a one-tap "new problem" undo; with a ticket still open the user says whether the
    # message belongs to it; otherwise the next message starts a new problem
    {"trigger": "text", "source": IDLE, "dest": S.FILED, "conditions": "has_operator_question",
     "after": "answer_operator"},
    {"trigger": "text", "source": IDLE, "dest": S.ASKING_FIXED, "conditions": "has_resolution_to_confirm",
     "before": "hold_message"},
    {"trigger": "text", "source": IDLE, "dest": S.ASKING_FOLLOWUP, "conditions": "has_active_ticket",
     "before": "hold_message"},
    {"trigger": "add_to_ticket", "source": S.ASKING_FOLLOWUP, "dest": S.FILED, "conditions": "is_named_ticket_active",
     "after": "append_to_ticket"},
    {"trigger": "add_to_ticket", "source": S.ASKING_FOLLOWUP, "dest": S.ASKING_FIXED,
     "after": "say_resolved_meanwhile"},  # resolved before the tap: the message is kept for "is it fixed?"
    {"trigger": "add_to_ticket", "source": ALL, "dest": None, "after": "say_stale"},
    {"trigger": "split", "source": IDLE, "dest": S.OFFERING_PROBLEM,
     "conditions": ["is_split_open", "has_known_problem"],
     "before": ["withdraw_message", "new_case", "remember_description", "offer_problem"]},
    {"trigger": "split", "source": IDLE, "dest": S.OFFERING_FAQ, "conditions": ["is_split_open", "has_faq_hit"],
     "before": ["withdraw_message", "new_case", "remember_description"]},
    {"trigger": "split", "source": IDLE, "dest": S.AWAITING_MODULE, "conditions": "is_split_open",
     "before": ["withdraw_message", "new_case", "remember_description"]},
    {"trigger": "split", "source": ALL, "dest": None, "after": "say_split_too_late"},
    {"trigger": "new_problem", "source": AFTER_HANDOFF, "dest": S.OFFERING_PROBLEM,
     "conditions": "has_known_problem",
     "before": ["skip_feedback", "new_case", "remember_description", "offer_problem"]},
    {"trigger": "new_problem", "source": AFTER_HANDOFF, "dest": S.OFFERING_FAQ, "conditions": "has_faq_hit",
     "before": ["skip_feedback", "new_case", "remember_description"]},
    {"trigger": "new_problem", "source": AFTER_HANDOFF, "dest": S.AWAITING_MODULE,
     "before": ["skip_feedback", "new_case", "remember_description"]},
    # a resolved ticket: the user says whether it is fixed, then rates the help (1-5) and may add a comment.
    # The resolution message's own buttons name their ticket (core.ticket_choices) and work in any state:
    # between problems they lead on to the rating; in the middle of another question, that question waits
    {"trigger": "fixed", "source": FEEDBACK, "dest": S.ASKING_RATING, "conditions": "is_feedback_open",
     "after": "mark_fixed"},
    {"trigger": "fixed", "source": ALL, "dest": None, "conditions": "is_feedback_open", "after": "mark_fixed"},
    {"trigger": "fixed", "source": ALL, "dest": None, "after": "say_feedback_closed"},
    {"trigger": "not_fixed", "source": FEEDBACK, "dest": S.FILED, "conditions": "is_feedback_open",
     "after": "mark_not_fixed"},
    {"trigger": "not_fixed", "source": ALL, "dest": None, "conditions": "is_feedback_open",
     "after": "mark_not_fixed"},
    {"trigger": "not_fixed", "source": ALL, "dest": None, "after": "say_feedback_closed"},
    {"trigger": "rate", "source": FEEDBACK, "dest": S.ASKING_COMMENT, "conditions": "is_feedback_open",
     "after": "record_rating"},
    {"trigger": "rate", "source": ALL, "dest": None, "conditions": "is_feedback_open", "after": "record_rating"},
    {"trigger": "rate", "source": ALL, "dest": None, "after": "say_feedback_closed"},
    {"trigger": "text", "source": S.ASKING_COMMENT, "dest": S.FILED, "after": "record_comment"},
    {"trigger": "skip_comment", "source": S.ASKING_COMMENT, "dest": S.FILED, "after": "say_no_comment"},
    {"trigger": "text", "source": IDLE, "dest": S.AWAITING_LANGUAGE, "unless": "has_profile",
     "before": "new_case"},
    {"trigger": "text", "source": IDLE, "dest": S.OFFERING_PROBLEM, "conditions": "has_known_problem",
     "before": ["new_case", "remember_description", "offer_problem"]},
    {"trigger": "text", "source": IDLE, "dest": S.OFFERING_FAQ, "conditions": "has_faq_hit",
     "before": ["new_case", "remember_description"]},
    {"trigger": "text", "source": IDLE, "dest": S.AWAITING_MODULE, "before": ["new_case", "remember_description"]},
    # global commands, in every state
    {"trigger": "help", "source": ALL, "dest": None, "after": "show_help"},
    {"trigger": "status", "source": ALL, "dest": None, "after": "show_status"},
    {"trigger": "cancel", "source": CASE_QUESTIONS, "dest": S.CANCELLED, "before": "drop_case"},
    {"trigger": "cancel", "source": ALL, "dest": None, "after": "say_nothing_to_cancel"},
    {"trigger": "restart", "source": ALL, "dest": S.AWAITING_PROBLEM, "conditions": "has_profile",
     "before": "new_case"},
    {"trigger": "restart", "source": ALL, "dest": S.AWAITING_LANGUAGE, "before": "new_case"},
    {"trigger": "change_language", "source": ALL, "dest": S.AWAITING_LANGUAGE, "before": "remember_where"},
    {"trigger": "change_profile", "source": ALL, "dest": S.AWAITING_ROLE, "before": "remember_where"},
    {"trigger": "human", "source": S.OFFERING_FAQ, "dest": S.AWAITING_CATEGORY, "conditions": "has_module",
     "before": "reject_faq"},
    {"trigger": "human", "source": S.OFFERING_FAQ, "dest": S.AWAITING_MODULE, "before": "reject_faq"},
    {"trigger": "human", "source": S.OFFERING_PROBLEM, "dest": S.AWAITING_MODULE, "before": "decline_problem"},
    {"trigger": "human", "source": TRIAGE, "dest": None, "after": "say_already_filing"},
    {"trigger": "human", "source": S.AWAITING_PROBLEM, "dest": None, "before": "skip_faq"},
    {"trigger": "human", "source": ALL, "dest": S.AWAITING_PROBLEM, "conditions": "has_profile",
     "before": ["new_case", "skip_faq"]},
    {"trigger": "human", "source": ALL, "dest": None, "before": "skip_faq"},
]
