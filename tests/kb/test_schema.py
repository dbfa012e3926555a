from __future__ import annotations

import pytest
from pydantic import ValidationError

from kb.schema import ANSWER_LIMIT, Entry


def _entry(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "id": "forgot-password",
        "question": "I forgot my password",
        "alternates": ["forgot pwd", "password bhul gaya", "reset password"],
        "answer": "Tap Forgot Password.",
        "module": "login",
    }
    return data | changes


def test_a_minimal_entry_is_for_everyone_and_untranslated() -> None:
    entry = Entry.model_validate(_entry())
    assert entry.audience == "all"
    assert entry.translations == {}
    assert entry.phrasings("en")[0] == "I forgot my password"


def test_texts_fall_back_to_english_without_a_translation() -> None:
    entry = Entry.model_validate(
        _entry(translations={"hi": {"question": "पासवर्ड भूल गया", "answer": "Forgot Password दबाएँ।"}})
    )
    assert entry.texts("hi") == ("पासवर्ड भूल गया", "Forgot Password दबाएँ।")
    assert entry.texts("or") == ("I forgot my password", "Tap Forgot Password.")
    assert entry.phrasings("or") == []


@pytest.mark.parametrize(
    "changes",
    [
        {"id": "Forgot_Password"},
        {"module": "roads"},
        {"alternates": ["one", "two"]},
        {"answer": "x" * (ANSWER_LIMIT + 1)},
        {"audience": "everyone"},
        {"question": 42},
        {"question": "   "},
        {"reviewed": "last week"},
        {"links": ["not a link"]},
        {"colour": "red"},
    ],
)
def test_the_schema_refuses_what_maintainers_get_wrong(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Entry.model_validate(_entry(**changes))
