"""The lexical matcher: ranks whole entries for a user's words and abstains when unsure."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kb.index import LexicalIndex, Weights
from kb.loader import KnowledgeBase
from kb.normalize import SCRIPT_LANG, Normalizer, script_of
from kb.protocol import Hit, MatchResult
from kb.schema import LANGS, Entry

log = logging.getLogger(__name__)

# Below this confidence the bot offers no FAQ answer. `helpdesk kb tune` picks 0.17 on CLINC150's
# validation rows and 0.21 on kb/eval/shipped.yaml; the default sits between, leaning towards abstaining.
DEFAULT_THRESHOLD = 0.2


@dataclass(frozen=True)
class _ScriptIndex:
    index: LexicalIndex
    entries: tuple[int, ...]  # the index's document i is knowledge-base entry entries[i]


@dataclass(frozen=True)
class _State:
    kb: KnowledgeBase
    normalizer: Normalizer
    scripts: dict[str, _ScriptIndex]


def _build(kb: KnowledgeBase, weights: Weights) -> _State:
    """One index per script, so an Odia or Devanagari query meets the texts written in it."""
    normalizer = Normalizer(kb.synonyms)
    grouped: dict[str, dict[int, list[tuple[list[str], str]]]] = {}
    for position, entry in enumerate(kb.entries):
        for lang in LANGS:
            for text in entry.phrasings(lang):
                docs = grouped.setdefault(script_of(text), {})
                docs.setdefault(position, []).append(normalizer.phrasing(text))
    scripts = {
        script: _ScriptIndex(LexicalIndex(list(docs.values()), weights), tuple(docs))
        for script, docs in grouped.items()
    }
    return _State(kb, normalizer, scripts)


class LexicalMatcher:
    """BM25, TF-IDF cosines and character n-grams over whole entries, fused into one confidence."""

    def __init__(self, kb: KnowledgeBase, threshold: float | None = None, weights: Weights | None = None):
        self.weights = weights or Weights()
        self.threshold = DEFAULT_THRESHOLD if threshold is None else threshold
        self._state = _build(kb, self.weights)

    @classmethod
    def from_knowledge_base(cls, kb: KnowledgeBase, threshold: float | None = None) -> LexicalMatcher:
        return cls(kb, threshold)

    @property
    def knowledge_base(self) -> KnowledgeBase:
        return self._state.kb

    def reload(self, kb: KnowledgeBase) -> None:
        """Index the new entries, then swap them in at once; a match in flight sees old or new, not both."""
        self._state = _build(kb, self.weights)
        log.info("matcher reloaded with %d entries", len(kb.entries))

    def rank(self, text: str, *, audience: str | None = None, limit: int = 3) -> list[tuple[Entry, float]]:
        """The best entries for `text` with their confidence, best first, ignoring the threshold."""
        state = self._state
        script = state.scripts.get(script_of(text))
        if script is None:
            return []
        terms, flat = state.normalizer.phrasing(text)
        scored = script.index.score(terms, flat, depth=limit)
        ranked: list[tuple[Entry, float]] = []
        for doc, score in scored:
            entry = state.kb.entries[script.entries[doc]]
            if audience in (None, "all") or entry.audience in ("all", audience):
                ranked.append((entry, round(score, 4)))
        return ranked[:limit]

    def match(self, text: str, *, lang: str | None = None, limit: int = 3, audience: str | None = None) -> MatchResult:
        """Ranked hits in `lang` (or the query's script's language) and whether to abstain."""
        lang = lang or SCRIPT_LANG[script_of(text)]
        ranked = self.rank(text, audience=audience, limit=limit)
        hits = tuple(_hit(entry, score, lang) for entry, score in ranked)
        return MatchResult(hits, abstain=not hits or hits[0].score < self.threshold)


def _hit(entry: Entry, score: float, lang: str) -> Hit:
    question, answer = entry.texts(lang)
    return Hit(entry.id, question, answer, score, entry.module)
