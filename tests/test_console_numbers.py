"""Numbered menus show a number once: "1 (poor)" is not shown as "1. 1 (poor)" (console, WhatsApp lists)."""

from __future__ import annotations

from rich.console import Console

from bot.console import render
from bot.whatsapp_render import render as whatsapp_render
from core.messages import Choice, Reply


def _shown(reply: Reply) -> list[str]:
    console = Console(record=True, width=100, color_system=None)
    render(console, reply)
    return [line.strip() for line in console.export_text().splitlines()[1:]]


def test_rating_labels_that_start_with_their_number_are_not_numbered_again() -> None:
    labels = ["1 (poor)", "2", "5 (excellent)"]
    rating = Reply("How would you rate the help you got?",
                   tuple(Choice(f"rate:HD-1:{n}", label) for n, label in enumerate(labels, 1)))
    assert _shown(rating) == ["1 (poor)", "2", "3. 5 (excellent)"]


def test_other_menus_are_numbered() -> None:
    assert _shown(Reply("Fixed?", (Choice("a", "Yes, it is fixed"), Choice("b", "No")))) == [
        "1. Yes, it is fixed", "2. No"]


def test_whatsapp_lists_rating_rows_with_their_number_once() -> None:
    labels = ["1 (poor)", "2", "3", "4", "5 (excellent)"]
    rating = Reply("How would you rate the help you got?",
                   tuple(Choice(f"rate:HD-1:{n}", label) for n, label in enumerate(labels, 1)))
    [message] = whatsapp_render(rating)
    rows = message["interactive"]["action"]["sections"][0]["rows"]
    assert [row["title"] for row in rows] == labels
