"""What the bot asks in each state, and the options it offers there."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from core import ticket_choices as tc
from core.i18n import LANGUAGES, OPERATOR_LANGUAGE, Catalog
from core.messages import ANSWER, ASKS, CHOICE, LANGUAGE, PROFILE, TEXT, ULB_FIELD, Awaits, Choice, Reply, Waiting
from core.modules import MENU_MODULES
from core.settings import Settings
from flows.input import Option
from flows.memory import Case, Memory
from flows.states import IDLE, S
from flows.words import LANGUAGE_NAMES, NO_WORDS, YES_WORDS, all_words
from tickets.priority import CATEGORIES, IMPACTS, Priority

ROLES = (
    "cbo", "junior_engineer", "executive_engineer", "executive_officer", "accountant",
    "program_coordinator", "other_staff",
)
YES_ALIASES = all_words(YES_WORDS)
NO_ALIASES = all_words(NO_WORDS)
EDIT_PARTS = ("description", "module", "category", "impact")
RATINGS = range(1, 6)
# the ids of the options that go on towards a ticket (Question.goes_on: a channel's "file it" shortcut)
NONE_SOLVED, DIFFERENT_ISSUE, CONFIRM = "none", "different_issue", "confirm"



class Asked(Protocol):
    """What a question reads from the conversation it is asked in (flows.conversation.Conversation)."""

    data: Memory

    @property
    def settings(self) -> Settings: ...
    @property
    def catalog(self) -> Catalog: ...
    @property
    def case(self) -> Case: ...
    @property
    def language(self) -> str: ...
    def t(self, key: str, **params: object) -> str: ...
    def both(self, render: Callable[[], str]) -> tuple[str, str]: ...
    def priority(self) -> Priority: ...
    def ulb_name(self, code: str) -> str: ...

@dataclass(frozen=True)
class Question:
    """A state's question: where the answer goes, how it is asked, and its options (none for free text)."""

    field: str | None
    prompt: Callable[[Asked], str]
    options: Callable[[Asked], list[Option]] | None = None
    parts: Callable[[Asked], list[str]] | None = None  # the prompt in pieces (Reply.parts)
    free_text: bool = False  # words that are none of the options answer it too (trigger "text")
    awaits: Awaits | None = None  # what a channel is told it waits for (by default FIELD if it fills one)
    goes_on: str | None = None  # the id of its option that goes on toward a ticket (Waiting.goes_on)

    def waiting(self) -> Waiting:
        awaits = self.awaits or (Awaits.FIELD if self.field is not None else Awaits.OTHER)
        return Waiting(awaits, self.field, self.goes_on)

    def ask(self, conv: Asked) -> Reply:
        offered = self.options(conv) if self.options else []
        text, english = conv.both(lambda: self.prompt(conv))
        parts = tuple(self.parts(conv)) if self.parts else ()
        answer = TEXT if self.options is None or self.free_text else CHOICE
        meta = {OPERATOR_LANGUAGE: english, LANGUAGE: conv.language, ANSWER: answer}
        if self.field is not None:
            meta[ASKS] = self.field
        return Reply(text, tuple(Choice(o.id, o.label) for o in offered), parts=parts, meta=meta)


def _option(
    conv: Asked, id: str, key: str, trigger: str = "picked", value: str = "",
    aliases: tuple[str, ...] = (), **params: object,
) -> Option:
    """An option labelled in the user's language that also answers to its label in the other languages."""
    language, catalog = conv.language, conv.catalog

    def others() -> tuple[str, ...]:
        return tuple(catalog.text(key, lang, **params) for lang in LANGUAGES if lang != language)

    return Option(id, conv.t(key, **params), trigger, value, aliases, others)


def _keyed(prefix: str, codes: tuple[str, ...]) -> Callable[[Asked], list[Option]]:
    return lambda conv: [_option(conv, code, f"{prefix}.{code}", value=code) for code in codes]


def _languages(conv: Asked) -> list[Option]:
    # each language named in its own script, whatever the current language
    return [Option(code, conv.catalog.text(f"language.{code}", code), value=code, aliases=LANGUAGE_NAMES[code])
            for code in LANGUAGES]


