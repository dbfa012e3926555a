"""Whole calls over the real app: signed provider webhooks in, TwiML out, read with an XML parser."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sqlalchemy import select

from app.wiring import Services
from bot.voice_store import VoiceCallerRow
from tests.voice.conftest import PUBLIC_URL, Phone
from tests.voice.fake_provider import FakeProvider, tone_wav
from tickets.attachments import AttachmentStore
from tickets.models import DeflectionRow
from tickets.store import SqlTicketStore


def gather(twiml: ET.Element) -> ET.Element:
    found = twiml.find("Gather")
    assert found is not None, ET.tostring(twiml, encoding="unicode")
    return found


async def set_up_profile(phone: Phone) -> None:
    """A first call: English, CBO member, the first ULB; ends at the main menu."""
    await phone.ring()
    await phone.press("1")  # English
    await phone.press("1")  # CBO member
    await phone.press("1")  # Jatni
    assert "To report a problem, press 1" in phone.spoken()


async def test_the_first_question_offers_each_language_in_its_own_language(phone: Phone) -> None:
    twiml = await phone.ring()
    menu = gather(twiml)
    assert menu.get("input") == "dtmf" and menu.get("numDigits") == "1"
    assert menu.get("action") == f"{PUBLIC_URL}/voice/step"
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
    await phone.press("1")  # report a problem
    assert "Which part of the app" in phone.spoken() and "For more options, press 9." in phone.said()
    await phone.press("9")  # the second page of modules
    assert "For Login / OTP, press 1." in phone.said()
    await phone.press("1")
    while "How much is this problem affecting your work?" not in phone.said():
        assert phone.said()[0] == "Press 1 if your problem is:"
        await phone.press("2")  # not my problem
    await phone.press("2")  # work stopped only for me
    await phone.press("2")  # no workaround
    record = phone.twiml.find("Record")
    assert record is not None and record.get("action") == f"{PUBLIC_URL}/voice/recorded"
    assert record.get("maxLength") == "120" and record.get("finishOnKey") == "#"

    audio = tone_wav(2.0)
    twiml = await phone.record(provider.add_recording("RE1", audio), seconds=2)

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
    [attachment] = ticket.attachments
    assert attachment["kind"] == "audio"
    store = AttachmentStore(services.settings.attachments_dir)
    assert store.read(attachment["ref"]) == audio

    again = await phone.record(provider.add_recording("RE1", audio), seconds=2)  # the provider retries
    assert [n.text for n in again.iter("Say")] == said
    async with services.sessions() as session:
        assert len(await SqlTicketStore(session).recent()) == 1


async def test_a_caller_is_remembered_and_can_check_their_ticket_by_its_number(
    phone: Phone, provider: FakeProvider
) -> None:
    await set_up_profile(phone)
    await phone.press("0")  # straight to a person
    await phone.record(provider.add_recording("RE2", tone_wav(1.0)), seconds=1)

    await phone.ring()
    assert phone.said()[0] == "Namaskar, welcome back to the MUKTASoft helpdesk."
    await phone.press("2")  # status of a ticket
    number_entry = gather(phone.twiml)
    assert number_entry.get("finishOnKey") == "#" and number_entry.get("numDigits") is None
    await phone.press("1")
    assert phone.said()[:3] == ["Ticket number", "one", "has been received and is waiting for the helpdesk team."]

    stranger = Phone(phone.client, "+919000000001")
    await set_up_profile(stranger)
    await stranger.press("2")
    await stranger.press("1")
    assert stranger.said()[0] == "Sorry, we found no ticket with that number filed from your phone."


async def test_the_faq_path_ends_in_a_deflection(phone: Phone, services: Services) -> None:
    await set_up_profile(phone)
    await phone.press("1")
    await phone.press("9")
    await phone.press("1")  # Login / OTP
    assert phone.said()[0] == "Press 1 if your problem is:"
    question = phone.said()[1]
    await phone.press("1")
    entry = next(e for e in services.matcher.knowledge_base.entries if e.question == question)
    assert phone.said()[0] == entry.answer
    assert phone.said()[-1] == "Press 1 if that solved your problem, or 2 if it did not."
    twiml = await phone.press("1")
    assert phone.said() == ["We are glad that helped. Thank you for calling the MUKTASoft helpdesk. Goodbye."]
    assert [node.tag for node in twiml] == ["Say", "Hangup"]
    async with services.sessions() as session:
        deflections = list(await session.scalars(select(DeflectionRow)))
        assert await SqlTicketStore(session).recent() == []
    assert [(d.channel, d.user_id, d.entry_id) for d in deflections] == [("voice", phone.number, entry.id)]


async def test_the_entry_that_solved_most_problems_is_offered_first(phone: Phone, services: Services) -> None:
    async with services.sessions() as session, session.begin():
        for _ in range(3):
            await SqlTicketStore(session).record_deflection("telegram", "u", "otp-not-received", "otp", None)
    await set_up_profile(phone)
    for digits in ("1", "9", "1"):
        await phone.press(digits)
    entry = services.matcher.knowledge_base.get("otp-not-received")
    assert entry is not None and phone.said()[1] == entry.question


async def test_star_repeats_the_question(phone: Phone) -> None:
    await set_up_profile(phone)
    await phone.press("1")
    asked = phone.said()
    await phone.press("*")
    assert phone.said() == asked


async def test_zero_goes_straight_to_recording_for_a_person(phone: Phone) -> None:
    await phone.ring()
    twiml = await phone.press("0")
    assert phone.said()[0].startswith("You can leave a message for the helpdesk team.")
    assert [node.tag for node in twiml] == ["Say", "Record", "Redirect"]


async def test_no_input_twice_ends_the_call_politely_with_the_helpdesk_hours(phone: Phone) -> None:
    await set_up_profile(phone)
    await phone.stay_silent()
    assert phone.said()[0] == "Sorry, we did not hear a key press."
    assert "To report a problem, press 1" in phone.spoken()
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
    assert says[0].text == "आपकी भूमिका क्या है?" and {s.get("language") for s in says} == {"hi-IN"}
    await phone.ring()
    await phone.press("2")  # Odia: every prompt played
    assert phone.said() == []
    assert phone.played()[0] == f"{PUBLIC_URL}/voice/prompts/or/ask.role.wav"
    assert f"{PUBLIC_URL}/voice/prompts/or/menu.role.cbo.wav" in phone.played()


async def test_a_recording_on_another_host_is_never_fetched(phone: Phone, provider: FakeProvider,
                                                            services: Services) -> None:
    await phone.ring()
    await phone.press("0")
    await phone.record("https://attacker.example.net/rec.wav", seconds=5)
    assert phone.said()[0].startswith("Thank you. Your problem has been recorded")
    async with services.sessions() as session:
        [ticket] = await SqlTicketStore(session).recent()
        profile = await session.scalar(select(VoiceCallerRow))
    assert ticket.attachments == [] and "could not be fetched from https://attacker.example.net" in ticket.description
    assert provider.fetched == [] and profile is None
