"""The KB edit form: every wrong field named in the maintainer's words; translations go stale with the English."""

from __future__ import annotations

import datetime as dt

from kb.loader import load_knowledge_base
from kb.schema import Entry
from web.kbedit import form_of, parse

DAY = dt.date(2026, 12, 2)


def shipped(entry_id: str) -> Entry:
    entry = load_knowledge_base().get(entry_id)
    assert entry is not None
    return entry


def test_each_wrong_field_gets_its_own_message_naming_it() -> None:
    entry = shipped("employee-login")
    values = form_of(entry) | {"alternates": "just one", "answer": "x" * 601, "module": "spaceship",
                               "links": "ftp://old.example", "or_answer": ""}
    parsed, draft = parse(values, None, today=DAY, who="asha")
    assert parsed is None
    assert set(draft.errors) == {"alternates", "answer", "module", "links", "or_answer"}
    assert draft.errors["alternates"] == "Other ways users ask it: needs at least 3, one per line; there are 1"
    assert draft.errors["answer"].startswith("The answer is 601 characters long; the limit is 600")
    assert draft.errors["module"].startswith("The module 'spaceship' is unknown; use one of")
    assert draft.errors["links"].startswith("A link (line 1) 'ftp://old.example' is not an http(s) link")
    assert draft.errors["or_answer"] == "The Odia answer is required but missing"
    assert not any("String should" in m or "^" in m for m in draft.errors.values())


def test_a_new_id_that_is_not_a_slug_says_how_to_write_one() -> None:
    values = form_of(shipped("employee-login")) | {"id": "Not A Slug"}
    _, draft = parse(values, None, today=DAY, who="asha")
    assert draft.errors["id"] == ("The id 'Not A Slug' is not a slug: use only lower-case letters, digits and "
                                  "hyphens, e.g. forgot-password")


def test_saving_marks_reviewed_today_keeps_the_id_and_fills_a_blank_owner() -> None:
    entry = shipped("employee-login")
    values = form_of(entry) | {"id": "renamed-quietly", "owner": ""}
    parsed, _ = parse(values, entry, today=DAY, who="asha")
    assert parsed is not None
    assert (parsed.id, parsed.reviewed, parsed.owner) == ("employee-login", DAY, "asha")


def test_changing_the_english_answer_marks_untouched_translations_stale() -> None:
    entry = shipped("employee-login")
    values = form_of(entry) | {"answer": entry.answer + " Then tap Continue.",
                               "hi_answer": "पहली स्क्रीन पर भाषा चुनें, फिर लॉगिन करें।"}
    parsed, _ = parse(values, entry, today=DAY, who="asha")
    assert parsed is not None
    assert parsed.stale_translations() == ["or"]  # Hindi was updated in the same save


def test_confirming_a_stale_translation_clears_the_mark() -> None:
    entry = shipped("employee-login")
    changed = form_of(entry) | {"answer": entry.answer + " Then tap Continue."}
    stale, _ = parse(changed, entry, today=DAY, who="asha")
    assert stale is not None and stale.stale_translations() == ["or", "hi"]
    again, _ = parse(form_of(stale), stale, today=DAY, who="asha")
    assert again is not None and again.stale_translations() == ["or", "hi"]  # saving other things keeps it
    confirmed, _ = parse(form_of(stale) | {"or_confirm": "yes"}, stale, today=DAY, who="asha")
    assert confirmed is not None and confirmed.stale_translations() == ["hi"]
