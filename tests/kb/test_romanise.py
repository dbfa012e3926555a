"""Romanised Hindi and Odia: the transliteration, and questions typed in Latin letters finding entries whose
only matching words are in their Hindi or Odia translation."""

from __future__ import annotations

from pathlib import Path

from kb.loader import load_knowledge_base
from kb.loo import held_out
from kb.matcher import LexicalMatcher
from kb.romanise import romanise
from tests.kb.conftest import write_content

ENTRY = """\
entries:
  - id: wages-not-received
    question: The wage seekers have not received their wages
    alternates: [wages pending, salary not credited, payment to labour delayed]
    answer: Check the payment status.
    module: payments
    translations:
      or: {question: ଶ୍ରମିକମାନେ ମଜୁରି ପାଇନାହାନ୍ତି, alternates: [ମଜୁରି ଟଙ୍କା ଆସିନି], answer: ସ୍ଥିତି ଦେଖନ୍ତୁ।}
      hi: {question: मजदूरों को मजदूरी नहीं मिली, alternates: [मजदूरी का पैसा नहीं आया], answer: स्थिति देखें।}
  - id: create-project
    question: How do I create a new project?
    alternates: [new project, add a project, project entry]
    answer: Projects > Create.
    module: project
"""


def test_words_are_written_the_way_people_type_them() -> None:
    assert romanise("पासवर्ड भूल गया") == "pasavard bhul gaya"
    assert romanise("ओटीपी नहीं आ रहा") == "otipi nahin a raha"
    assert romanise("ହାଜିରା କେମିତି ଦେବି") == "hajira kemiti debi"  # Odia keeps its final vowels
    assert romanise("ମଜୁରି ବିଲ୍") == "majuri bil"
    assert romanise("otp 12") == "otp 12"


def test_romanised_hindi_and_odia_find_the_entry_through_its_translation(tmp_path: Path) -> None:
    matcher = LexicalMatcher(load_knowledge_base(write_content(tmp_path, {"a.yaml": ENTRY})))
    for text in ("majduri ka paisa nahi aaya", "majuri tanka asini"):
        result = matcher.propose(text)
        assert not result.abstain, text
        assert result.hits[0].entry_id == "wages-not-received"


def test_leave_one_out_takes_each_phrasing_out_of_its_own_entry(tmp_path: Path) -> None:
    kb = load_knowledge_base(write_content(tmp_path, {"a.yaml": ENTRY}))
    cases = list(held_out(kb))
    assert len(cases) == sum(len(e.phrasings(lang)) for e in kb.entries for lang in ("en", "or", "hi"))
    for smaller, case in cases:
        entry = smaller.get(str(case.expected))
        assert entry is not None
        assert case.text not in [t for lang in ("en", "or", "hi") for t in entry.phrasings(lang)]
    assert len(list(held_out(kb, every=4))) == (len(cases) + 3) // 4
