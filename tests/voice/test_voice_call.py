"""Whole calls over the real app: signed provider webhooks in, TwiML out, read with an XML parser. The call is
the shared conversation (flows.engine) on a keypad: the same questions, answered by key, and a recording where
the flow asks for words."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from sqlalchemy import select

from app.wiring import Services
from tests.voice.conftest import PUBLIC_URL, Phone
from tests.voice.fake_provider import FakeProvider, tone_wav
from tickets.attachments import AttachmentStore
from tickets.models import DeflectionRow
from tickets.store import SqlTicketStore


def gather(twiml: ET.Element) -> ET.Element:
    found = twiml.find("Gather")
    assert found is not None, ET.tostring(twiml, encoding="unicode")
    return found


def key_for(phone: Phone, label: str) -> str:
    """The key the last menu offers for an option ("For <label>, press <key>.")."""
    for line in phone.said():
        found = re.fullmatch(rf"For {re.escape(label)}, press (\d)\.", line)
        if found:
            return found.group(1)
    raise AssertionError(f"no option {label!r} in {phone.said()}")


async def set_up_profile(phone: Phone) -> None:
    """A first call: English, CBO member, the first ULB; ends at the problem, to be recorded."""
    await phone.ring()
    await phone.press("1")  # English
    await phone.press("1")  # CBO member
    await phone.press("1")  # Jatni
    assert phone.said()[0] == "Thank you. We will remember this for your next call."
    assert phone.said()[1].startswith("Please describe your problem in your own words after the beep.")


async def triage_and_file(phone: Phone) -> ET.Element:
    """From the part-of-the-app question: Bills, not the answers offered, a how-do-I question, work stopped
    only for me, no workaround, and confirm."""
    assert "Which part of the app is your problem about?" in phone.said()
    await phone.press(key_for(phone, "Bills"))
    if "none of these" in phone.spoken():
        await phone.press(key_for(phone, "none of these"))
    for label in ("How do I...? (help using the app)", "Work stopped only for me", "No"):
        await phone.press(key_for(phone, label))
    assert "Shall I file this ticket?" in phone.said()
    return await phone.press(key_for(phone, "Yes, file it"))


async def test_the_first_question_offers_each_language_in_its_own_language(phone: Phone) -> None:
    twiml = await phone.ring()
    menu = gather(twiml)
    assert menu.get("input") == "dtmf" and menu.get("numDigits") == "1"
    assert menu.get("action") == f"{PUBLIC_URL}/voice/step"
    assert phone.said()[0] == "Namaskar. This is the MUKTASoft helpdesk."
    says = {node.get("language"): node.text for node in menu.iter("Say")}
    assert says["en-IN"] == "For English, press 1."
    assert says["hi-IN"] == "हिन्दी के लिए 3 दबाएँ।"
    # no Odia voice at the provider: Odia is played from a rendered audio file
    assert phone.played() == [f"{PUBLIC_URL}/voice/prompts/or/pick_language.wav"]
    assert phone.verbs() == ["Gather", "Redirect"]  # silence falls through to a no-input step


async def test_a_whole_call_files_a_ticket_with_its_recording_and_reads_the_number_back_twice(
    phone: Phone, provider: FakeProvider, services: Services
) -> None:
    await set_up_profile(phone)
    record = phone.twiml.find("Record")
    assert record is not None and record.get("action") == f"{PUBLIC_URL}/voice/recorded"
    assert record.get("maxLength") == "120" and record.get("finishOnKey") == "#"

    audio = tone_wav(2.0)
    await phone.record(provider.add_recording("RE1", audio), seconds=2)
    # a voice message has no words to match: the part of the app first, then that part's answers
    assert "Which part of the app is your problem about?" in phone.said()
    assert "For more options, press 9." in phone.said()
    asked = phone.said()
    again = await phone.record(provider.add_recording("RE1", audio), seconds=2)  # the provider retries
    assert [n.text for n in again.iter("Say")] == asked
    await phone.press("9")  # the second page of modules
    assert "For Login / OTP, press 1." in phone.said()
    await phone.press("1")
    assert phone.said()[0] == "These answers may help:"
    assert "For answer 3 solved it, press 3." in phone.said()
    await phone.press(key_for(phone, "none of these"))
    assert "What kind of problem is it?" in phone.said()
    for label in ("How do I...? (help using the app)", "Work stopped only for me", "No"):
        await phone.press(key_for(phone, label))
    assert "Voice message from the caller (2 s): listen to the attached recording." in phone.spoken()
    twiml = await phone.press(key_for(phone, "Yes, file it"))

    said = phone.said()
    assert said[0].startswith("Thank you. Your problem has been recorded")
    assert said[1:2] == ["one"]  # HD-000001, read digit by digit
    assert said[2:4] == ["Once again, your ticket number is:", "one"]
    assert [node.tag for node in twiml][-1] == "Hangup"
    async with services.sessions() as session:
        [ticket] = await SqlTicketStore(session).recent()
    assert (ticket.number, ticket.channel, ticket.user_id) == ("HD-000001", "voice", phone.number)
    assert (ticket.role, ticket.ulb, ticket.module, ticket.language) == ("cbo", "od.jatni", "login", "en")
    assert ticket.priority == "P2" and len(ticket.faq_rejected) == 3
    assert ticket.description == "Voice message from the caller (2 s): listen to the attached recording."
    [attachment] = ticket.attachments
    assert attachment["kind"] == "audio"
    store = AttachmentStore(services.settings.attachments_dir)
    assert store.read(attachment["ref"]) == audio
    assert (await phone.press("1")).find("Hangup") is not None  # the call is over


async def test_a_caller_is_remembered_and_hears_the_status_of_their_tickets(
    phone: Phone, provider: FakeProvider
) -> None:
    await set_up_profile(phone)
    await phone.record(provider.add_recording("RE2", tone_wav(1.0)), seconds=1)
    await triage_and_file(phone)

    await phone.ring()
    assert phone.said()[0] == "Namaskar, welcome back to the MUKTASoft helpdesk."
    assert "To report a problem, press 1" in phone.spoken()
    await phone.press("2")  # the status of my tickets
    assert phone.said()[:2] == ["Your tickets:", "Ticket HD-000001 has been received and is waiting for the "
                                                  "helpdesk team."]
    assert "To report a problem, press 1" in phone.spoken()  # back at the main menu

    stranger = Phone(phone.client, "+919000000001")
    await set_up_profile(stranger)
    await stranger.ring()
    await stranger.press("2")
    assert stranger.said()[0] == "You have no tickets yet."


async def test_the_faq_path_ends_in_a_deflection(phone: Phone, services: Services) -> None:
    await set_up_profile(phone)
    await phone.record("", seconds=3)  # a recording the provider sent no address for: still a description
    await phone.press("9")
    await phone.press("1")  # Login / OTP
    assert phone.said()[0] == "These answers may help:"
    first = phone.said()[1]
    entry = next(e for e in services.matcher.knowledge_base.entries if first == f"1. {e.question}")
    assert phone.said()[2] == entry.answer
    twiml = await phone.press(key_for(phone, "answer 1 solved it"))
    assert phone.said() == ["We are glad that helped. Thank you for calling the MUKTASoft helpdesk. Goodbye."]
    assert [node.tag for node in twiml] == ["Say", "Hangup"]
    async with services.sessions() as session:
        deflections = list(await session.scalars(select(DeflectionRow)))
        assert await SqlTicketStore(session).recent() == []
    assert [(d.channel, d.user_id, d.entry_id) for d in deflections] == [("voice", phone.number, entry.id)]


async def test_the_entry_that_solved_most_problems_is_offered_first(
    phone: Phone, provider: FakeProvider, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        for _ in range(3):
            await SqlTicketStore(session).record_deflection("telegram", "u", "otp-not-received", "otp", None)
    await set_up_profile(phone)
    await phone.record(provider.add_recording("RE3", tone_wav(1.0)), seconds=1)
    for digits in ("9", "1"):
        await phone.press(digits)
    entry = services.matcher.knowledge_base.get("otp-not-received")
    assert entry is not None and phone.said()[1] == f"1. {entry.question}"


async def test_star_repeats_the_question(phone: Phone, provider: FakeProvider) -> None:
    await set_up_profile(phone)
    await phone.record(provider.add_recording("RE4", tone_wav(1.0)), seconds=1)
    await phone.press("9")
    asked = phone.said()
    await phone.press("*")
    assert phone.said() == asked


async def test_zero_skips_the_suggested_answers_for_a_message_to_a_person(phone: Phone) -> None:
    await phone.ring()
    await phone.press("0")
    assert phone.said()[0] == "I will pass your problem to the helpdesk team without suggesting answers."
    assert "For English, press 1." in phone.said()  # the profile first, as in every channel
    for _ in range(3):
        await phone.press("1")
    assert phone.said()[1].startswith("You can leave a message for the helpdesk team.")
    assert phone.verbs() == ["Say", "Say", "Record", "Redirect"]


async def test_no_input_twice_ends_the_call_politely_with_the_helpdesk_hours(phone: Phone) -> None:
    await phone.ring()
    await phone.stay_silent()
    assert phone.said()[0] == "Sorry, we did not hear a key press."
    assert "For English, press 1." in phone.said()
    await phone.press("1")  # a key press in between starts the count again
    await phone.stay_silent()
    assert gather(phone.twiml) is not None
    twiml = await phone.stay_silent()
    assert [node.tag for node in twiml] == ["Say", "Hangup"]
    assert "9 AM to 6 PM, Monday to Friday" in phone.spoken()


async def test_a_key_that_is_no_option_says_so_and_asks_again(phone: Phone) -> None:
    await phone.ring()
    await phone.press("7")
    assert phone.said()[0] == "Sorry, that is not one of the options."
    assert "For English, press 1." in phone.said()


async def test_the_language_choice_carries_on_in_that_language(phone: Phone) -> None:
    await phone.ring()
    await phone.press("3")  # Hindi
    says = list(phone.twiml.iter("Say"))
    assert "आपकी भूमिका क्या है?" in [s.text for s in says] and {s.get("language") for s in says} == {"hi-IN"}
    other = Phone(phone.client, "+919000000002")
    await other.ring()
    await other.press("2")  # Odia: every prompt played
    assert other.said() == []
    assert f"{PUBLIC_URL}/voice/prompts/or/ask.role.wav" in other.played()
    assert f"{PUBLIC_URL}/voice/prompts/or/menu.role.cbo.1.wav" in other.played()


async def test_a_recording_on_another_host_is_never_fetched(phone: Phone, provider: FakeProvider,
                                                            services: Services) -> None:
    await set_up_profile(phone)
    await phone.press("0")
    await phone.record("https://attacker.example.net/rec.wav", seconds=5)
    await triage_and_file(phone)
    assert phone.said()[0].startswith("Thank you. Your problem has been recorded")
    async with services.sessions() as session:
        [ticket] = await SqlTicketStore(session).recent()
    assert ticket.attachments == [] and "could not be fetched from https://attacker.example.net" in ticket.description
    assert provider.fetched == []
