"""One user's conversation as the state machine's model: its conditions and actions.

Callbacks are named in `flows.flow.TRANSITIONS`; each receives the transition's `EventData` and does one
thing. They never send: what the bot says is appended to `self.replies`, and the engine returns it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from transitions.core import EventData

from core.i18n import OPERATOR_LANGUAGE, Catalog
from core.messages import Reply, UserRef
from core.settings import Settings
from flows.known_problems import best_match
from flows.states import S
from kb.protocol import Hit, Matcher
from tickets.desk import SqlTicketDesk
from tickets.feedback import SqlTicketFeedback
from tickets.priority import Priority, derive_priority
from tickets.problems import Joiner, KnownProblem, SqlProblems
from tickets.routing import response_target, route
from tickets.store import Ticket, TicketDraft, TicketStore

EMPLOYEE_AUDIENCE, CBO_AUDIENCE = "employee", "cbo"


@dataclass(frozen=True)
class FlowContext:
    """What a conversation needs from outside for one event: settings, texts, matcher, the ticket store."""

    settings: Settings
    catalog: Catalog
    matcher: Matcher
    tickets: TicketStore
    user: UserRef
    desk: SqlTicketDesk
    feedback: SqlTicketFeedback
    auto_assign: Callable[[str], Awaitable[str | None]]  # round robin to an L1 operator on shift, if enabled
    problems: SqlProblems | None = None  # open known problems a description is compared with


class Conversation:
    """The model `transitions` drives: state, collected data, and the replies of the current event."""

    state: str  # transitions reads and sets it (flows.engine.Engine._fire)

    def __init__(self, state: str, data: dict[str, Any], ctx: FlowContext) -> None:
        self.state = state
        self.data = data
        self.ctx = ctx
        self.replies: list[Reply] = []
        self._hits: tuple[Hit, ...] | None = None
        self._speaking: str | None = None  # set while rendering a text again for the operators
        self._active: Ticket | bool | None = False  # False: not looked up yet
        self._resolved: Ticket | bool | None = False
        self._known: KnownProblem | bool | None = False

    # -- helpers ---------------------------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    @property
    def catalog(self) -> Catalog:
        return self.ctx.catalog

    @property
    def profile(self) -> dict[str, Any]:
        return self.data.setdefault("profile", {})  # type: ignore[no-any-return]

    @property
    def case(self) -> dict[str, Any]:
        return self.data.setdefault("case", {})  # type: ignore[no-any-return]

    @property
    def language(self) -> str:
        return self._speaking or str(self.profile.get("language", "en"))

    def t(self, key: str, **params: object) -> str:
        return self.catalog.text(key, self.language, **params)

    def both(self, render: Callable[[], str]) -> tuple[str, str]:
        """`render()` in the user's language, and again in the operators' (English) for the transcript."""
        text = render()
        self._speaking = OPERATOR_LANGUAGE
        try:
            return text, render()
        finally:
            self._speaking = None

    def reply(self, render: Callable[[], str], ticket: str | None = None) -> None:
        text, english = self.both(render)
        self.replies.append(Reply(text, ticket=ticket, meta={OPERATOR_LANGUAGE: english}))

    def say(self, key: str, **params: object) -> None:
        self.reply(lambda: self.t(key, **params))

    def priority(self) -> Priority:
        return derive_priority(self.case["category"], self.case["impact"], self.case["workaround"] == "yes")

    def text_of(self, event: EventData) -> str:
        """The words this event is about: its own text, or the message held while asking what it was."""
        return str(event.kwargs.get("text") or self.data.get("held_text") or "")

    async def active_ticket(self) -> Ticket | None:
        if self._active is False:
            self._active = await self.ctx.tickets.latest_active(self.ctx.user.channel, self.ctx.user.user_id)
        return self._active if isinstance(self._active, Ticket) else None

    async def resolved_ticket(self) -> Ticket | None:
        """The user's resolved ticket still waiting for their "is it fixed?" (unless they skipped it)."""
        if self._resolved is False:
            ticket = await self.ctx.tickets.latest_resolved_unrated(self.ctx.user.channel, self.ctx.user.user_id)
            skipped = ticket is not None and ticket.number == self.data.get("feedback_skipped")
            self._resolved = None if skipped else ticket
        return self._resolved if isinstance(self._resolved, Ticket) else None

    def _faq_hits(self, text: str) -> tuple[Hit, ...]:
        if self._hits is None:
            audience = CBO_AUDIENCE if self.profile.get("role") == "cbo" else EMPLOYEE_AUDIENCE
            result = self.ctx.matcher.propose(  # one clear answer, or up to faq_max_hits close ones
                text, lang=self.language, limit=self.settings.faq_max_hits, audience=audience
            )
            self._hits = result.confident_hits
        return self._hits

    # -- conditions ------------------------------------------------------------------------------------
    def has_profile(self, event: EventData) -> bool:
        return all(self.profile.get(k) for k in ("language", "role", "ulb"))

    def is_resuming(self, event: EventData) -> bool:
        return bool(self.data.get("resume")) and self.has_profile(event)

    def is_editing(self, event: EventData) -> bool:
        return bool(self.data.get("editing"))

    def has_faq_hit(self, event: EventData) -> bool:
        """The knowledge base answers confidently (never asked when the user chose a human)."""
        return not self.case.get("skip_faq") and bool(self._faq_hits(self.text_of(event)))

    async def has_known_problem(self, event: EventData) -> bool:
        """The description matches an open known problem of the user's ULB (or of every ULB)."""
        if self._known is False:
            found = None
            if self.ctx.problems is not None:
                known = await self.ctx.problems.known(self.profile.get("ulb"))
                found = best_match(self.text_of(event), known, self.settings.problem_match_similarity)
            self._known = found
        return isinstance(self._known, KnownProblem)

    def has_faq_offered(self, event: EventData) -> bool:
        return bool(self.case.get("faq_offered"))

    async def has_ticket_waiting(self, event: EventData) -> bool:
        """The helpdesk asked this user something and waits for the answer."""
        ticket = await self.active_ticket()
        return ticket is not None and ticket.status == "waiting_on_user"

    async def has_active_ticket(self, event: EventData) -> bool:
        return await self.active_ticket() is not None

    async def has_resolution_to_confirm(self, event: EventData) -> bool:
        return await self.resolved_ticket() is not None

    # -- actions ---------------------------------------------------------------------------------------
    def greet(self, event: EventData) -> None:
        self.say("greeting")

    def remember_choice(self, event: EventData) -> None:
        from flows.questions import QUESTIONS

        question = QUESTIONS[self.state]
        assert question.field, f"{self.state} has no field to remember"
        section, name = question.field.split(".")
        self.data.setdefault(section, {})[name] = event.kwargs["value"]
        if name == "language":
            code = event.kwargs["value"]
            self.reply(lambda: self.t("language.changed", language=self.t(f"language.name.{code}")))
        elif name == "ulb":
            self.say("profile.saved")
        self.data.pop("editing", None)

    def remember_description(self, event: EventData) -> None:
        text = self.text_of(event)
        self.data.pop("held_text", None)
        self.case["description"] = text
        self.case["attachments"] = self.case.get("attachments", []) + event.kwargs.get("attachments", [])
        if not self.data.pop("editing", None) and not self.case.get("skip_faq"):
            hits = self._faq_hits(text)
            self.case["faq_offered"] = [
                {"id": h.entry_id, "question": h.question, "answer": h.answer, "score": round(h.score, 3)}
                for h in hits
            ]

    def offer_problem(self, event: EventData) -> None:
        assert isinstance(self._known, KnownProblem)
        known = self._known
        self.case["problem"] = {"id": known.id, "title": known.title, "workaround": known.workaround or ""}

    def decline_problem(self, event: EventData) -> None:
        self.case.pop("problem", None)

    async def file_for_problem(self, event: EventData) -> None:
        """Add the user to the known problem's list: a ticket linked to it, no triage questions."""
        assert self.ctx.problems is not None
        case, user = self.case, self.ctx.user
        joiner = Joiner(user.channel, user.user_id, self.profile.get("role"), self.profile.get("ulb"),
                        self.language, case["description"], list(self.data.get("transcript", [])))
        ticket = await self.ctx.problems.join(int(case["problem"]["id"]), joiner)
        self.reply(lambda: self.t("problem.joined", number=ticket.number), ticket=ticket.number)
        self._close_case()

    def reject_faq(self, event: EventData) -> None:
        self.case["faq_rejected"] = [hit["id"] for hit in self.case.get("faq_offered", [])]

    async def record_deflection(self, event: EventData) -> None:
        await self.ctx.tickets.record_deflection(
            self.ctx.user.channel, self.ctx.user.user_id, event.kwargs["value"],
            self.case.get("description", ""), self.profile.get("ulb"),
        )
        self.say("faq.deflected")
        self._close_case()

    async def file_ticket(self, event: EventData) -> None:
        case, priority = self.case, self.priority()
        team = route(case["category"], self.settings)
        draft = TicketDraft(
            channel=self.ctx.user.channel, user_id=self.ctx.user.user_id,
            role=self.profile.get("role"), ulb=self.profile.get("ulb"), language=self.language,
            module=case["module"], category=case["category"], priority=priority.level,
            priority_reason=self.catalog.text(priority.reason, "en"), description=case["description"],
            team=team, attachments=case.get("attachments", []), transcript=list(self.data.get("transcript", [])),
            faq_offered=case.get("faq_offered", []), faq_rejected=case.get("faq_rejected", []),
        )
        ticket = await self.ctx.tickets.file(draft)
        await self.ctx.auto_assign(ticket.number)
        amount, unit = response_target(priority.level, self.settings)
        target_key = "target.business_day" if (unit, amount) == ("business_days", 1) else f"target.{unit}"
        self.reply(lambda: self.t("filed", number=ticket.number, priority=priority.level,
                                  team=self.settings.team_name(team), target=self.t(target_key, n=amount)),
                   ticket=ticket.number)
        self._close_case()

    async def hold_message(self, event: EventData) -> None:
        """Keep the message while asking what it is about, and remember which ticket the question names."""
        asking_fixed = event.transition is not None and event.transition.dest == S.ASKING_FIXED
        ticket = await (self.resolved_ticket() if asking_fixed else self.active_ticket())
        self.data["held_text"] = event.kwargs["text"]
        self.data["last_ticket"] = ticket.number if ticket else ""

    async def append_to_ticket(self, event: EventData) -> None:
        """The user's message goes to their open ticket for the team to read; a paused SLA runs again."""
        ticket = await self.active_ticket()
        text = self.text_of(event)
        self.data.pop("held_text", None)
        if ticket is None:
            return
        await self.ctx.desk.add_user_message(ticket.number, self.ctx.user.user_id, text)
        self.say("followup.added", number=ticket.number)

    def skip_feedback(self, event: EventData) -> None:
        if self.state == S.ASKING_FIXED:
            self.data["feedback_skipped"] = self.data.get("last_ticket")

    async def mark_fixed(self, event: EventData) -> None:
        await self.ctx.feedback.fixed(self.data["last_ticket"], self.ctx.user.user_id)
        self.data.pop("held_text", None)
        self.say("feedback.glad")

    async def mark_not_fixed(self, event: EventData) -> None:
        number = self.data["last_ticket"]
        outcome = await self.ctx.feedback.not_fixed(number, self.ctx.user.user_id, self.data.pop("held_text", ""))
        if outcome.reopened:
            self.say("feedback.reopened", number=number)
        else:
            follow_up = outcome.ticket.number
            self.reply(lambda: self.t("feedback.follow_up", old=number, number=follow_up,
                                      days=self.settings.reopen_days), ticket=follow_up)

    async def record_rating(self, event: EventData) -> None:
        await self.ctx.feedback.rate(self.data["last_ticket"], self.ctx.user.user_id, int(event.kwargs["value"]))
        self.say("feedback.thanks")

    def start_editing(self, event: EventData) -> None:
        self.data["editing"] = True

    def _close_case(self) -> None:
        """The case is filed, joined to a problem or answered by the FAQ: its transcript has gone with it (the
        ticket keeps a copy), and only what starts the next case is read again (new_case), so the lines in
        between are not carried, and rewritten, on every turn until then."""
        self.data["case"] = {}
        self.data["transcript"] = []

    def new_case(self, event: EventData) -> None:
        """Forget the previous problem; the transcript keeps only what starts this one: the message, or the
        message held while asking whether it was about the open ticket, that question and its answer."""
        self.data["case"] = {}
        self.data.pop("editing", None)
        transcript, held = self.data.get("transcript", []), self.data.get("held_text")
        start = next((n for n in range(len(transcript) - 1, -1, -1)
                      if held and transcript[n].get("from") == "user" and transcript[n].get("text") == held),
                     len(transcript) - 1)
        self.data["transcript"] = transcript[max(start, 0):]

    def drop_case(self, event: EventData) -> None:
        self.data["case"] = {}
        self.data.pop("editing", None)
        self.say("cancelled")

    def remember_where(self, event: EventData) -> None:
        if self.state not in (S.AWAITING_LANGUAGE, S.AWAITING_ROLE, S.AWAITING_ULB, S.NEW):
            self.data["resume"] = self.state

    def resume(self, event: EventData) -> None:
        event.machine.set_state(self.data.pop("resume"), model=self)

    def skip_faq(self, event: EventData) -> None:
        self.case["skip_faq"] = True
        self.say("human.noted")

    def show_help(self, event: EventData) -> None:
        self.say("help")

    async def show_status(self, event: EventData) -> None:
        tickets = await self.ctx.tickets.for_user(self.ctx.user.channel, self.ctx.user.user_id)
        if not tickets:
            self.say("status.none")
            return


        def listing() -> str:
            lines = [self.t("status.header")]
            for ticket in tickets:
                state = self.t(f"status.state.{ticket.status}", team=self.settings.team_name(ticket.team))
                date = self.catalog.date(ticket.created_at, self.language) if ticket.created_at else ""
                lines.append(self.t("status.line", number=ticket.number, state=state, priority=ticket.priority,
                                    module=self.t(f"module.{ticket.module}"), date=date))
            return "\n".join(lines)

        self.reply(listing)

    def say_nothing_to_cancel(self, event: EventData) -> None:
        self.say("cancel_nothing")

    def say_already_filing(self, event: EventData) -> None:
        self.say("human.already")
