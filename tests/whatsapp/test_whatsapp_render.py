"""Replies as WhatsApp messages, within WhatsApp's limits (the fake Cloud API enforces the same ones)."""

from __future__ import annotations

from bot.whatsapp_render import render
from core.messages import Choice, Reply


def choices(*labels: str) -> tuple[Choice, ...]:
    return tuple(Choice(f"c{i}", label) for i, label in enumerate(labels))


def test_three_short_choices_are_buttons() -> None:
    [message] = render(Reply("Is it fixed?", choices("Fixed", "Still not working")))
    assert message["interactive"]["type"] == "button"
    assert [b["reply"]["title"] for b in message["interactive"]["action"]["buttons"]] == ["Fixed", "Still not working"]


def test_a_label_too_long_for_a_button_makes_a_list_with_the_whole_label_in_the_description() -> None:
    [message] = render(Reply("Which module?", choices("Measurement book", "Attendance and muster roll")))
    rows = message["interactive"]["action"]["sections"][0]["rows"]
    assert message["interactive"]["type"] == "list"
    assert all(len(r["title"]) <= 24 for r in rows)
    assert rows[1]["description"] == "Attendance and muster roll"


def test_more_than_ten_choices_are_numbered_text() -> None:
    [message] = render(Reply("Your ULB?", choices(*(f"ULB {n}" for n in range(12)))))
    assert message["type"] == "text" and "12. ULB 11" in message["text"]["body"]


def test_long_text_is_split_under_4096_and_an_interactive_body_under_1024() -> None:
    long = "\n\n".join(f"Paragraph {n}: " + "ଓଡ଼ିଆ ଲେଖା " * 40 for n in range(20))
    messages = render(Reply(long, choices("Yes", "No")))
    assert messages[-1]["type"] == "interactive" and len(messages[-1]["interactive"]["body"]["text"]) <= 1024
    assert all(len(m["text"]["body"]) <= 4096 for m in messages[:-1])
    assert "".join(m["text"]["body"] if m["type"] == "text" else m["interactive"]["body"]["text"]
                   for m in messages).count("Paragraph") == 20


async def test_the_pacer_lets_a_burst_through_then_one_message_per_pair_gap() -> None:
    from bot.whatsapp_api import Pacer

    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(1000.0, burst=3, pair_gap_s=6.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        await pacer.wait("919437000001")
    assert sum(slept) < 0.01, "a burst of three goes at once"
    await pacer.wait("919437000002")
    assert sum(slept) < 0.01, "another user is not held up"
    await pacer.wait("919437000001")
    assert 5.9 < sum(slept) < 6.1, "the fourth to the same user waits for the bucket"
