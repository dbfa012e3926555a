"""The conversation engine: load a conversation, apply one inbound event, save it, return the replies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from enum import Enum
from functools import cache, partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from transitions.extensions.asyncio import AsyncMachine

from core import ticket_choices
from core.db import Tx, utcnow, write_transaction
from core.i18n import OPERATOR_LANGUAGE, Catalog, supported_language
from core.messages import LANGUAGE, REFUSED, Attachment, Inbound, Reply, UserRef, Waiting
from core.ratelimit import RateLimiter
from core.settings import Settings
from flows.conversation import Conversation, FlowContext
from flows.flow import STATES, TRANSITIONS
from flows.input import Option, command_of, is_greeting, resolve
from flows.locks import UserLocks
from flows.memory import Case, Memory
from flows.ports import Knowledge
from flows.questions import QUESTIONS, resolution_choices, waiting_in
from flows.states import IDLE, S
from flows.store import SqlConversationStore
from kb.protocol import Matcher
from tickets.assignment import auto_assign
from tickets.desk import SqlTicketDesk
from tickets.feedback import SqlTicketFeedback
from tickets.outbox import SqlOutbox
from tickets.problems import SqlProblems
from tickets.store import DueFunction, SqlTicketStore

log = logging.getLogger(__name__)
PREPARED_WORDS = 3  # fewer words are a name, a number or a command more often than a problem

TRANSCRIPT_LIMIT = 300  # entries kept per problem; a ticket carries at most this many
CHOICE_TEXT_LIMIT = 200  # longer text is never a menu answer
ECHO_LIMIT = 40


def plain(value: Any) -> Any:
    """The flow's data with enum members as their string values, as `transitions` expects."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


class InOrderMachine(AsyncMachine):
    """transitions' asyncio machine, with a transition's callbacks and conditions awaited one after another.

    The stock machine runs each list through asyncio.gather, which wraps every callback in a task of its own:
    some twenty tasks per turn, most of them for callbacks that never wait: up to a fifth of a turn's time.
    The flow's callbacks do not rely on running at once (flows.flow), and in order they also stop at the first
    exception instead of leaving the others running."""

    @staticmethod
    async def await_all(callables: list[Callable[[], Any]]) -> list[Any]:
        return [await call() for call in callables]


@cache
def build_machine() -> AsyncMachine:
    """The flow's machine, built once per process: it holds no conversation (each turn passes its own as the
    model), and building its ~400 transitions costs some 45 ms, paid by every Engine otherwise."""
    return InOrderMachine(
        model=None, states=STATES, transitions=plain(TRANSITIONS), initial=S.NEW.value,
        send_event=True, auto_transitions=False,
    )


def render_outbox(conv: Conversation, kind: str, payload: dict[str, Any]) -> str:
    """What the user sees for a queued helpdesk message."""
    tracked = payload.get("tracked_as")
    if tracked:  # tickets.desk: news of the ticket the user's own was merged into, under their own number
        news = render_outbox(conv, kind, {**payload, "tracked_as": None})
        return f"{conv.t('outbox.tracked_as', number=payload['number'], into=tracked)}\n{news}"
    if kind == "ticket_escalated":  # tickets.desk: who has the ticket now, by the team's name in their language
        return conv.t("outbox.escalated", number=payload["number"], team=conv.team_name(str(payload["team"])))
    if kind == "ticket_waiting":
        return conv.t("outbox.waiting", number=payload["number"])
    if kind == "ticket_merged":  # tickets.desk.merge: which ticket tracks the user's problem now
        return conv.t("outbox.merged", number=payload["number"], into=payload["into"])
    if kind == "operator_reply":
        return conv.t("outbox.reply", number=payload["number"], text=payload["text"])
    if kind == "ticket_resolved":
        key = "outbox.resolved_with_text" if payload.get("text") else "outbox.resolved"
        return conv.t(key, number=payload["number"], text=payload.get("text", ""))
    if kind == "vendor_fixed":  # the vendor's JIRA issue for this ticket was resolved (jira_link)
        key = "outbox.vendor_fixed_in" if payload.get("version") else "outbox.vendor_fixed"
        return conv.t(key, number=payload["number"], version=payload.get("version", ""))
    if kind == "vendor_comment":
        return conv.t("outbox.vendor_comment", number=payload["number"], text=payload.get("text", ""))
    if kind == "notice":  # a channel's own message to the user, e.g. Telegram's file size limit
        return conv.t(str(payload["key"]), **payload.get("fields", {}))
    if kind in ("problem_fixed", "problem_update"):  # tickets.problems: one message per user
        key = "outbox.problem_fixed" if kind == "problem_fixed" else "outbox.problem_update"
        numbers = ", ".join(payload.get("numbers") or [payload.get("number", "")])
        return conv.t(key, title=payload["title"], numbers=numbers, text=payload.get("text", ""))
    return conv.t("outbox.update", number=payload.get("number", ""))


