"""One user's conversation as the state machine's model: its conditions and actions.

Callbacks are named in `flows.flow.TRANSITIONS`; each receives the transition's `EventData` and does one
thing. They never send: what the bot says is appended to `self.replies`, and the engine returns it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from transitions.core import EventData

from core import ticket_choices
from core.errors import NotFound
from core.i18n import OPERATOR_LANGUAGE, Catalog
from core.messages import LANGUAGE, Choice, Reply, UserRef
from core.modules import EXTRA_TOPICS
from core.settings import Settings
from flows.known_problems import best_match
from flows.memory import Appended, Case, Memory, OfferedProblem, Profile
from flows.ports import Desk, Feedback, Knowledge, Problems
from flows.questions import QUESTIONS, rating_reply
from flows.states import AFTER_HANDOFF, S
from kb.offer import audience_of, faq_offer
from kb.protocol import Hit, Matcher
from tickets.desk import MERGE_HOPS
from tickets.lifecycle import ACTIVE
from tickets.priority import Priority, derive_priority
from tickets.problems import Joiner, KnownProblem
from tickets.routing import response_target, route
from tickets.store import Ticket, TicketDraft, TicketStore

if TYPE_CHECKING:
    from kb.schema import Entry

T = TypeVar("T")
# The menu's "something else" covers the topics that have no menu entry of their own.
OTHER_MODULE = "other"


def module_entries(knowledge: Knowledge, module: str, role: str | None) -> list[Entry]:
    """The knowledge base's entries about a module for the user's role, in file order."""
    wanted = {module} | (set(EXTRA_TOPICS) if module == OTHER_MODULE else set())
    audience = audience_of(role)
    return [e for e in knowledge.knowledge_base.entries if e.module in wanted and e.audience in ("all", audience)]


class Once(Generic[T]):
    """A lookup made at most once (its answer may well be None)."""

    def __init__(self, fetch: Callable[[], Awaitable[T]]) -> None:
        self._fetch = fetch
        self._answer: tuple[T] | None = None

    async def get(self) -> T:
        if self._answer is None:
            self._answer = (await self._fetch(),)
        return self._answer[0]


@dataclass(frozen=True)
class FlowContext:
    """What a conversation needs from outside for one event: settings, texts, and ports (flows.ports) onto the
    tickets, the knowledge base and the known problems."""

    settings: Settings
    catalog: Catalog
    matcher: Matcher
    tickets: TicketStore
    user: UserRef
    desk: Desk
    feedback: Feedback
    auto_assign: Callable[[str], Awaitable[str | None]]  # round robin to an L1 operator on shift, if enabled
    problems: Problems | None = None  # open known problems a description is compared with
    knowledge: Knowledge | None = None  # the entries of a module, for a description without words


class Conversation:
    """The model `transitions` drives: state, collected data, and the replies of the current event."""

    state: str  # transitions reads and sets it (flows.engine.Engine._fire)

    def __init__(self, state: str, data: Memory, ctx: FlowContext) -> None:
        self.state = state
        self.data = data
        self.ctx = ctx
        self.replies: list[Reply] = []
        self._hits: tuple[Hit, ...] | None = None
        self._speaking: str | None = None  # set while rendering a text again for the operators
        # lookups made at most once per event
        self._active = Once(self._latest_active)
        self._resolved = Once(self._latest_resolved)
        self._known: dict[str, KnownProblem | None] = {}  # by the description compared
        self._named: dict[str, Ticket | None] = {}  # tickets the user's buttons named, by number
        self._module_hits: list[dict[str, Any]] | None = None

    # -- helpers ---------------------------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    @property
    def catalog(self) -> Catalog:
        return self.ctx.catalog

    @property
    def profile(self) -> Profile:
        return self.data.profile

    @property
    def case(self) -> Case:
        return self.data.case

    @property
    def language(self) -> str:
        return self._speaking or self.profile.language or "en"

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

    def reply(self, render: Callable[[], str], ticket: str | None = None, choices: tuple[Choice, ...] = ()) -> None:
        text, english = self.both(render)
        self.replies.append(Reply(text, choices, ticket=ticket, meta={OPERATOR_LANGUAGE: english,
                                                                      LANGUAGE: self.language}))

    def say(self, key: str, **params: object) -> None:
        self.reply(lambda: self.t(key, **params))

    def team_name(self, code: str) -> str:
        """A team's name in the user's language (the catalogue's), else as configured."""
        key = f"team.{code}"
        return self.t(key) if self.catalog.has(key) else self.settings.team_name(code)

    def ulb_name(self, code: str) -> str:
        """A ULB's name in the user's language and script (the catalogue's), else as configured."""
        key = f"ulb.{code.replace('.', '_')}"
        configured = next((u.name for u in self.settings.ulbs if u.code == code), code)
        return self.t(key) if self.catalog.has(key) else configured

    def priority(self) -> Priority:
        case = self.case
        assert case.category and case.impact, "the priority follows the category and impact questions"
        return derive_priority(case.category, case.impact, case.workaround == "yes")

    def text_of(self, event: EventData) -> str:
        """The words this event is about: its own text, the message held while asking what it was, or the one
        the user moves off a ticket as a new problem."""
        appended = self.data.appended
        moved = appended.text if appended is not None and event.event.name == ticket_choices.SPLIT else None
        return str(event.kwargs.get("text") or self.data.held_text or moved or "")

    def number_of(self, event: EventData) -> str:
        """The ticket the event is about: the one its button names, else the one last asked about."""
        return str(event.kwargs.get("number") or self.data.last_ticket or "")

    async def named_ticket(self, number: str) -> Ticket | None:
        """The user's own ticket of that number (None for a ticket of anyone else, or none at all)."""
        if number not in self._named:
            try:
                ticket: Ticket | None = await self.ctx.tickets.get(number)
            except NotFound:
                ticket = None
            mine = ticket is not None and (ticket.channel, ticket.user_id) == (self.ctx.user.channel,
                                                                               self.ctx.user.user_id)
            self._named[number] = await self.tracked(ticket) if mine and ticket is not None else None
        return self._named[number]

    async def tracked(self, ticket: Ticket) -> Ticket:
        """The user's ticket as they follow it: one merged into another has that one's status, and its
        `merged_into` names the ticket at the end of the chain (the one the team works on)."""
        tracker = ticket
        for _ in range(MERGE_HOPS):
            if not tracker.merged_into:
                break
            tracker = await self.ctx.tickets.get(tracker.merged_into)
        return ticket if tracker is ticket else replace(ticket, status=tracker.status, merged_into=tracker.number)

    async def active_ticket(self) -> Ticket | None:
        return await self._active.get()

    async def resolved_ticket(self) -> Ticket | None:
        """The user's resolved ticket still waiting for their "is it fixed?" (unless they skipped it)."""
        return await self._resolved.get()

    async def _latest_active(self) -> Ticket | None:
        ticket = await self.ctx.tickets.latest_active(self.ctx.user.channel, self.ctx.user.user_id)
        if ticket is None or not ticket.merged_into:
            return ticket
        followed = await self.tracked(ticket)
        return followed if followed.status in ACTIVE else None

    async def _latest_resolved(self) -> Ticket | None:
        ticket = await self.ctx.tickets.latest_resolved_unrated(self.ctx.user.channel, self.ctx.user.user_id)
        return None if ticket is not None and ticket.number == self.data.feedback_skipped else ticket

    async def known_problem(self, text: str) -> KnownProblem | None:
        """The open known problem of the user's ULB (or of every ULB) the description matches, if any."""
        if text not in self._known:
            found = None
            if self.ctx.problems is not None:
                known = await self.ctx.problems.known(self.profile.ulb)
                found = best_match(text, known, self.settings.problem_match_similarity)
            self._known[text] = found
        return self._known[text]

    def _faq_hits(self, text: str) -> tuple[Hit, ...]:
        """The matcher's confident answers, less those the user already rejected for this problem."""
        if self._hits is None:
            result = faq_offer(self.ctx.matcher, text, language=self.language, role=self.profile.role,
                               limit=self.settings.faq_max_hits, exclude=frozenset(self.data.faq_rejected))
            self._hits = result.confident_hits
        return self._hits

    # -- conditions ------------------------------------------------------------------------------------
    def has_profile(self, event: EventData) -> bool:
        return self.profile.complete()

    def is_resuming(self, event: EventData) -> bool:
        return bool(self.data.resume) and self.has_profile(event)

    def is_editing(self, event: EventData) -> bool:
        return self.data.editing

    def has_faq_hit(self, event: EventData) -> bool:
        """The knowledge base answers confidently (never asked when the user chose a human, nor for a
        description without words: a voice message)."""
        if self.case.skip_faq or event.kwargs.get("wordless"):
            return False
        return bool(self._faq_hits(self.text_of(event)))

    async def has_known_problem(self, event: EventData) -> bool:
        """The description matches an open known problem of the user's ULB (or of every ULB)."""
        if event.kwargs.get("wordless"):
            return False
        return await self.known_problem(self.text_of(event)) is not None

    def has_faq_offered(self, event: EventData) -> bool:
        return bool(self.case.faq_offered)

    def has_module(self, event: EventData) -> bool:
        return bool(self.case.module)

    async def has_module_faq(self, event: EventData) -> bool:
        """A description without words could not be matched: once its module is known, the module's answers
        that solved most users' problems are offered instead (not for a user who chose a human)."""
        if not self.case.wordless or self.case.skip_faq or self.ctx.knowledge is None:
            return False
        if self._module_hits is None:
            rejected = set(self.data.faq_rejected)
            entries = [e for e in module_entries(self.ctx.knowledge, str(event.kwargs["value"]),
                                                 self.profile.role) if e.id not in rejected]
            solved = await self.ctx.tickets.deflection_counts([e.id for e in entries]) if entries else {}
            ranked = sorted(entries, key=lambda e: -solved.get(e.id, 0))[: self.settings.faq_max_hits]  # stable
            self._module_hits = [
                {"id": e.id, "question": question, "answer": answer, "solved": solved.get(e.id, 0)}
                for e in ranked for question, answer in [e.texts(self.language)]
            ]
        return bool(self._module_hits)

    async def has_operator_question(self, event: EventData) -> bool:
        """The helpdesk's last word on the user's open ticket is to them (a reply, or waiting on them)."""
        ticket = await self.active_ticket()
        if ticket is None:
            return False
        return ticket.status == "waiting_on_user" or await self.ctx.desk.asked_user_last(
            ticket.merged_into or ticket.number)

    async def is_feedback_open(self, event: EventData) -> bool:
        """The ticket the event names is the user's and resolved (or closed): fixed, not fixed, a rating."""
        ticket = await self.named_ticket(self.number_of(event))
        return ticket is not None and ticket.status in ("resolved", "closed")

    async def is_named_ticket_active(self, event: EventData) -> bool:
        ticket = await self.named_ticket(self.number_of(event))
        return ticket is not None and ticket.status in ACTIVE

    def is_split_open(self, event: EventData) -> bool:
        """The user's last message went to the ticket this undo names, and nothing has happened since."""
        return self.data.appended is not None and self.data.appended.number == self.number_of(event)

    async def has_active_ticket(self, event: EventData) -> bool:
        return await self.active_ticket() is not None

    async def has_resolution_to_confirm(self, event: EventData) -> bool:
        return await self.resolved_ticket() is not None

    # -- actions ---------------------------------------------------------------------------------------
    def greet(self, event: EventData) -> None:
        self.say("greeting")

    def remember_choice(self, event: EventData) -> None:
        question = QUESTIONS[self.state]
        assert question.field, f"{self.state} has no field to remember"
        section, name = question.field.split(".")
        setattr(self.profile if section == "profile" else self.case, name, event.kwargs["value"])
        if name == "language":
            code = event.kwargs["value"]
            self.reply(lambda: self.t("language.changed", language=self.t(f"language.name.{code}")))
        elif name == "ulb":
            self.say("profile.saved")
        self.data.editing = False

    def remember_description(self, event: EventData) -> None:
        text = self.text_of(event)
        self.data.held_text = None
        self.case.description = text
        self.case.attachments = self.case.attachments + event.kwargs.get("attachments", [])
        editing, self.data.editing = self.data.editing, False
        self.case.wordless = bool(event.kwargs.get("wordless"))
        if not editing and not self.case.wordless and not self.case.skip_faq:
            hits = self._faq_hits(text)
            self.case.faq_offered = [
                {"id": h.entry_id, "question": h.question, "answer": h.answer, "score": round(h.score, 3)}
                for h in hits
            ]

    def offer_module_faq(self, event: EventData) -> None:
        assert self._module_hits is not None
        self.case.faq_offered = self._module_hits

    def offer_problem(self, event: EventData) -> None:
        known = self._known.get(self.case.description)  # remember_description: the text has_known_problem read
        assert known is not None, "offer_problem follows has_known_problem and remember_description"
        self.case.problem = OfferedProblem(known.id, known.title, known.workaround or "")

    def decline_problem(self, event: EventData) -> None:
        self.case.problem = None

    async def file_for_problem(self, event: EventData) -> None:
        """Add the user to the known problem's list: a ticket linked to it, no triage questions."""
        assert self.ctx.problems is not None
        case, user = self.case, self.ctx.user
        assert case.problem is not None
        joiner = Joiner(user.channel, user.user_id, self.profile.role, self.profile.ulb,
                        self.language, case.description, list(self.data.transcript))
        ticket = await self.ctx.problems.join(case.problem.id, joiner)
        self.reply(lambda: self.t("problem.joined", number=ticket.number), ticket=ticket.number)
        self._close_case()

    def reject_faq(self, event: EventData) -> None:
        """Remember the rejected answers for this problem, across a restart, until it is filed or solved."""
        rejected = [hit["id"] for hit in self.case.faq_offered]
        self.data.faq_rejected = list(dict.fromkeys([*self.data.faq_rejected, *rejected]))

    async def record_deflection(self, event: EventData) -> None:
        await self.ctx.tickets.record_deflection(
            self.ctx.user.channel, self.ctx.user.user_id, event.kwargs["value"],
            self.case.description, self.profile.ulb,
        )
        self.say("faq.deflected")
        self._close_case()

    async def file_ticket(self, event: EventData) -> None:
        case, priority = self.case, self.priority()
        assert case.module and case.category
        team = route(case.category, self.settings)
        draft = TicketDraft(
            channel=self.ctx.user.channel, user_id=self.ctx.user.user_id,
            role=self.profile.role, ulb=self.profile.ulb, language=self.language,
            module=case.module, category=case.category, priority=priority.level,
            priority_reason=self.catalog.text(priority.reason, "en"), description=case.description,
            team=team, attachments=case.attachments, transcript=list(self.data.transcript),
            faq_offered=case.faq_offered, faq_rejected=self.data.faq_rejected,
        )
        ticket = await self.ctx.tickets.file(draft)
        await self.ctx.auto_assign(ticket.number)
        amount, unit = response_target(priority.level, self.settings)
        target_key = "target.business_day" if (unit, amount) == ("business_days", 1) else f"target.{unit}"
        self.reply(lambda: self.t("filed", number=ticket.number, priority=priority.level,
                                  team=self.team_name(team), target=self.t(target_key, n=amount)),
                   ticket=ticket.number)
        self._close_case()

    async def hold_message(self, event: EventData) -> None:
        """Keep the message while asking what it is about, and remember which ticket the question names."""
        asking_fixed = event.transition is not None and event.transition.dest == S.ASKING_FIXED
        ticket = await (self.resolved_ticket() if asking_fixed else self.active_ticket())
        self.data.held_text = event.kwargs["text"]
        self.data.last_ticket = ticket.number if ticket else ""

    async def append_to_ticket(self, event: EventData) -> None:
        """The held message goes to the ticket the user chose, for the team to read; a paused SLA runs again."""
        number = await self.ctx.desk.add_user_message(self.number_of(event), self.ctx.user.user_id,
                                                      self.text_of(event))  # a merged ticket's go to its survivor
        self.data.held_text = None
        self.say("followup.added", number=number)

    async def answer_operator(self, event: EventData) -> None:
        """The user's message after the team's question goes to that ticket at once, with a one-tap undo."""
        ticket = await self.active_ticket()
        assert ticket is not None
        text = self.text_of(event)
        went = await self.ctx.desk.add_user_message(ticket.number, self.ctx.user.user_id, text)
        self.data.appended = Appended(ticket.number, text)
        undo = ticket_choices.choice(ticket_choices.SPLIT, ticket.number, self.t("followup.split"))
        self.reply(lambda: self.t("followup.added", number=went), choices=(undo,))

    async def withdraw_message(self, event: EventData) -> None:
        """Take the message back off the ticket: it starts the new problem instead."""
        appended, self.data.appended = self.data.appended, None
        assert appended is not None
        await self.ctx.desk.withdraw_user_message(appended.number, self.ctx.user.user_id, appended.text)
        self.data.held_text = appended.text

    def say_split_too_late(self, event: EventData) -> None:
        self.say("followup.split_too_late", number=self.number_of(event))

    async def say_resolved_meanwhile(self, event: EventData) -> None:
        """The ticket the user wanted their message added to was resolved since: ask whether it is fixed."""
        self.data.last_ticket = number = self.number_of(event)
        self.say("followup.resolved_meanwhile", number=number)

    def say_stale(self, event: EventData) -> None:
        self.say("invalid.stale")

    def say_no_comment(self, event: EventData) -> None:
        self.say("feedback.no_comment")

    def say_feedback_closed(self, event: EventData) -> None:
        """A "fixed" or rating button of a ticket that is no longer resolved (reopened, or not theirs)."""
        self.say("feedback.closed", number=self.number_of(event) or "-")

    def skip_feedback(self, event: EventData) -> None:
        if self.state == S.ASKING_FIXED:
            self.data.feedback_skipped = self.data.last_ticket

    async def mark_fixed(self, event: EventData) -> None:
        """Fixed: thank the user, and ask the rating (the next question, or here when another one waits)."""
        number = self.number_of(event)
        await self.ctx.feedback.fixed(number, self.ctx.user.user_id)
        self.say("feedback.glad")
        if event.transition is not None and event.transition.dest == S.ASKING_RATING:
            self.data.last_ticket = number
            self.data.held_text = None
        else:
            self.replies.append(rating_reply(self, number))

    async def mark_not_fixed(self, event: EventData) -> None:
        number = self.number_of(event)
        source = event.transition.source if event.transition is not None else None
        held = source in AFTER_HANDOFF and self.data.last_ticket == number
        words = (self.data.held_text or "") if held else ""
        if held:
            self.data.held_text = None
        outcome = await self.ctx.feedback.not_fixed(number, self.ctx.user.user_id, words)
        if outcome.reopened:  # a merged ticket's: the one that tracks it
            self.say("feedback.reopened", number=outcome.ticket.number)
        else:
            follow_up, old = outcome.ticket.number, outcome.ticket.parent_number or number
            self.reply(lambda: self.t("feedback.follow_up", old=old, number=follow_up,
                                      days=self.settings.reopen_days), ticket=follow_up)

    async def record_rating(self, event: EventData) -> None:
        number = self.number_of(event)
        await self.ctx.feedback.rate(number, self.ctx.user.user_id, int(event.kwargs["value"]))
        self.data.last_ticket = number
        self.say("feedback.thanks")

    async def record_comment(self, event: EventData) -> None:
        await self.ctx.feedback.comment(self.data.last_ticket, self.ctx.user.user_id, self.text_of(event))
        self.say("feedback.comment_saved")

    def start_editing(self, event: EventData) -> None:
        self.data.editing = True

    def _close_case(self) -> None:
        """The case is filed, joined to a problem or answered by the FAQ: its transcript has gone with it (the
        ticket keeps a copy), and only what starts the next case is read again (new_case), so the lines in
        between are not carried, and rewritten, on every turn until then."""
        self.data.case = Case()
        self.data.transcript = []
        self.data.faq_rejected = []

    def new_case(self, event: EventData) -> None:
        """Forget the previous problem; the transcript keeps only what starts this one: the message, or the
        message held while asking whether it was about the open ticket, that question and its answer. A
        question the user left to change the language or profile is no longer theirs to go back to."""
        self.data.case = Case()
        self.data.editing = False
        self.data.resume = None
        transcript, held = self.data.transcript, self.data.held_text
        start = next((n for n in range(len(transcript) - 1, -1, -1)
                      if held and transcript[n].get("from") == "user" and transcript[n].get("text") == held),
                     len(transcript) - 1)
        self.data.transcript = transcript[max(start, 0):]

    def drop_case(self, event: EventData) -> None:
        self.data.case = Case()
        self.data.editing = False
        self.data.resume = None
        self.say("cancelled")

    def remember_where(self, event: EventData) -> None:
        if self.state not in (S.AWAITING_LANGUAGE, S.AWAITING_ROLE, S.AWAITING_ULB, S.NEW):
            self.data.resume = self.state

    def resume(self, event: EventData) -> None:
        resume, self.data.resume = self.data.resume, None
        assert resume is not None, "resume follows is_resuming"
        event.machine.set_state(resume, model=self)

    def skip_faq(self, event: EventData) -> None:
        self.case.skip_faq = True
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
                state = self.t(f"status.state.{ticket.status}", team=self.team_name(ticket.team))
                date = self.catalog.date(ticket.created_at, self.language) if ticket.created_at else ""
                lines.append(self.t("status.line", number=ticket.number, state=state, priority=ticket.priority,
                                    module=self.t(f"module.{ticket.module}"), date=date))
            return "\n".join(lines)

        self.reply(listing)

    def say_nothing_to_cancel(self, event: EventData) -> None:
        self.say("cancel_nothing")

    def say_already_filing(self, event: EventData) -> None:
        self.say("human.already")
