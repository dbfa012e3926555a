"""Answers the user rejected for a problem are not offered to them again for it (a restart, the same words
again); another user, or the next problem once this one is filed, still gets them."""

from __future__ import annotations

from core.settings import Settings
from flows.engine import Engine
from tests.fakes import ScriptedChat
from tests.flows.walks import Sessions, ticket

ASK = "I forgot my password and cannot log in"


async def test_a_rejected_answer_is_not_offered_again_for_the_same_problem(
    chat: ScriptedChat, sessions: Sessions, settings: Settings
) -> None:
    await chat.set_up_profile()
    await chat.send(ASK)
    assert "Forgot Password" in chat.text
    await chat.pick("not my problem")
    await chat.send("restart")
    await chat.send("my password does not work")
    assert await chat.state() == "awaiting_module" and "Forgot Password" not in chat.text
    for choice in ("login", "technical", "me_stopped", "no", "confirm"):
        await chat.send_choice(choice)
    assert chat.ticket and (await ticket(sessions, chat.ticket)).faq_rejected == ["forgot-password"]
    await chat.send(ASK)
    await chat.pick("new problem")  # not about the filed ticket: the next problem
    assert "Forgot Password" in chat.text, "a new problem after filing starts afresh"


async def test_only_the_rejected_answer_is_left_out(chat: ScriptedChat, engine: Engine) -> None:
    await chat.set_up_profile()
    await chat.send("password")
    await chat.pick("not my problem")
    await chat.send("cancel")
    await chat.send("the otp for my password does not come")
    assert "OTP does not arrive" in chat.text and "Forgot Password" not in chat.text
    other = ScriptedChat(engine, "u2")
    await other.set_up_profile()
    await other.send(ASK)
    assert "Forgot Password" in other.text, "another user is offered it"
