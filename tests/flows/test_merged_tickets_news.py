"""A user whose ticket was merged into another hears what that ticket's own user hears (the team's replies, its
escalation, "waiting on you", its resolution) under their own ticket's number, in their channel and language, once;
their "Fixed" rates their own ticket and "Still not working" reopens the ticket that tracks the problem."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.messages import Reply
from core.settings import Settings
from flows.engine import Engine
from tests.fakes import ScriptedChat
from tests.flows.walks import Sessions, desk_does, file_ticket, messages, ticket
from tickets.attachments import OutgoingFile
from tickets.desk import SqlTicketDesk
from tickets.models import OutboxRow

PDF = OutgoingFile("a" * 64 + ".pdf", "application/pdf", "steps.pdf", 1200)


async def _merged(engine: Engine, chat: ScriptedChat, sessions: Sessions, settings: Settings,
                  language: str = "hi") -> tuple[ScriptedChat, str, str]:
    """u1 files the survivor in English; u2 files the duplicate in `language`, which is merged into it."""
    survivor = await file_ticket(chat, "en")
    other = ScriptedChat(engine, "u2")
    duplicate = await file_ticket(other, language, description="bill page error when saving the bill")
    await desk_does(sessions, settings, "merge", duplicate, survivor, "op-1", None, "same bill")
    [told] = await engine.pending(other.user)
    assert duplicate in told.text and survivor in told.text
    return other, duplicate, survivor


async def _pending(chat: ScriptedChat) -> list[Reply]:
    return await chat.engine.pending(chat.user)


async def test_the_merged_users_hear_the_reply_and_still_not_working_reopens_the_survivor_with_their_words(
    engine: Engine, chat: ScriptedChat, sessions: Sessions, settings: Settings
) -> None:
    other, duplicate, survivor = await _merged(engine, chat, sessions, settings)
    await desk_does(sessions, settings, "reply", survivor, "op-1", "Please clear the cache and try again.", None,
                    (PDF,))
    [own] = await _pending(chat)
    assert own.text == f"Message from the helpdesk about your ticket {survivor}:\nPlease clear the cache and try again."
    [copy] = await _pending(other)
    assert copy.text == (f"टिकट {survivor} के बारे में, जिसमें हेल्पडेस्क आपके टिकट {duplicate} को आगे देख रहा है:\n"
                         f"आपके टिकट {duplicate} पर हेल्पडेस्क का संदेश:\nPlease clear the cache and try again.")
    assert [f.ref for f in copy.files] == [PDF.ref] == [f.ref for f in own.files]

    await desk_does(sessions, settings, "resolve", survivor, "op-1", "Fixed in today's release.", None)
    [resolution] = await _pending(other)
    assert resolution.text.startswith(f"टिकट {survivor} के बारे में") and "Fixed in today's release." in resolution.text
    assert [c.id for c in resolution.choices] == [f"fixed:{duplicate}", f"not_fixed:{duplicate}"]
    await other.send_choice(resolution.choices[1].id)
    assert f"टिकट {survivor}" in other.text, "told which ticket is open again"
    assert (await ticket(sessions, survivor)).status == "reopened"
    assert (await ticket(sessions, duplicate)).csat_fixed is False

    await other.send("saving the bill still shows the same error")
    assert f"टिकट {survivor} में जोड़ दिया" in other.text  # straight on: the team's last word was to the users
    words = [(m.author, m.text) for m in await messages(sessions, settings, survivor) if m.kind == "user"]
    assert words == [("user:u2", "saving the bill still shows the same error")]


async def test_fixed_rates_the_merged_users_own_ticket(
    engine: Engine, chat: ScriptedChat, sessions: Sessions, settings: Settings
) -> None:
    other, duplicate, survivor = await _merged(engine, chat, sessions, settings, "en")
    await desk_does(sessions, settings, "resolve", survivor, "op-1", None, None)
    [resolution] = await _pending(other)
    assert f"About ticket {survivor}, where the helpdesk follows up your ticket {duplicate}:" in resolution.text
    await other.send_choice(resolution.choices[0].id)
    assert [c.id for r in other.last for c in r.choices] == [f"rate:{duplicate}:{n}" for n in range(1, 6)]
    await other.send_choice(f"rate:{duplicate}:4")
    assert "Thank you for your rating" in other.text
    rated, untouched = await ticket(sessions, duplicate), await ticket(sessions, survivor)
    assert (rated.csat_fixed, rated.csat_rating) == (True, 4)
    assert (untouched.status, untouched.csat_fixed, untouched.csat_rating) == ("resolved", None, None)


async def test_a_user_with_both_tickets_hears_each_message_once_and_a_chain_of_merges_is_followed(
    engine: Engine, chat: ScriptedChat, sessions: Sessions, settings: Settings
) -> None:
    survivor = await file_ticket(chat, "en")
    await chat.send("the bill page error again")
    await chat.send_choice("new_problem")  # not about the open ticket: a second one
    twice = await file_ticket(chat, "en", description="the bill page error again")
    assert twice != survivor
    third = ScriptedChat(engine, "u3")
    earlier = await file_ticket(third, "or", description="bill page error for our ULB")
    await desk_does(sessions, settings, "merge", earlier, twice, "op-1", None, None)
    await desk_does(sessions, settings, "merge", twice, survivor, "op-1", None, None)
    await _pending(chat)
    await _pending(third)
    await desk_does(sessions, settings, "escalate", survivor, "op-1", "state_technical", "needs the server team", None)
    await desk_does(sessions, settings, "wait_on_user", survivor, "op-1", None)
    mine = [r.text for r in await _pending(chat)]
    assert len(mine) == 2 and all(f"ticket {survivor}" in text for text in mine)
    theirs = [r.text for r in await _pending(third)]
    assert len(theirs) == 2 and all(f"ଟିକେଟ {survivor} ବିଷୟରେ" in t and earlier in t for t in theirs)
    async with sessions() as s:
        kinds = list(await s.execute(select(OutboxRow.user_id, OutboxRow.kind).order_by(OutboxRow.id)))
    assert [k for user, k in kinds if user == "u1"].count("ticket_waiting") == 1


async def test_the_survivors_receipt_stays_its_own_users(
    engine: Engine, chat: ScriptedChat, sessions: Sessions, settings: Settings
) -> None:
    _, duplicate, survivor = await _merged(engine, chat, sessions, settings)
    await desk_does(sessions, settings, "reply", survivor, "op-1", "Which bill number?", None)
    await _pending(chat)  # its own user's copy is delivered; the merged user's is still queued
    [reply] = [m for m in await messages(sessions, settings, survivor) if m.kind == "reply"]
    assert reply.delivery == "delivered"
    async with sessions() as s:
        queued = list(await s.scalars(select(OutboxRow).where(OutboxRow.user_id == "u2",
                                                              OutboxRow.kind == "operator_reply")))
    assert [(q.delivered_at, q.payload["number"]) for q in queued] == [(None, duplicate)]


async def test_still_not_working_after_the_window_files_a_follow_up_of_the_survivor_for_the_merged_user(
    engine: Engine, chat: ScriptedChat, sessions: Sessions, settings: Settings
) -> None:
    other, duplicate, survivor = await _merged(engine, chat, sessions, settings, "en")
    async with sessions() as session, session.begin():
        desk = SqlTicketDesk(session, settings)
        await desk.resolve(survivor, "op-1", None, None)
        row = await desk.row(survivor)  # as if resolved long ago: moved back from its own stamp
        assert row.resolved_at is not None
        row.resolved_at -= timedelta(days=settings.reopen_days + 1)
    [resolution] = await _pending(other)
    await other.send_choice(resolution.choices[1].id)
    follow_up = await ticket(sessions, other.ticket or "")
    assert (follow_up.channel, follow_up.user_id, follow_up.parent_number) == ("console", "u2", survivor)
    assert f"Ticket {survivor} was resolved more than" in other.text
    assert (await ticket(sessions, survivor)).status == "resolved"
    assert (await ticket(sessions, duplicate)).csat_fixed is False


async def test_what_the_merged_user_writes_while_the_survivor_is_open_can_go_to_it(
    engine: Engine, chat: ScriptedChat, sessions: Sessions, settings: Settings
) -> None:
    other, duplicate, survivor = await _merged(engine, chat, sessions, settings, "en")
    await other.send("the bill page froze again this morning")
    assert f"You have a ticket open with the helpdesk ({duplicate})" in other.text
    await other.send_choice(f"add_to_ticket:{duplicate}")
    assert f"I added your message to ticket {survivor}" in other.text
    words = [(m.author, m.text) for m in await messages(sessions, settings, survivor) if m.kind == "user"]
    assert words == [("user:u2", "the bill page froze again this morning")]
