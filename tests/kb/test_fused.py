"""The fused matcher on small data: routing by script, fusion, abstaining, the entry-vector cache, reloads in
the background and the fall-back to lexical matching. A tiny stand-in encoder (words to concept axes) speaks
the encoder protocol, so these tests run in milliseconds; the real encoders are measured in bench/."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from kb.encoded import EncodedIndex
from kb.encoders import Encoders, FloatArray, load_encoders
from kb.loader import KnowledgeBase
from kb.matcher import Abstain, LexicalMatcher, Route
from kb.normalize import script_of

# Words of one meaning share an axis, in any script; a word not listed is unknown to the encoder.
CONCEPTS = {
    "password": 0, "pwd": 0, "login": 0, "पासवर्ड": 0, "ପାସୱାର୍ଡ": 0, "forgot": 4, "remember": 4, "भूल": 4,
    "otp": 1, "sms": 1, "code": 1, "ओटीपी": 1, "ଓଟିପି": 1, "arrive": 5, "received": 5,
    "measurement": 2, "mb": 2, "book": 2, "ମାପ": 2, "create": 6, "new": 6,
    "weather": 3, "rain": 3, "cricket": 3,
}  # fmt: skip
WORD = re.compile(r"\w+")


@dataclass
class ConceptEncoder:
    """Counts concept words into a unit vector; remembers every text it was asked to encode."""

    name: str = "concepts"
    seen: list[str] = field(default_factory=list)
    fail: bool = False

    def _encode(self, texts: Sequence[str]) -> FloatArray:
        if self.fail:
            raise RuntimeError("the engine crashed")
        self.seen.extend(texts)
        out = np.full((len(texts), 8), 0.05, dtype=np.float32)
        for row, text in enumerate(texts):
            for word in WORD.findall(text.lower()):
                if word in CONCEPTS:
                    out[row, CONCEPTS[word]] += 1.0
        unit: FloatArray = out / np.linalg.norm(out, axis=1, keepdims=True)
        return unit

    def queries(self, texts: Sequence[str]) -> FloatArray:
        return self._encode(texts)

    def passages(self, texts: Sequence[str]) -> FloatArray:
        return self._encode(texts)

    def coverage(self, text: str) -> float:
        words = WORD.findall(text.lower())
        return sum(w in CONCEPTS for w in words) / len(words) if words else 0.0


ROUTES = {"latin": Route(0.7, 0.0, 0.3), "odia": Route(0.7, 0.0, 0.3), "devanagari": Route(0.7, 0.0, 0.3)}


def fused(kb: KnowledgeBase, latin: ConceptEncoder, indic: ConceptEncoder, **options: object) -> LexicalMatcher:
    encoders = Encoders({"latin": latin, "odia": indic, "devanagari": indic})
    return LexicalMatcher(kb, encoders=encoders, routes=ROUTES, **options)  # type: ignore[arg-type]


def test_an_english_encoder_never_scores_odia_or_devanagari_queries(good_kb: KnowledgeBase) -> None:
    english, multilingual = ConceptEncoder("english"), ConceptEncoder("multilingual")
    matcher = fused(good_kb, english, multilingual)
    english.seen.clear()
    multilingual.seen.clear()
    for text in ("ଓଟିପି ଆସୁନି", "पासवर्ड भूल गया", "forgot pwd"):
        matcher.propose(text)
    assert english.seen == ["forgot pwd"]
    assert [script_of(t) for t in multilingual.seen] == ["odia", "devanagari"]
    assert all(script_of(t) == "latin" for t in english.seen)


def test_meaning_finds_an_entry_that_shares_no_word_with_the_question(good_kb: KnowledgeBase) -> None:
    lexical = LexicalMatcher(good_kb)
    assert lexical.propose("code did not arrive").abstain
    result = fused(good_kb, ConceptEncoder(), ConceptEncoder()).propose("code did not arrive")
    assert not result.abstain
    assert [hit.entry_id for hit in result.hits] == ["otp-not-received"]
    assert result.reasons is not None and result.reasons.script == "latin"


def test_one_clearly_right_answer_is_offered_alone_with_its_reasons(good_kb: KnowledgeBase) -> None:
    result = fused(good_kb, ConceptEncoder(), ConceptEncoder()).propose("forgot my login password")
    assert [hit.entry_id for hit in result.hits] == ["forgot-password"]
    reasons = result.reasons
    assert reasons is not None and reasons.decision == "clear" and reasons.agree is True
    assert reasons.score >= reasons.threshold and reasons.margin >= Abstain().clear_margin


def test_close_answers_are_offered_together_and_only_then(good_kb: KnowledgeBase) -> None:
    lenient = Abstain(clear_margin=1.0, close=1.0)  # nothing counts as clear: every entry above the bar is close
    matcher = fused(good_kb, ConceptEncoder(), ConceptEncoder(), abstain=lenient)
    result = matcher.propose("password otp", limit=3)
    assert result.reasons is not None and result.reasons.decision == "close"
    assert {"forgot-password", "otp-not-received"} <= {hit.entry_id for hit in result.hits}
    strict = fused(good_kb, ConceptEncoder(), ConceptEncoder(), abstain=Abstain(clear_margin=0.0))
    assert len(strict.propose("password otp", limit=3).hits) == 1


def test_an_unrelated_question_abstains(good_kb: KnowledgeBase) -> None:
    result = fused(good_kb, ConceptEncoder(), ConceptEncoder()).propose("will it rain for the cricket")
    assert result.abstain and result.confident_hits == ()
    assert result.reasons is not None and result.reasons.decision == "below-threshold"


def test_rejected_answers_are_never_offered_again(good_kb: KnowledgeBase) -> None:
    matcher = fused(good_kb, ConceptEncoder(), ConceptEncoder())
    first = matcher.propose("forgot my login password")
    again = matcher.propose("forgot my login password", exclude={first.hits[0].entry_id})
    assert first.hits[0].entry_id not in {hit.entry_id for hit in again.hits}


def test_each_script_has_its_own_threshold(good_kb: KnowledgeBase) -> None:
    routes = {"latin": Route(0.7, 0.0, 0.3), "odia": Route(0.7, 0.0, 0.99), "devanagari": Route(0.7, 0.0, 0.3)}
    encoder = ConceptEncoder()
    matcher = LexicalMatcher(good_kb, encoders=Encoders({"latin": encoder, "odia": encoder}), routes=routes)
    assert matcher.threshold_for("odia") == 0.99 and matcher.threshold_for("latin") == 0.3
    assert matcher.propose("ଓଟିପି ଆସୁନି").abstain
    assert not matcher.propose("otp not received").abstain


def test_entry_vectors_are_cached_and_encoded_again_only_when_the_kb_changes(
    good_kb: KnowledgeBase, tmp_path: Path
) -> None:
    first = ConceptEncoder()
    fused(good_kb, first, first, cache=tmp_path)
    assert first.seen
    assert sorted(tmp_path.glob("concepts-*.npy"))
    second = ConceptEncoder()
    matcher = fused(good_kb, second, second, cache=tmp_path)
    assert second.seen == []  # every vector came from the cache
    assert matcher.semantic_scripts() == ["devanagari", "latin", "odia"]
    changed = KnowledgeBase(good_kb.entries[:1], good_kb.sources[:1], good_kb.synonyms)
    matcher.reload(changed)
    assert second.seen  # the changed knowledge base was encoded


def test_a_reload_encodes_in_the_background_and_matches_lexically_meanwhile(
    good_kb: KnowledgeBase, tmp_path: Path
) -> None:
    encoder = ConceptEncoder()
    matcher = fused(good_kb, encoder, encoder, cache=tmp_path, background=True)
    assert matcher.wait_encoded(timeout=10)
    assert matcher.semantic_scripts() == ["devanagari", "latin", "odia"]
    changed = KnowledgeBase(good_kb.entries[:2], good_kb.sources[:2], good_kb.synonyms)
    matcher.reload(changed)  # returns before encoding the changed entries; they are swapped in when done
    assert matcher.knowledge_base is changed
    assert matcher.wait_encoded(timeout=10)
    assert matcher.semantic_scripts() == ["devanagari", "latin", "odia"]
    assert not matcher.propose("code did not arrive").abstain


def test_an_encoder_that_fails_leaves_matching_lexical_with_a_log_line(
    good_kb: KnowledgeBase, caplog: pytest.LogCaptureFixture
) -> None:
    broken = ConceptEncoder(fail=True)
    with caplog.at_level(logging.WARNING):
        matcher = fused(good_kb, broken, broken)
    assert matcher.semantic_scripts() == []
    assert "matching stays lexical" in caplog.text
    assert matcher.propose("forgot pwd").hits[0].entry_id == "forgot-password"


def test_an_encoder_that_cannot_load_is_logged_and_left_out(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        encoders = load_encoders(1, wanted=("no-such-encoder",))
    assert encoders.by_script == {}
    assert "no-such-encoder not loaded" in caplog.text


def test_a_multilingual_route_builds_entry_vectors_from_every_language(good_kb: KnowledgeBase) -> None:
    own, every = ConceptEncoder("own"), ConceptEncoder("every")
    LexicalMatcher(good_kb, encoders=Encoders({"odia": own}), routes=ROUTES)
    routes = {**ROUTES, "odia": Route(0.7, 0.0, 0.3, every_language=True)}
    LexicalMatcher(good_kb, encoders=Encoders({"odia": every}), routes=routes)
    assert {script_of(text) for text in own.seen} == {"odia"}
    assert {script_of(text) for text in every.seen} == {"odia", "latin", "devanagari"}
    assert "cannot remember my login password" in every.seen


def test_the_best_phrasing_mixes_into_the_entry_cosine() -> None:
    vectors = np.array([[1, 0], [0, 1], [1, 0]], dtype=np.float32)  # entry 0: two phrasings apart; entry 1: one
    query = np.array([1, 0], dtype=np.float32)
    centroid = EncodedIndex(ConceptEncoder(), vectors, [0, 0, 1], 2)
    mixed = EncodedIndex(ConceptEncoder(), vectors, [0, 0, 1], 2, best_share=0.5)
    assert centroid.cosines(query)[0] == pytest.approx(2**-0.5, abs=1e-6)
    assert mixed.cosines(query)[0] == pytest.approx(0.5 * 2**-0.5 + 0.5, abs=1e-6)
    assert mixed.cosines(query)[1] == pytest.approx(1.0, abs=1e-6)


def test_disagreeing_evidence_raises_the_bar(good_kb: KnowledgeBase) -> None:
    text = "password otp"  # lexical and meaning may name different entries: then the bar rises
    plain = fused(good_kb, ConceptEncoder(), ConceptEncoder())
    reasons = plain.propose(text).reasons
    assert reasons is not None and reasons.agree is not None
    routes = {**ROUTES, "latin": Route(0.7, 0.0, 0.3, disagree_margin=0.9, clear_margin=0.0)}
    strict = LexicalMatcher(good_kb, encoders=Encoders({"latin": ConceptEncoder()}), routes=routes)
    raised = strict.propose(text).reasons
    assert raised is not None
    assert raised.threshold == pytest.approx(0.3 + (0.9 if raised.agree is False else 0.0))
    assert strict.margins("latin") == (0.0, 0.9) and strict.margins("odia") == (Abstain().clear_margin, 0.0)


def test_a_romanised_question_is_judged_by_its_own_bar_and_answered(good_kb: KnowledgeBase) -> None:
    routes = {**ROUTES, "latin": Route(0.7, 0.0, 0.99), "romanised": Route(0.7, 0.0, 0.2)}
    matcher = LexicalMatcher(good_kb, encoders=Encoders({"latin": ConceptEncoder()}), routes=routes)
    romanised = matcher.propose("password bhul gaya mera")  # few words the (stand-in) English encoder knows
    assert romanised.reasons is not None and romanised.reasons.script == "romanised"
    assert not romanised.abstain and [hit.entry_id for hit in romanised.hits] == ["forgot-password"]
    english = matcher.propose("forgot my login password")
    assert english.reasons is not None and english.reasons.script == "latin" and english.abstain
    assert matcher.threshold_for("romanised") == 0.2 and matcher.threshold_for("latin") == 0.99


def test_a_crowd_of_close_entries_raises_the_bar(good_kb: KnowledgeBase) -> None:
    text = "forgot my login password"
    crowd = Abstain(close=1.0, crowd_margin=0.9)  # every entry counts as close: the best does not stand out
    strict = fused(good_kb, ConceptEncoder(), ConceptEncoder(), abstain=crowd).propose(text)
    assert strict.reasons is not None and strict.reasons.crowded
    assert strict.abstain and strict.reasons.threshold == pytest.approx(0.3 + 0.9)
    plain = fused(good_kb, ConceptEncoder(), ConceptEncoder(), abstain=Abstain(close=1.0)).propose(text)
    assert not plain.abstain


def test_an_entry_close_to_many_others_counts_less_in_meaning(good_kb: KnowledgeBase) -> None:
    text = "forgot my login password"
    plain = fused(good_kb, ConceptEncoder(), ConceptEncoder())
    hub = {**ROUTES, "latin": Route(0.7, 0.0, 0.3, hub=0.5, hub_k=2)}
    reduced = LexicalMatcher(good_kb, encoders=Encoders({"latin": ConceptEncoder()}), routes=hub)
    before, after = plain.rank(text, limit=5), reduced.rank(text, limit=5)
    assert before[0][0].id == after[0][0].id == "forgot-password"
    assert all(a[1] <= b[1] for a, b in zip(sorted(after, key=lambda p: p[0].id),
                                            sorted(before, key=lambda p: p[0].id), strict=True))  # fmt: skip


def test_a_romanised_question_on_a_lexical_route_is_not_encoded(good_kb: KnowledgeBase) -> None:
    encoder = ConceptEncoder()
    routes = {**ROUTES, "romanised": Route(0.0, 0.0, 0.2)}
    matcher = LexicalMatcher(good_kb, encoders=Encoders({"latin": encoder}), routes=routes)
    result = matcher.propose("password bhul gaya mera")
    assert [hit.entry_id for hit in result.hits] == ["forgot-password"] and not result.abstain
    assert "password bhul gaya mera" not in encoder.seen  # no encoder time spent on what it cannot read
    matcher.propose("forgot my login password")
    assert "forgot my login password" in encoder.seen


def test_disagreeing_evidence_in_a_crowd_raises_the_bar_further(good_kb: KnowledgeBase) -> None:
    routes = {**ROUTES, "latin": Route(0.7, 0.0, 0.3, disagree_margin=0.0, crowd_margin=0.0, both_margin=0.9)}
    matcher = LexicalMatcher(good_kb, encoders=Encoders({"latin": ConceptEncoder()}), routes=routes,
                             abstain=Abstain(close=1.0))  # fmt: skip
    for text in ("password otp", "forgot my login password"):
        reasons = matcher.propose(text).reasons
        assert reasons is not None and reasons.crowded
        both = reasons.agree is False
        assert reasons.threshold == pytest.approx(0.3 + (0.9 if both else 0.0))
        assert matcher.propose(text).abstain or not both
    assert matcher.propose("password otp").reasons.agree is False  # type: ignore[union-attr]