def _ulbs(conv: Asked) -> list[Option]:
    # named in the user's language and script; the configured (Latin) name works when typed
    return [Option(u.code, conv.ulb_name(u.code), value=u.code, aliases=(u.name,)) for u in conv.settings.ulbs]


def _yes_no(conv: Asked) -> list[Option]:
    return [
        _option(conv, "yes", "answer.yes", value="yes", aliases=YES_ALIASES),
        _option(conv, "no", "answer.no", value="no", aliases=NO_ALIASES),
    ]


def _faq(conv: Asked) -> list[Option]:
    offered = conv.case.faq_offered
    if len(offered) == 1:
        solved = [_option(conv, "solved:1", "faq.solved_one", "solved", offered[0]["id"])]
    else:
        solved = [_option(conv, f"solved:{n}", "faq.solved_n", "solved", hit["id"], n=n)
                  for n, hit in enumerate(offered, start=1)]
    return [*solved, _option(conv, NONE_SOLVED, "faq.none", "not_solved")]


def _faq_prompt(conv: Asked) -> str:
    return "\n\n".join(_faq_parts(conv))


def _faq_parts(conv: Asked) -> list[str]:
    """The offer in pieces: the intro with the best answer, each other answer, the question."""
    offered = conv.case.faq_offered
    if len(offered) == 1:  # one answer is spoken of as one, without a number
        hit = offered[0]
        one = conv.t("faq.item_one", question=hit["question"], answer=hit["answer"])
        return [conv.t("faq.intro_one") + "\n\n" + one, conv.t("ask.faq_one")]
    items = [conv.t("faq.item", n=n, question=hit["question"], answer=hit["answer"])
             for n, hit in enumerate(offered, start=1)]
    if not items:
        return [conv.t("faq.intro"), conv.t("ask.faq")]
    return [conv.t("faq.intro") + "\n\n" + items[0], *items[1:], conv.t("ask.faq")]


def _problem_prompt(conv: Asked) -> str:
    if conv.data.editing:
        return conv.t("ask.problem_edit")
    return conv.t("ask.problem_for_human" if conv.case.skip_faq else "ask.problem")


def _problem_offer(conv: Asked) -> str:
    known = conv.case.problem
    parts = [conv.t("problem.known", title=known.title if known else "")]
    if known is not None and known.workaround:
        parts.append(conv.t("problem.workaround", workaround=known.workaround))
    return "\n\n".join([*parts, conv.t("ask.problem_join")])


def _problem_options(conv: Asked) -> list[Option]:
    return [
        _option(conv, "join_problem", "problem.join", "join_problem"),
        _option(conv, DIFFERENT_ISSUE, "problem.different", "different_issue"),
    ]


def _confirm_options(conv: Asked) -> list[Option]:
    return [_option(conv, CONFIRM, "confirm.file", "confirm")] + [
        _option(conv, f"edit_{part}", f"confirm.edit_{part}", f"edit_{part}") for part in EDIT_PARTS
    ]


def _summary(conv: Asked) -> str:
    case, priority = conv.case, conv.priority()
    summary = conv.t(
        "summary",
        description=case.description,
        module=conv.t(f"module.{case.module}"),
        category=conv.t(f"category.{case.category}"),
        impact=conv.t(f"impact.{case.impact}"),
        workaround=conv.t(f"answer.{case.workaround}"),
        priority=priority.level,
        reason=conv.t(priority.reason),
    )
    return f"{summary}\n\n{conv.t('ask.confirm')}"


def _followup_prompt(conv: Asked) -> str:
    return conv.t("followup.ask", number=conv.data.last_ticket)


def _followup_options(conv: Asked) -> list[Option]:
    number = conv.data.last_ticket
    return [
        _option(conv, tc.TicketChoice(tc.ADD, number).id, "followup.add", tc.ADD, number=number),
        _option(conv, "new_problem", "followup.new", "new_problem"),
    ]


def _fixed_prompt(conv: Asked) -> str:
    return conv.t("feedback.ask", number=conv.data.last_ticket)


