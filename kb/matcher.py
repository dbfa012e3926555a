"""The lexical matcher: ranks whole entries for a user's words and abstains when unsure."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kb.index import LexicalIndex, Weights
from kb.loader import KnowledgeBase, gc_paused
from kb.normalize import SCRIPT_LANG, Normalizer, script_of, stem
from kb.protocol import Hit, MatchResult
from kb.schema import LANGS, Entry
from kb.semantic import Fusion, SemanticIndex, StaticVectors, fuse

log = logging.getLogger(__name__)

# Below this confidence the bot offers no FAQ answer. `helpdesk kb tune` picks 0.17 on CLINC150's
# validation rows and 0.21 on kb/eval/shipped.yaml; the default sits between, leaning towards abstaining.
DEFAULT_THRESHOLD = 0.2
# With a static vector table the confidence is the fused one (kb/semantic.py): `helpdesk kb tune` picks
# 0.31 on CLINC150's validation rows.
SEMANTIC_THRESHOLD = 0.31
# An Odia or Devanagari query has no semantic signal (the model is English): its lexical confidence is
# scaled so that one threshold makes the same decision for it as the lexical threshold would.
LEXICAL_TO_FUSED = SEMANTIC_THRESHOLD / DEFAULT_THRESHOLD


@dataclass(frozen=True)
class _ScriptIndex:
    index: LexicalIndex
    entries: tuple[int, ...]  # the index's document i is knowledge-base entry entries[i]


@dataclass(frozen=True)
class _State:
    kb: KnowledgeBase
    normalizer: Normalizer
    scripts: dict[str, _ScriptIndex]
    semantic: SemanticIndex | None  # over the Latin-script index's documents, in its order


def _build(kb: KnowledgeBase, weights: Weights, vectors: StaticVectors | None) -> _State:
    """One index per script, so an Odia or Devanagari query meets the texts written in it."""
    with gc_paused():
        return _indexed(kb, weights, vectors)


def _indexed(kb: KnowledgeBase, weights: Weights, vectors: StaticVectors | None) -> _State:
    normalizer = Normalizer(kb.synonyms)
    grouped: dict[str, dict[int, list[list[str]]]] = {}
    for position, entry in enumerate(kb.entries):
        for lang in LANGS:
            for text in entry.phrasings(lang):
                docs = grouped.setdefault(script_of(text), {})
                docs.setdefault(position, []).append(normalizer.words(text))
    scripts = {
        script: _ScriptIndex(LexicalIndex([[_phrasing(w) for w in d] for d in docs.values()], weights), tuple(docs))
        for script, docs in grouped.items()
    }
    latin = grouped.get("latin")
    semantic = SemanticIndex(vectors, list(latin.values())) if vectors and latin else None
    return _State(kb, normalizer, scripts, semantic)


def _phrasing(words: list[str]) -> tuple[list[str], str]:
    terms = [stem(word) for word in words]
    return terms, " ".join(terms)


class LexicalMatcher:
    """BM25, TF-IDF cosines and character n-grams over whole entries, fused into one confidence.

    Given a static vector table (kb/distill.py), the cosine to each entry's centroid joins the fusion for
    Latin-script queries; an Odia or Devanagari query keeps its lexical confidence (the model is English).
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        threshold: float | None = None,
        weights: Weights | None = None,
        vectors: StaticVectors | None = None,
        fusion: Fusion | None = None,
    ) -> None:
        self.weights = weights or Weights()
        self.vectors = vectors
        self.fusion = fusion or Fusion()
        default = DEFAULT_THRESHOLD if vectors is None else SEMANTIC_THRESHOLD
        self.threshold = default if threshold is None else threshold
        self._state = _build(kb, self.weights, vectors)

    @classmethod
    def from_knowledge_base(
        cls, kb: KnowledgeBase, threshold: float | None = None, vectors: StaticVectors | None = None
    ) -> LexicalMatcher:
        return cls(kb, threshold, vectors=vectors)

    @property
    def knowledge_base(self) -> KnowledgeBase:
        return self._state.kb

    def reload(self, kb: KnowledgeBase) -> None:
        """Index the new entries, then swap them in at once; a match in flight sees old or new, not both."""
        self._state = _build(kb, self.weights, self.vectors)
        log.info("matcher reloaded with %d entries", len(kb.entries))

    def rank(self, text: str, *, audience: str | None = None, limit: int = 3) -> list[tuple[Entry, float]]:
        """The best entries for `text` with their confidence, best first, ignoring the threshold."""
        state = self._state
        name = script_of(text)
        script = state.scripts.get(name)
        if script is None:
            return []
        words = state.normalizer.words(text)
        if name == "latin" and state.semantic is not None:
            scored = self._fused(script.index, state.semantic, words, limit)
        else:
            terms, flat = _phrasing(words)
            scored = script.index.score(terms, flat, depth=limit)
            if self.vectors is not None:  # no semantic signal in this script: put it on the fused scale
                scored = [(doc, min(1.0, score * LEXICAL_TO_FUSED)) for doc, score in scored]
        ranked: list[tuple[Entry, float]] = []
        for doc, score in scored:
            entry = state.kb.entries[script.entries[doc]]
            if audience in (None, "all") or entry.audience in ("all", audience):
                ranked.append((entry, round(score, 4)))
        return ranked[:limit]

    def _fused(
        self, index: LexicalIndex, semantic: SemanticIndex, words: list[str], limit: int
    ) -> list[tuple[int, float]]:
        """Lexical candidates and the entries nearest in meaning, scored on both."""
        terms, flat = _phrasing(words)
        query = semantic.query(words)
        nearest = semantic.nearest(query, self.fusion.candidates) if query is not None else []
        scored = index.score(terms, flat, depth=limit, extra=nearest)
        cosines = semantic.cosines(query, [entry for entry, _ in scored]) if query is not None else None
        return fuse(scored, cosines, self.fusion)

    def match(self, text: str, *, lang: str | None = None, limit: int = 3, audience: str | None = None) -> MatchResult:
        """Ranked hits in `lang` (or the query's script's language) and whether to abstain."""
        lang = lang or SCRIPT_LANG[script_of(text)]
        ranked = self.rank(text, audience=audience, limit=limit)
        hits = tuple(_hit(entry, score, lang) for entry, score in ranked)
        return MatchResult(hits, abstain=not hits or hits[0].score < self.threshold)


def _hit(entry: Entry, score: float, lang: str) -> Hit:
    question, answer = entry.texts(lang)
    return Hit(entry.id, question, answer, score, entry.module)