def outbox_reply(conv: Conversation, kind: str, payload: dict[str, Any]) -> Reply:
    """A queued helpdesk message as a reply: its text in the user's language (and the operators', for the
    transcript), and its buttons: a resolution asks at once whether the fix worked."""
    text, english = conv.both(partial(render_outbox, conv, kind, payload))
    choices = resolution_choices(conv, str(payload["number"])) if kind == "ticket_resolved" else ()
    files = tuple(Attachment(str(a["ref"]), str(a.get("kind", "file")), str(a.get("name", "")))
                  for a in payload.get("attachments") or [] if isinstance(a, dict) and a.get("ref"))
    return Reply(text, choices, meta={OPERATOR_LANGUAGE: english, LANGUAGE: conv.language}, files=files)


class RepeatedEvent(Exception):
    """The event's key was processed before: its turn is rolled back (Engine.handle)."""


class Engine:
    """Runs the flow for every channel. `handle` is the only entry point; it never sends anything."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], matcher: Matcher, settings: Settings, catalog: Catalog,
        due: DueFunction | None = None, wording: dict[str, Catalog] | None = None,
    ) -> None:
        """`wording`: a channel's own catalogue (by channel name), where the chat's words do not fit it (the
        phone's: nothing to type or tap there)."""
        self._sessions = sessions
        self._due = due
        self._matcher = matcher
        self._knowledge = matcher if isinstance(matcher, Knowledge) else None
        self._settings = settings
        self._catalog = catalog
        self._wording = wording or {}
        self._machine = build_machine()
        self._locks = UserLocks()
        self._inbound = RateLimiter(settings.chat_messages_per_minute)

    async def handle(self, inbound: Inbound, *, replay: bool = False) -> list[Reply]:
        """Apply one event; a message id seen before changes nothing and yields no replies, or with `replay`
        the replies it yielded the first time (for a client retrying after a lost response)."""
        if inbound.text and len(inbound.text.split()) >= PREPARED_WORDS:
            # a problem in words: its query vector is made in a thread before the turn, so encoding holds up
            # neither the event loop nor the database's writer (the match inside the turn then only scores)
            await asyncio.to_thread(self._matcher.prepare, inbound.text)
        async with self._locks.hold(inbound.user):
            try:
                async with write_transaction(self._sessions) as tx:
                    return await self._turn(tx, inbound)
            except RepeatedEvent:  # rolled back: nothing of this run is kept
                log.info("ignoring repeated event %s from %s", inbound.message_id, inbound.user)
                if not replay or not inbound.message_id:
                    return []
                async with self._sessions() as session:
                    return await SqlConversationStore(session).replies_of(inbound.user, inbound.message_id)

    async def _turn(self, tx: Tx, inbound: Inbound) -> list[Reply]:
        """One event in the caller's transaction: the conversation read (and locked), the flow applied, the state
        saved and the event's key recorded with its replies. Raises RepeatedEvent for a key recorded before,
        seen when the conversation is read or, if a transaction recorded it since, when it is recorded."""
        conversations = SqlConversationStore(tx)
        if self._inbound.retry_after(inbound.user):  # not recorded: the same id may be sent again later
            return [await self._slow_down(conversations, inbound.user)]
        stored = await conversations.load_for_update(inbound.user, S.NEW.value, check=SqlOutbox.PENDING_FOR_USER,
                                                     message_id=inbound.message_id)
        if stored.seen:
            raise RepeatedEvent(inbound.message_id)
        conv = Conversation(stored.state, Memory.from_json(stored.data), self._context(tx, inbound.user))
        delivered = await self._take_pending(tx.session, conv) if stored.checked is not False else []
        await self._apply(conv, inbound)
        stored.state, stored.data = conv.state, conv.data.to_json()
        await conversations.save(inbound.user, stored)
        replies = delivered + conv.replies
        if inbound.message_id and not await conversations.record_event(inbound.user, inbound.message_id, replies):
            raise RepeatedEvent(inbound.message_id)
        return replies

    async def _slow_down(self, conversations: SqlConversationStore, user: UserRef) -> Reply:
        """Over the per-user message limit: say so in the user's language; nothing is applied or saved."""
        log.warning("%s is over %d messages a minute; asked to slow down", user,
                    self._settings.chat_messages_per_minute)
        stored = await conversations.peek(user)
        language = (Memory.from_json(stored.data).profile.language if stored else None) or "en"
        text = self._catalog.text("slow_down", language, limit=self._settings.chat_messages_per_minute)
        return Reply(text, meta={REFUSED: "slow_down"})

    async def greeting(self, user: UserRef, language: str) -> list[Reply]:
        """What a first message from `user` would be answered with, in `language`; nothing is saved.

        For a channel that shows the greeting before the user has said anything (the web chat page), so
        that opening a page makes no conversation; the first real message then starts one for real."""
        async with self._sessions() as session:  # read only: closed without a commit
            conv = Conversation(S.NEW.value, Memory(), self._context(session, user))
            await self._apply(conv, Inbound(user, text="hi", language_hint=language))
            return conv.replies

    async def pending(self, user: UserRef) -> list[Reply]:
        """Messages from the helpdesk waiting for this user (for pull channels polling between messages)."""
        async with self._locks.hold(user), self._sessions() as session, session.begin():
            stored = await SqlConversationStore(session).peek(user)
            conv = Conversation(stored.state if stored else S.NEW.value,
                                Memory.from_json(stored.data if stored else {}), self._context(session, user))
            return await self._take_pending(session, conv)

    def _context(self, tx: Tx | AsyncSession, user: UserRef) -> FlowContext:
        tx = Tx.of(tx)
        session = tx.session
        tickets = SqlTicketStore(tx, self._settings.ticket_prefix, self._due)
        desk = SqlTicketDesk(tx, self._settings, self._due)
        feedback = SqlTicketFeedback(session, self._settings, self._due)

        async def assign(number: str) -> str | None:
            return await auto_assign(session, number, self._settings)

        problems = SqlProblems(tx, self._settings, self._due)
        catalog = self._wording.get(user.channel, self._catalog)
        return FlowContext(self._settings, catalog, self._matcher, tickets, user, desk, feedback, assign,
                           problems, self._knowledge)

    async def _take_pending(self, session: AsyncSession, conv: Conversation) -> list[Reply]:
        """Operator replies and resolutions queued for this user, rendered in their language."""
        items = await SqlOutbox(session).take_for_user(conv.ctx.user.channel, conv.ctx.user.user_id)
        replies = [outbox_reply(conv, item.kind, item.payload) for item in items]
        for reply in replies:
            self._record(conv, "helpdesk", reply.text, reply.meta.get(OPERATOR_LANGUAGE))
        return replies

    async def render_for(self, user: UserRef, kind: str, payload: dict[str, Any]) -> Reply:
        """A queued helpdesk message as this user sees it (for push channels); nothing is saved."""
        async with self._sessions() as session:
            stored = await SqlConversationStore(session).peek(user)
            conv = Conversation(stored.state if stored else S.NEW.value,
                                Memory.from_json(stored.data if stored else {}), self._context(session, user))
            return outbox_reply(conv, kind, payload)

    async def language_of(self, user: UserRef) -> str | None:
        """The language the user's conversation speaks, or None for a user never seen."""
        async with self._sessions() as session:
            stored = await SqlConversationStore(session).peek(user)
            return (Memory.from_json(stored.data).profile.language or "en") if stored else None

    async def state_of(self, user: UserRef) -> str | None:
        """The state the user's conversation waits in, or None for a user never seen."""
        async with self._sessions() as session:
            stored = await SqlConversationStore(session).peek(user)
            return stored.state if stored else None

    async def waiting_for(self, user: UserRef) -> Waiting:
        """What the user's conversation waits for, in the channel contract's terms (core.messages.Waiting)."""
        return waiting_in(await self.state_of(user))

    @staticmethod
    def event_keys(session: AsyncSession) -> SqlConversationStore:
        """The conversations' record of processed events, for events a channel handles itself."""
        return SqlConversationStore(session)

    async def _apply(self, conv: Conversation, inbound: Inbound) -> None:
        if conv.state not in STATES:
            log.warning("conversation of %s was in unknown state %r; restarting", inbound.user, conv.state)
            conv.state = S.NEW.value
            conv.data.case = Case()
            conv.say("restarted")
        entered = conv.state
        self._record(conv, "user", self._user_words(conv, inbound)[: self._settings.max_text_chars])
        await self._step(conv, inbound)
        self._prompt(conv, state_changed=conv.state != entered)
        for reply in conv.replies:
            self._record(conv, "bot", reply.text, reply.meta.get(OPERATOR_LANGUAGE))

    async def _fire(self, conv: Conversation, trigger: str, **kwargs: Any) -> bool:
        """Run one of the flow's triggers on `conv` (transitions looks its callbacks up on it by name).

        The machine's events are called directly rather than through `add_model`, which bound a method per
        trigger and state onto every turn's model and was a tenth of a turn's time (bench/README.md)."""
        return bool(await self._machine.events[trigger].trigger(conv, **kwargs))

    async def _step(self, conv: Conversation, inbound: Inbound) -> None:
        command = command_of(inbound.text) if inbound.text and inbound.choice is None else None
        routed = ticket_choices.parse(inbound.choice) or self._typed_undo(conv, inbound, command)
        if routed is None or routed.trigger != ticket_choices.SPLIT:
            conv.data.appended = None  # the undo of the last message sent to a ticket applies only next
        if routed is not None and conv.state != S.NEW:
            await self._route(conv, routed)
        elif conv.state == S.NEW:
            hinted = None if conv.profile.language else supported_language(inbound.language_hint)
            if hinted:  # the channel knows the user's language: greet in it and preselect it
                conv.profile.language = hinted
            await self._fire(conv, "begin")
            if hinted and conv.state == S.AWAITING_LANGUAGE:
                await self._fire(conv, "picked", value=hinted)
                conv.say("language.how_to_change")
            if command and command != "restart":
                await self._fire(conv, command)
        elif command:
            await self._fire(conv, command)
        else:
            await self._answer(conv, inbound)

    @staticmethod
    def _typed_undo(conv: Conversation, inbound: Inbound, command: str | None) -> ticket_choices.TicketChoice | None:
        """On a channel without buttons the undo after a message went to a ticket is a numbered reply: "1" (or
        the label's words) right after it means "this is a new problem", not another message for the ticket."""
        appended = conv.data.appended
        if not appended or inbound.choice is not None or command or QUESTIONS.get(conv.state) is not None:
            return None
        undo = Option(ticket_choices.SPLIT, conv.t("followup.split"))
        if resolve([undo], (inbound.text or "")[:CHOICE_TEXT_LIMIT], fuzzy=False) is None:
            return None
        return ticket_choices.TicketChoice(ticket_choices.SPLIT, appended.number)

    async def _route(self, conv: Conversation, routed: ticket_choices.TicketChoice) -> None:
        """A press on a ticket's own button (core.ticket_choices): its trigger, whatever the state, if the
        ticket is the user's."""
        if await conv.named_ticket(routed.number) is None:
            conv.say("invalid.stale")
            return
        await self._fire(conv, routed.trigger, number=routed.number, value=routed.value)

    async def _answer(self, conv: Conversation, inbound: Inbound) -> None:
        """Turn the event into the current question's trigger, or say precisely what was wrong with it."""
        question = QUESTIONS.get(conv.state)
        if question is None or question.options is None:
            if inbound.choice is not None:
                conv.say("invalid.stale")
                return
            text = self._clean_text(conv, inbound.text or "")
            attachments = [{"ref": a.ref, "kind": a.kind, "name": a.name} for a in inbound.attachments]
            if question is not None and not attachments and is_greeting(text):
                return  # "hi" is not a problem description: the question is asked again
            if text:
                await self._fire(conv, "text", text=text, attachments=attachments)
            elif inbound.note and question is not None:  # a voice message: kept, never matched
                note = inbound.note[: self._settings.max_text_chars]
                await self._fire(conv, "text", text=note, attachments=attachments, wordless=True)
            elif attachments and question is not None:  # a screenshot alone: kept for the words that follow
                conv.case.attachments = conv.case.attachments + attachments
                conv.say("attachment.kept")
            elif question is not None:
                conv.say("text.empty")
            return
        options = question.options(conv)
        if inbound.choice is not None:
            option = next((o for o in options if o.id == inbound.choice), None)
            if option is None:
                conv.say("invalid.stale")
                return
        else:
            typed = (inbound.text or "")[:CHOICE_TEXT_LIMIT]
            if is_greeting(typed):
                # a greeting answers nothing, even one that spells an option's id ("hi", हिन्दी's): the question
                # is asked again, without "not an option"
                return
            fits = len(inbound.text or "") <= CHOICE_TEXT_LIMIT
            option = resolve(options, typed, fuzzy=not question.free_text) if fits else None
            text = self._clean_text(conv, inbound.text or "") if option is None and question.free_text else ""
            if text:
                await self._fire(conv, "text", text=text)
                return
            if option is None:
                echo = " ".join(typed.split())[:ECHO_LIMIT] or "-"
                conv.say("invalid.choice", text=echo, count=len(options))
                return
        await self._fire(conv, option.trigger, value=option.value)

    def _clean_text(self, conv: Conversation, text: str) -> str:
        text = text.strip()
        limit = self._settings.max_text_chars
        if len(text) > limit:
            conv.say("text.truncated", limit=limit)
            text = text[:limit]
        return text

    def _prompt(self, conv: Conversation, *, state_changed: bool) -> None:
        question = QUESTIONS.get(conv.state)
        if question is not None:
            conv.replies.append(question.ask(conv))
        elif conv.state in IDLE and not state_changed and not conv.replies:  # else what was said stands
            conv.say("idle")

    def _user_words(self, conv: Conversation, inbound: Inbound) -> str:
        if inbound.choice is None:
            return inbound.text or inbound.note or ""
        routed = ticket_choices.parse(inbound.choice)
        if routed is not None:  # the button's label as the user saw it
            return ticket_choices.label(routed, conv.t)
        question = QUESTIONS.get(conv.state)
        options = question.options(conv) if question and question.options else []
        return next((o.label for o in options if o.id == inbound.choice), inbound.choice)

    @staticmethod
    def _record(conv: Conversation, who: str, text: str, for_operators: str | None = None) -> None:
        """One transcript line; the bot's lines also in the operators' language when the user's differs."""
        transcript = conv.data.transcript
        line = {"at": utcnow().isoformat(timespec="seconds"), "from": who, "text": text}
        if for_operators and for_operators != text:
            line[f"text_{OPERATOR_LANGUAGE}"] = for_operators
        transcript.append(line)
        del transcript[:-TRANSCRIPT_LIMIT]

    async def current_question(self, user: UserRef) -> list[Reply]:
        """The question the user's conversation waits on (for a channel that reconnects); nothing is saved."""
        async with self._sessions() as session:
            stored = await SqlConversationStore(session).peek(user)
            if stored is None or stored.state not in STATES:
                return []
            conv = Conversation(stored.state, Memory.from_json(stored.data), self._context(session, user))
            self._prompt(conv, state_changed=False)
            return conv.replies