def _fixed_options(conv: Asked) -> list[Option]:
    number = conv.data.last_ticket
    return [
        _option(conv, tc.TicketChoice(tc.FIXED, number).id, "feedback.yes", tc.FIXED, aliases=YES_ALIASES),
        _option(conv, tc.TicketChoice(tc.NOT_FIXED, number).id, "feedback.no", tc.NOT_FIXED, aliases=NO_ALIASES),
        _option(conv, "new_problem", "feedback.other", "new_problem"),
    ]


def _ratings(conv: Asked, number: str | None = None) -> list[Option]:
    """1 to 5, each labelled once ("1 (poor)"): a numbered channel shows the label alone (bot.console)."""
    number = number or conv.data.last_ticket
    return [_option(conv, tc.TicketChoice(tc.RATE, number, str(n)).id, f"feedback.rating.r{n}", tc.RATE, str(n))
            for n in RATINGS]


def rating_reply(conv: Asked, number: str) -> Reply:
    """The rating question for a ticket, asked while the conversation waits on another question."""
    text, english = conv.both(lambda: conv.t("feedback.rate_ticket", number=number))
    return Reply(text, tuple(Choice(o.id, o.label) for o in _ratings(conv, number)), meta={OPERATOR_LANGUAGE: english})


def resolution_choices(conv: Asked, number: str) -> tuple[Choice, ...]:
    """The buttons of a resolution message: "Fixed" (on to the rating) and "Still not working"."""
    return (tc.choice(tc.FIXED, number, conv.t("feedback.yes")), tc.choice(tc.NOT_FIXED, number, conv.t("feedback.no")))


def _comment_options(conv: Asked) -> list[Option]:
    return [_option(conv, "skip_comment", "feedback.skip_comment", "skip_comment")]


QUESTIONS: dict[str, Question] = {
    S.AWAITING_LANGUAGE: Question(f"{PROFILE}language", lambda c: c.t("ask.language"), _languages,
                                  awaits=Awaits.LANGUAGE),
    S.AWAITING_ROLE: Question(f"{PROFILE}role", lambda c: c.t("ask.role"), _keyed("role", ROLES)),
    S.AWAITING_ULB: Question(ULB_FIELD, lambda c: c.t("ask.ulb"), _ulbs),
    S.AWAITING_PROBLEM: Question("case.description", _problem_prompt, awaits=Awaits.PROBLEM),
    S.OFFERING_FAQ: Question(None, _faq_prompt, _faq, _faq_parts, awaits=Awaits.OFFER, goes_on=NONE_SOLVED),
    S.OFFERING_PROBLEM: Question(None, _problem_offer, _problem_options, awaits=Awaits.OFFER,
                                 goes_on=DIFFERENT_ISSUE),
    S.AWAITING_MODULE: Question("case.module", lambda c: c.t("ask.module"), _keyed("module", MENU_MODULES)),
    S.AWAITING_CATEGORY: Question("case.category", lambda c: c.t("ask.category"),
                                  _keyed("category", CATEGORIES)),
    S.AWAITING_IMPACT: Question("case.impact", lambda c: c.t("ask.impact"), _keyed("impact", IMPACTS)),
    S.AWAITING_WORKAROUND: Question("case.workaround", lambda c: c.t("ask.workaround"), _yes_no),
    S.CONFIRMING: Question(None, _summary, _confirm_options, awaits=Awaits.CONFIRMATION, goes_on=CONFIRM),
    S.ASKING_FOLLOWUP: Question(None, _followup_prompt, _followup_options, awaits=Awaits.FOLLOWUP),
    S.ASKING_FIXED: Question(None, _fixed_prompt, _fixed_options),
    S.ASKING_RATING: Question(None, lambda c: c.t("feedback.rate"), _ratings),
    S.ASKING_COMMENT: Question(None, lambda c: c.t("feedback.ask_comment"), _comment_options,
                               free_text=True),
}


def waiting_in(state: str | None) -> Waiting:
    """What a conversation in `state` (None: never started) waits for, as the channel contract says it."""
    if state is None or state == S.NEW:
        return Waiting(Awaits.GREETING)
    if state in IDLE:
        return Waiting(Awaits.IDLE)
    question = QUESTIONS.get(state)
    return question.waiting() if question is not None else Waiting(Awaits.OTHER)
