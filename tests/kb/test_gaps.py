from __future__ import annotations

from kb.gaps import cluster_texts
from kb.normalize import Synonyms

TEXTS = [
    "OTP not received on my phone",
    "muster roll of last week not visible",
    "i am not receiving the otp",
    "otp not received since morning",
    "cannot see the muster roll of last week",
    "how to change the language of the app",
]


def test_similar_problems_are_grouped_largest_first() -> None:
    groups = cluster_texts(TEXTS)
    assert [g.size for g in groups] == [3, 2, 1]
    assert set(groups[0].members) == {0, 2, 3}
    assert set(groups[1].members) == {1, 4}


def test_each_group_shows_examples_and_shared_words() -> None:
    top = cluster_texts(TEXTS, examples=2)[0]
    assert len(top.examples) == 2
    assert all("otp" in text.lower() for text in top.examples)
    assert "otp" in top.keywords


def test_synonyms_bring_variants_together() -> None:
    texts = ["mb not saving", "measurement book not saving", "bill rejected by treasury"]
    groups = cluster_texts(texts, synonyms=Synonyms.from_mapping({"measurement book": ["mb"]}))
    assert groups[0].size == 2


def test_no_texts_make_no_groups() -> None:
    assert cluster_texts([]) == []


def test_a_group_is_labelled_by_its_most_typical_whole_description() -> None:
    texts = ["otp not received", "otp not received on my phone since morning", "the otp is not received",
             "otp not received today", "how to add a new wage seeker"]
    top = cluster_texts(texts)[0]
    assert top.size == 4 and top.typical in top.members
    assert texts[top.typical] in texts  # a whole sentence a user wrote, never a list of word stems
    assert texts[top.typical] == "otp not received"
