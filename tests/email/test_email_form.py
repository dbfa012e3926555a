"""The lettered e-mail form is a rendering of the flow's own menus on the way to a ticket (flows.form): the
same questions, worded and with the options the conversation gives them, in the order it asks them."""

from __future__ import annotations

from bot.email_form import LETTERS, read_answers, render_form, still_needed
from core.i18n import Catalog
from core.messages import ASKS
from core.settings import Settings
from flows.form import FIELDS, ask_all


def test_the_form_letters_each_menu_of_the_flow_but_the_language_in_the_order_asked() -> None:
    assert list(LETTERS) == [name for name in FIELDS if name != "profile.language"]
    assert LETTERS == {"profile.role": "A", "profile.ulb": "B", "case.module": "C", "case.category": "D",
                       "case.impact": "E", "case.workaround": "F"}


def test_each_lettered_question_reads_as_the_conversation_asks_it_in_the_mails_language(catalog: Catalog) -> None:
    settings = Settings()
    for language in ("en", "or", "hi"):
        form = render_form(settings, catalog, language, list(LETTERS.values()), first=True)
        for question, letter in zip(ask_all(settings, catalog, language, list(LETTERS)), LETTERS.values(),
                                    strict=True):
            assert f"{letter}. {question.text}" in form
            assert question.choices and all(choice.label in form for choice in question.choices)
            assert question.meta[ASKS] in LETTERS


def test_a_mail_lists_only_the_questions_still_ahead_and_unanswered() -> None:
    assert still_needed(None, set()) == ["A", "B", "C", "D", "E", "F"]
    assert still_needed("awaiting_problem", {"D"}) == ["C", "E", "F"]  # the profile is known by then
    assert still_needed("confirming", set()) == []
    assert read_answers("B: Jatni\nc 2").letters == {"B": "Jatni", "C": "2"}
