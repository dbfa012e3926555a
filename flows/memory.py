"""What a conversation remembers between events, typed: the user's profile, the problem being described (the
case), and what the next answer refers to. Stored as JSON in `conversations.data`, with its version.

Version 1 was the same keys in an untyped dict without a version (before this module); migration 0020 stamps
stored rows with version 2, and `from_json` still reads a version-1 row, so a row written by an older
process during a rolling upgrade is understood too. A later change of shape bumps `VERSION`, reads the old
shape in `from_json` and rewrites stored rows in a migration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

VERSION = 2


@dataclass
class Profile:
    """Asked once and remembered: the user's language, role and ULB."""

    language: str | None = None
    role: str | None = None
    ulb: str | None = None

    def complete(self) -> bool:
        return bool(self.language and self.role and self.ulb)


@dataclass
class OfferedProblem:
    """The open known problem the description matched, offered to join."""

    id: int
    title: str
    workaround: str = ""


@dataclass
class Case:
    """The problem being described, until it is filed, joined to a known problem, solved or dropped."""

    description: str = ""
    attachments: list[dict[str, str]] = field(default_factory=list)
    faq_offered: list[dict[str, Any]] = field(default_factory=list)  # as the ticket keeps them
    skip_faq: bool = False  # the user asked for a person
    wordless: bool = False  # the description is a note about a recording, not the user's words
    problem: OfferedProblem | None = None
    module: str | None = None
    category: str | None = None
    impact: str | None = None
    workaround: str | None = None  # "yes" / "no"


@dataclass
class Appended:
    """The user's last message, which went to an open ticket at once (undone by "this is a new problem")."""

    number: str
    text: str


@dataclass
class Memory:
    profile: Profile = field(default_factory=Profile)
    case: Case = field(default_factory=Case)
    transcript: list[dict[str, str]] = field(default_factory=list)  # this case's, for the ticket
    faq_rejected: list[str] = field(default_factory=list)  # across restarts, until the problem is filed or solved
    editing: bool = False  # a summary answer is being changed: back to the summary after it
    resume: str | None = None  # the state to go back to after a language or profile change
    held_text: str | None = None  # a message kept while asking whether it belongs to the open ticket
    last_ticket: str = ""  # the ticket the current question is about
    appended: Appended | None = None
    feedback_skipped: str | None = None  # the resolved ticket whose "is it fixed?" the user went past

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Memory:
        """A stored row (version 2, or 1: the same keys, untyped, no version)."""
        profile, case = data.get("profile") or {}, data.get("case") or {}
        problem, appended = case.get("problem"), data.get("appended")
        return cls(
            profile=Profile(profile.get("language"), profile.get("role"), profile.get("ulb")),
            case=Case(
                description=case.get("description", ""), attachments=list(case.get("attachments", [])),
                faq_offered=list(case.get("faq_offered", [])), skip_faq=bool(case.get("skip_faq")),
                wordless=bool(case.get("wordless")),
                problem=OfferedProblem(int(problem["id"]), problem.get("title", ""), problem.get("workaround", ""))
                if problem else None,
                module=case.get("module"), category=case.get("category"), impact=case.get("impact"),
                workaround=case.get("workaround"),
            ),
            transcript=list(data.get("transcript", [])), faq_rejected=list(data.get("faq_rejected", [])),
            editing=bool(data.get("editing")), resume=data.get("resume"), held_text=data.get("held_text"),
            last_ticket=data.get("last_ticket") or "",
            appended=Appended(appended["number"], appended["text"]) if appended else None,
            feedback_skipped=data.get("feedback_skipped"),
        )

    def to_json(self) -> dict[str, Any]:
        """The row's JSON: what is set, under the same keys as version 1, and the version."""
        case = self.case
        case_json: dict[str, Any] = _set(
            description=case.description, attachments=case.attachments, faq_offered=case.faq_offered,
            skip_faq=case.skip_faq, wordless=case.wordless, module=case.module, category=case.category,
            impact=case.impact, workaround=case.workaround,
        )
        if case.problem is not None:
            case_json["problem"] = {"id": case.problem.id, "title": case.problem.title,
                                    "workaround": case.problem.workaround}
        data = _set(
            version=VERSION, transcript=self.transcript, faq_rejected=self.faq_rejected, editing=self.editing,
            resume=self.resume, held_text=self.held_text, last_ticket=self.last_ticket,
            feedback_skipped=self.feedback_skipped,
        )
        data["profile"] = _set(language=self.profile.language, role=self.profile.role, ulb=self.profile.ulb)
        data["case"] = case_json
        if self.appended is not None:
            data["appended"] = {"number": self.appended.number, "text": self.appended.text}
        return data


def _set(**values: Any) -> dict[str, Any]:
    """The values that say something (not None, False, "" or empty), to keep rows as small as version 1's."""
    return {key: value for key, value in values.items() if value}
