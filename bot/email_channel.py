"""The e-mail channel as `helpdesk serve` runs it (a `core.channel.PushChannel`): a loop that fetches new mail
(IMAP IDLE where the server has it, polling otherwise) into the inbox table, a worker that answers each stored
mail once, and the outbox sender that mails operator replies into the ticket's thread.

Fetching and answering are apart, as for Telegram and WhatsApp: mails are stored (once each, by Message-ID,
with the folder's new position in the same transaction) before anything is answered; a process killed
between fetching and that commit leaves the position unmoved, so the next fetch reads the mails again. The
worker leases stored mails (`FOR UPDATE SKIP LOCKED`), so two servers never answer one mail, and the engine's
event keys make a second run after a crash apply nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import flows
from bot.email_form import LETTERS, read_answers, render_form, still_needed
from bot.email_imap import Imap
from bot.email_mailer import CHANNEL, EmailSender, Mailer, base_subject, kept_reply, stored_reply
from bot.email_parse import Mail, headers_of, marker_in, parse_mail, ticket_in
from bot.email_store import Fetched, SqlEmail, StoredMail
from bot.email_text import language_of, strip_quoted
from bot.email_walk import Turn, Walk
from core.channel import ChatEngine, Loop
from core.db import utcnow
from core.i18n import Catalog
from core.messages import Attachment, Reply, UserRef
from core.settings import Settings
from flows.form import field_of, on_the_way
from tickets.attachments import AttachmentStore, TooLarge, kind_of

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
Clock = Callable[[], datetime]
Pause = Callable[[str], Awaitable[None]]
MESSAGES_DIR = Path(flows.__file__).resolve().parent / "messages"


async def no_pause(point: str) -> None:
    return None


class EmailChannel:
    name = CHANNEL

    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession], engine: ChatEngine, *,
                 clock: Clock = utcnow, pause: Pause = no_pause) -> None:
        self.settings, self.sessions, self.engine, self.clock, self.pause = settings, sessions, engine, clock, pause
        self.imap = Imap(settings.email_imap_url or "")
        self.catalog = Catalog.load(MESSAGES_DIR)
        self.mailer = Mailer(settings, sessions, self.catalog)
        self.address = self.mailer.address
        self.attachments = AttachmentStore(settings.attachments_dir, settings.attachments_max_bytes)
        self.wake = asyncio.Event()
        self._sender = EmailSender(self.mailer, engine)

    def router(self) -> None:
        return None

    def loops(self) -> list[Loop]:
        return [self.watch_mailbox, self.work_inbox]

    def sender(self) -> EmailSender:
        return self._sender

    async def close(self) -> None:
        return None

    # -- fetching --------------------------------------------------------------------------------------
    async def fetch(self) -> int:
        """Store the mails that arrived since the last fetch; how many were new."""
        folder = self.imap.folder
        async with self.sessions() as session:
            validity, last = await SqlEmail(session).position(folder)
        validity, raws = await asyncio.to_thread(self.imap.fetch_new, last, validity, self.settings.email_max_bytes)
        fetched = []
        for raw in raws:
            too_large = raw.size > self.settings.email_max_bytes
            mail = headers_of(raw.data) if too_large else parse_mail(raw.data)
            ref = None if too_large else self.attachments.save(raw.data, mime="message/rfc822").ref
            header_block = raw.data.split(b"\r\n\r\n", 1)[0][:20000].decode("utf-8", "replace")
            fetched.append(Fetched(mail.key, raw.uid, mail.sender, ref, raw.size, too_large, header_block))
        await self.pause("fetched")
        async with self.sessions() as session, session.begin():
            fresh = await SqlEmail(session).store(folder, validity, fetched, self.clock())
        if fresh:
            self.wake.set()
        return fresh

    async def watch_mailbox(self, stop: asyncio.Event) -> None:
        """Fetch now and whenever the server announces mail (IDLE), or every poll period."""
        while not stop.is_set():
            idle: bool | None = None
            try:
                await self.fetch()
                if self.settings.email_idle:
                    halt = threading.Event()
                    async with self.sessions() as session:
                        _, last = await SqlEmail(session).position(self.imap.folder)
                    waiting = asyncio.to_thread(self.imap.wait, min(self.settings.email_poll_seconds, 600), halt, last)
                    idle = await _until(waiting, stop, halt)
            except Exception:  # the mail server or the database may be away for a while
                log.exception("e-mail fetch failed")
            if idle is None:  # no IDLE (or it failed): poll
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.email_poll_seconds)

    # -- answering -------------------------------------------------------------------------------------
    async def drain(self) -> int:
        taken = 0
        while True:
            async with self.sessions() as session, session.begin():
                batch = await SqlEmail(session).claim(self.clock())
            if not batch:
                return taken
            taken += len(batch)
            for stored in batch:
                await self._process_one(stored)

    async def fetch_once(self) -> tuple[int, int]:
        """(mails fetched, mails answered): one pass over the mailbox."""
        fresh = await self.fetch()
        return fresh, await self.drain()

    async def work_inbox(self, stop: asyncio.Event, period_s: float = 5.0) -> None:
        while not stop.is_set():
            self.wake.clear()
            try:
                await self.drain()
            except Exception:
                log.exception("e-mail inbox pass failed")
            waits = [asyncio.ensure_future(self.wake.wait()), asyncio.ensure_future(stop.wait())]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED), period_s)
            for waiting in waits:
                waiting.cancel()

    async def _process_one(self, stored: StoredMail) -> None:
        error: str | None = None
        outcome = "failed"
        try:
            outcome = await self._handle(stored)
        except Exception as err:  # a failing mail must not stop the ones behind it
            log.exception("e-mail %s failed (attempt %s)", stored.id, stored.attempts + 1)
            error = f"{type(err).__name__}: {err}"
        async with self.sessions() as session, session.begin():
            store = SqlEmail(session)
            if error is None or stored.attempts + 1 >= MAX_ATTEMPTS:
                await store.processed(stored, outcome, error)
            else:
                await store.failed(stored, error, self.clock() + timedelta(seconds=5 * 2 ** stored.attempts))

    async def _handle(self, stored: StoredMail) -> str:
        if stored.too_large or stored.raw_ref is None:
            mail = headers_of(stored.headers.encode() + b"\r\n\r\n")
        else:
            mail = parse_mail(self.attachments.read(stored.raw_ref))
        if mail.bounced:
            async with self.sessions() as session, session.begin():
                for address in mail.bounced:
                    await SqlEmail(session).unreachable(address)
            return "bounce"
        if mail.automatic:
            log.info("e-mail %s not answered: %s", stored.id, mail.automatic)
            return "automatic"
        if not mail.sender or mail.sender == self.address:
            return "own or no sender"
        if not await self._within_limit(mail, stored):
            return "rate_limited"
        async with self.sessions() as session, session.begin():
            await SqlEmail(session).reachable(mail.sender)
        if stored.too_large:
            await self._refuse_size(mail, stored)
            return "too_large"
        if stored.answer is not None:
            await self._answer_again(mail, stored.answer)
        else:
            await self._answer(mail, stored)
        return "answered"

    async def _within_limit(self, mail: Mail, stored: StoredMail) -> bool:
        limit = self.settings.email_mails_per_sender_hour
        if not limit:
            return True
        now = self.clock()
        async with self.sessions() as session, session.begin():
            store = SqlEmail(session)
            if await store.mails_from(mail.sender, now - timedelta(hours=1), stored.id) <= limit:
                return True
            contact = await store.contact(mail.sender)
            notify = contact.limited_at is None or now - contact.limited_at >= timedelta(hours=1)
            if notify:
                contact.limited_at = now
            language = contact.language or language_of(mail.subject + mail.text)
        log.warning("e-mail from a sender over %d mails an hour: not answered", limit)
        if notify:
            text = self.catalog.text("email.too_many", language, limit=limit)
            await self.mailer.reply_to(mail, Reply(text, meta={"language": language}), f"{mail.key}#limited", None)
        return False

    async def _refuse_size(self, mail: Mail, stored: StoredMail) -> None:
        language = language_of(mail.subject + " " + mail.sender_name)
        async with self.sessions() as session:
            contact = await SqlEmail(session).peek(mail.sender)
            if language == "en" and contact is not None and contact.language:
                language = contact.language
        megabytes = self.settings.email_max_bytes // (1024 * 1024)
        text = self.catalog.text("email.too_large", language, limit=megabytes)
        await self.mailer.reply_to(mail, Reply(text, meta={"language": language}), f"{mail.key}#too-large", None)

    async def _answer(self, mail: Mail, stored: StoredMail) -> None:
        user = UserRef(CHANNEL, mail.sender)
        async with self.sessions() as session:
            store = SqlEmail(session)
            thread = await store.thread_of(mail.in_reply_to, marker_in(mail.text))
        ticket = (thread.ticket if thread else None) or ticket_in(mail.subject)
        is_reply = thread is not None or ticket is not None
        own = strip_quoted(mail.text) if is_reply else mail.text
        language = language_of(f"{mail.subject}\n{own}")
        answers = read_answers(own)
        if answers.bare and (not is_reply or len(answers.bare.split()) > 3):  # a greeting or sentence, no answer
            answers.words, answers.bare = f"{answers.bare}\n{answers.words}".strip(), None
        files = self._files(mail)
        if is_reply and own.strip() != mail.text.strip() and stored.raw_ref:
            files.append(Attachment(stored.raw_ref, "file", "original-mail.eml"))
        async with self.sessions() as session, session.begin():
            contact = await SqlEmail(session).contact(mail.sender)
            pending = dict(contact.pending or {})
            switch = language != "en" and contact.language is not None and contact.language != language
            contact.language = language if language != "en" or not contact.language else contact.language
        description = self._description(mail, answers.words, is_reply, pending)
        letters = {**pending.get("letters", {}), **answers.letters}
        answers.letters = letters
        kept_files = [Attachment(*a) for a in pending.get("attachments", [])] if pending.get("description") else []
        turn = Turn(mail.key, language, answers, description, tuple(kept_files + files),
                    thread.choices if thread else [], ticket, switch_language=switch)
        replies = await Walk(self.engine, user, turn).run()
        state = await self.engine.state_of(user)
        async with self.sessions() as session, session.begin():
            store = SqlEmail(session)
            contact = await store.contact(mail.sender)
            contact.pending = {"letters": answers.letters, "description": turn.description or "",
                               "attachments": [[a.ref, a.kind, a.name] for a in turn.attachments]
                               } if on_the_way(state) else {}
            if ticket and is_reply and turn.description is None and description and stored.raw_ref:
                await store.attach(ticket, {"ref": stored.raw_ref, "kind": "file", "name": "original-mail.eml"})
        reply = self._mail_body(replies, state, set(answers.letters), language)
        async with self.sessions() as session, session.begin():
            await SqlEmail(session).answered(stored, stored_reply(reply))
        if reply is not None:
            await self.mailer.reply_to(mail, reply, f"{mail.key}#reply", thread)

    async def _answer_again(self, mail: Mail, answer: dict[str, Any]) -> None:
        """A mail answered before a crash: send its kept reply (once), without walking the conversation."""
        reply = kept_reply(answer)
        if reply is None:
            return
        async with self.sessions() as session:
            thread = await SqlEmail(session).thread_of(mail.in_reply_to, marker_in(mail.text))
        await self.mailer.reply_to(mail, reply, f"{mail.key}#reply", thread)

    def _description(self, mail: Mail, words: str, is_reply: bool, pending: dict[str, object]) -> str | None:
        kept = str(pending.get("description") or "")
        if is_reply:
            return "\n\n".join(p for p in (kept, words) if p) or None
        subject = base_subject(mail.subject)
        fresh = "\n\n".join(p for p in (subject, words) if p)
        return fresh or kept or None

    def _files(self, mail: Mail) -> list[Attachment]:
        kept = []
        for file in mail.files:
            try:
                stored = self.attachments.save(file.data, mime=file.mime)
            except TooLarge:
                log.info("e-mail attachment %s over the size limit: not kept", file.name)
                continue
            kept.append(Attachment(stored.ref, kind_of(file.mime), file.name))
        return kept

    def _mail_body(self, replies: list[Reply], state: str | None, known: set[str], language: str) -> Reply | None:
        """The engine's replies as one mail, the lettered questions still needed after them."""
        letters = still_needed(state, known)
        texts = [r.text for r in replies]
        last = replies[-1] if replies else None
        choices = last.choices if last else ()
        if field_of(state) in LETTERS and letters and last is not None and last.choices:
            texts, choices = texts[:-1], ()  # the question is asked in the form, lettered
        form = render_form(self.settings, self.catalog, language, letters, first=not known)
        if not texts and not form and not choices:
            return None
        ticket = next((r.ticket for r in reversed(replies) if r.ticket), None)
        return Reply("\n\n".join([*texts, form] if form else texts), choices, ticket=ticket,
                     meta={"language": language})

async def _until(waiting: Awaitable[bool | None], stop: asyncio.Event, halt: threading.Event) -> bool | None:
    """The IDLE wait's answer, ended as soon as the server stops (the thread sees `halt` within a second)."""
    task = asyncio.ensure_future(waiting)
    stopping = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait([task, stopping], return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if task not in done:
        halt.set()
    return await task
