"""The FAQ matcher: ranks whole entries for a user's words, routed by script, and abstains when unsure.

Lexical evidence (kb/index.py) is fused with a sentence encoder's cosine to each entry's centroid
(kb/encoders.py, kb/encoded.py) in the scripts an encoder serves: MiniLM for Latin, e5 for Odia and
Devanagari. Each script has its own fusion weight and abstain threshold, chosen on validation data
(docs/matching.md). Hindi and Odia phrasings are also indexed romanised (kb/romanise.py), for users who type
them in Latin letters.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from kb.encoded import EncodedIndex, cached_vectors, encode_and_cache, in_background
from kb.encoders import Encoder, Encoders, FloatArray
from kb.index import LexicalIndex, Weights
from kb.loader import KnowledgeBase, gc_paused
from kb.normalize import SCRIPT_LANG, Normalizer, script_of, stem
from kb.protocol import Hit, MatchResult, Proposal, Reasons
from kb.romanise import romanise
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
class Route:
    """How a script's queries are scored when an encoder serves it (chosen on validation data)."""

    weight: float  # share of the semantic score in the fused confidence
    floor: float  # cosines at or below it count as no evidence
    threshold: float  # below this fused confidence the matcher abstains
    nearest: int = 5  # entries closest in meaning are scored even when they share no word with the query
    every_language: bool = False  # an entry's vectors come from its phrasings in every language (multilingual)
    best_share: float = 0.0  # share of the best single phrasing's cosine beside the centroid's
    centre: bool = False  # cosines after taking the knowledge base's mean vector away (kb.encoded)
    clear_margin: float | None = None  # this script's Abstain.clear_margin (None: the matcher's)
    disagree_margin: float | None = None  # this script's Abstain.disagree_margin (None: the matcher's)
    crowd_margin: float | None = None  # this script's Abstain.crowd_margin (None: the matcher's)
    both_margin: float | None = None  # this script's Abstain.both_margin (None: the matcher's)
    hub: float = 0.0  # an entry's cosine less this share of its mean cosine to its `hub_k` nearest entries
    hub_k: int = 10

    def combine(self, lexical: float, cosine: float) -> float:
        semantic = min(1.0, max(0.0, (cosine - self.floor) / (1.0 - self.floor)))
        return (1.0 - self.weight) * lexical + self.weight * semantic


# Latin: MiniLM; Odia and Devanagari: e5 (kb/encoders.py ROUTES). See docs/matching.md for the figures.
# "romanised": a Latin-script query most of whose words MiniLM does not know as English (Hindi or Odia typed
# in Latin letters): the same encoder, its weight scaled by that share, and a policy of its own.
ROUTES: dict[str, Route] = {
    # Threshold, disagreement rise and clear margin: bench/kb_indic_thresholds.py on the odd half of
    # leave-one-phrasing-out plus kb/tuning/*-oos.yaml (bench/results/kb_matching/latin-policy.json and
    # indic-thresholds.json). Odia and Devanagari: weight and floor as ENCODERS.md, best_share chosen on that half.
    # Latin hub 0.8 (k 10): chosen on CLINC150's validation rows (cross-validated, docs/matching.md).
    "latin": Route(0.8, 0.0, 0.18, clear_margin=0.063, disagree_margin=0.0, crowd_margin=0.0, both_margin=0.1, hub=0.8),
    # Romanised: the lexical matcher's own policy (DEFAULT_THRESHOLD, Abstain's margins), so it decides as the
    # lexical matcher does: a policy chosen on its validation rows gained nothing in cross-validation
    # (bench/kb_romanised_policy.py: 100 folds, every one a tie) and lost 2.6 points on kb/eval/romanised.yaml.
    "romanised": Route(0.0, 0.0, DEFAULT_THRESHOLD, disagree_margin=0.0, crowd_margin=0.0),
    "odia": Route(0.9, 0.6, 0.668, every_language=True, best_share=0.3, clear_margin=0.0006, disagree_margin=0.0),
    "devanagari": Route(0.9, 0.6, 0.654, every_language=True, best_share=0.3, clear_margin=0.0006, disagree_margin=0),
}


ROUTE_NAMES = ("latin", "romanised", "odia", "devanagari")
ROMANISED_BELOW = 0.5  # a Latin query whose share of English words (Encoder.coverage) is below this is romanised
CROWD = 4  # when this many entries score within `Abstain.close` of each other, none of them stands out


@dataclass(frozen=True)
class Abstain:
    """When one answer is clearly right, and when a few are close enough to offer together."""

    clear_margin: float = 0.08  # the best entry leads the second by this much: offer it alone
    close: float = 0.08  # entries within this of the best are offered with it (up to the limit)
    disagree_margin: float = 0.0  # lexical and semantic evidence disagree: the bar rises by this much
    crowd_margin: float = 0.0  # CROWD entries or more are close: the bar rises by this much
    both_margin: float = 0.0  # the evidence disagrees and a crowd is close, both at once: this much more


@dataclass(frozen=True)
class _Scored:
    doc: int
    score: float
    lexical: float
    cosine: float | None


@dataclass(frozen=True)
class _ScriptIndex:
    index: LexicalIndex
    entries: tuple[int, ...]  # the index's document i is knowledge-base entry entries[i]
    latin: tuple[int, ...] = ()  # of the romanised index: document i is the Latin index's latin[i] (-1: none)


ROMANISED = "romanised"  # the index of Hindi and Odia phrasings written in Latin letters


@dataclass(frozen=True)
class _State:
    kb: KnowledgeBase
    normalizer: Normalizer
    scripts: dict[str, _ScriptIndex]
    semantic: SemanticIndex | None  # over the Latin-script index's documents, in its order
    texts: Mapping[str, tuple[list[str], list[int]]]  # per script: the texts an encoder embeds, their docs
    every: Mapping[str, tuple[list[str], list[int]]]  # per script: every language's texts of its entries
    encoded: Mapping[str, EncodedIndex]  # per script, when its encoder's vectors are ready
    hubs: Mapping[str, FloatArray]  # per script with a route's `hub`: each entry's penalty on its cosine


def _build(
    kb: KnowledgeBase, weights: Weights, vectors: StaticVectors | None, scripts: Collection[str] | None = None
) -> _State:
    """One index per script, so an Odia or Devanagari query meets the texts written in it; only those of
    `scripts` (and a Latin one's romanised index) when given."""
    with gc_paused():
        return _indexed(kb, weights, vectors, scripts)


def _indexed(
    kb: KnowledgeBase, weights: Weights, vectors: StaticVectors | None, only: Collection[str] | None = None
) -> _State:
    normalizer = Normalizer(kb.synonyms)
    grouped: dict[str, dict[int, list[list[str]]]] = {}
    raw: dict[str, list[tuple[int, str]]] = {}
    wanted = None if only is None else {*only, *((ROMANISED,) if "latin" in only else ())}
    for position, entry in enumerate(kb.entries):
        for lang in LANGS:
            for text in entry.phrasings(lang):
                script = script_of(text)
                raw.setdefault(script, []).append((position, text))  # every script's: `every` below
                if wanted is None or script in wanted:
                    grouped.setdefault(script, {}).setdefault(position, []).append(normalizer.words(text))
                if script != "latin" and (wanted is None or ROMANISED in wanted):  # Hindi and Odia in Latin letters
                    grouped.setdefault(ROMANISED, {}).setdefault(position, []).append(normalizer.words(romanise(text)))
    scripts = {
        script: _ScriptIndex(LexicalIndex([[_phrasing(w) for w in d] for d in docs.values()], weights), tuple(docs))
        for script, docs in grouped.items()
    }
    latin = grouped.get("latin")
    semantic = SemanticIndex(vectors, list(latin.values())) if vectors and latin else None
    texts: dict[str, tuple[list[str], list[int]]] = {}
    latin_index = scripts.get("latin")
    if ROMANISED in scripts and latin_index is not None:  # romanised documents as Latin ones
        doc_of = {position: doc for doc, position in enumerate(latin_index.entries)}
        romanised = scripts[ROMANISED]
        scripts[ROMANISED] = replace(romanised, latin=tuple(doc_of.get(p, -1) for p in romanised.entries))
    every: dict[str, tuple[list[str], list[int]]] = {}
    everything = [pair for pairs in raw.values() for pair in pairs]
    everything.sort(key=lambda pair: pair[0])  # stable: an entry's texts in a fixed order, for the cache key
    for script, pairs in raw.items():
        if script not in scripts:
            continue
        doc_of = {position: doc for doc, position in enumerate(scripts[script].entries)}
        texts[script] = ([text for _, text in pairs], [doc_of[position] for position, _ in pairs])
        mine = [(doc_of[position], text) for position, text in everything if position in doc_of]
        every[script] = ([text for _, text in mine], [doc for doc, _ in mine])
    return _State(kb, normalizer, scripts, semantic, texts, every, {}, {})


def _phrasing(words: list[str]) -> tuple[list[str], str]:
    terms = [stem(word) for word in words]
    return terms, " ".join(terms)


class LexicalMatcher:
    """BM25, TF-IDF cosines and character n-grams over whole entries, fused with sentence encoders.

    With `encoders`, each script they serve fuses the lexical confidence with the cosine to the entry's
    centroid (ROUTES); the entry vectors are encoded once and cached in `cache` (the data folder), and on a
    reload of a changed knowledge base they are encoded in the background while matching stays lexical.
    Given only a static vector table (kb/distill.py), its cosine joins the fusion for Latin-script queries.
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        threshold: float | None = None,
        weights: Weights | None = None,
        vectors: StaticVectors | None = None,
        fusion: Fusion | None = None,
        encoders: Encoders | None = None,
        cache: Path | None = None,
        routes: Mapping[str, Route] | None = None,
        abstain: Abstain | None = None,
        background: bool = False,
        scripts: Collection[str] | None = None,
    ) -> None:
        """`scripts`: index only these (a Latin one with the romanised index): for a process matching queries
        of known scripts alone (`helpdesk kb match`); a query of another script finds nothing."""
        self.weights = weights or Weights()
        self.vectors = vectors
        self.fusion = fusion or Fusion()
        self.encoders = encoders or Encoders({})
        self.cache = cache
        self.routes = dict(ROUTES if routes is None else routes)
        self.policy = abstain or Abstain()
        self.background = background
        self._fixed = threshold
        default = DEFAULT_THRESHOLD if vectors is None else SEMANTIC_THRESHOLD
        self.threshold = default if threshold is None else threshold
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._scripts = scripts
        self._state = _build(kb, self.weights, vectors, scripts)
        self._encode(self._state)

    @classmethod
    def from_knowledge_base(
        cls, kb: KnowledgeBase, threshold: float | None = None, vectors: StaticVectors | None = None
    ) -> LexicalMatcher:
        return cls(kb, threshold, vectors=vectors)

    @property
    def knowledge_base(self) -> KnowledgeBase:
        return self._state.kb

    def reload(self, kb: KnowledgeBase) -> None:
        """Index the new entries, then swap them in at once; a match in flight sees old or new, not both.

        Entry vectors come from the cache when this knowledge base was encoded before; otherwise they are
        encoded in the background (with `background`) and the scripts concerned stay lexical meanwhile.
        """
        state = _build(kb, self.weights, self.vectors, self._scripts)
        self._state = state
        self._encode(state)
        log.info("matcher reloaded with %d entries", len(kb.entries))

    # -- entry vectors ---------------------------------------------------------------------------------
    def _encode(self, state: _State) -> None:
        missing: list[str] = []
        ready: dict[str, EncodedIndex] = {}
        for script, encoder in self.encoders.by_script.items():
            if script not in state.texts:
                continue
            texts, docs = self._texts(state, script, encoder)
            found = cached_vectors(encoder, texts, self.cache)
            if found is None:
                missing.append(script)
            else:
                ready[script] = self._index(state, script, encoder, found, docs)
        self._swap(state, ready)
        if not missing:
            return
        if self.background:
            self._worker = in_background(self._encode_missing, state, missing, name="kb-encode")
        else:
            self._encode_missing(state, missing)

    def _encode_missing(self, state: _State, scripts: list[str]) -> None:
        for script in scripts:
            encoder = self.encoders.by_script[script]
            texts, docs = self._texts(state, script, encoder)
            try:  # Odia and Devanagari share the multilingual encoder's texts: the second finds them cached
                vectors = cached_vectors(encoder, texts, self.cache)
                if vectors is None:
                    vectors = encode_and_cache(encoder, texts, self.cache)
            except Exception as err:
                log.warning("encoding the %s entries with %s failed (%s); matching stays lexical", script,
                            encoder.name, err)  # fmt: skip
                continue
            self._swap(state, {script: self._index(state, script, encoder, vectors, docs)})
            log.info("%d %s phrasings encoded with %s", len(texts), script, encoder.name)

    def _texts(self, state: _State, script: str, encoder: Encoder) -> tuple[list[str], list[int]]:
        """The texts whose vectors make the script's entry vectors: its own, or every language's."""
        route = self.routes.get(script)
        return _known(encoder, *(state.every if route and route.every_language else state.texts)[script])

    def _index(
        self, state: _State, script: str, encoder: Encoder, vectors: FloatArray, docs: list[int]
    ) -> EncodedIndex:
        route = self.routes.get(script) or Route(0.0, 0.0, 0.0)
        size = state.scripts[script].index.size
        return EncodedIndex(encoder, vectors, docs, size, route.best_share, route.centre)

    def _swap(self, state: _State, ready: Mapping[str, EncodedIndex]) -> None:
        """Add entry vectors to `state` if it is still the current one (a newer reload wins)."""
        if not ready:
            return
        hubs = {script: _hubness(found.centroids, route.hub, route.hub_k) for script, found in ready.items()
                if (route := self.routes.get(script)) is not None and route.hub}  # fmt: skip
        with self._lock:
            if self._state.kb is state.kb:
                current = self._state
                self._state = replace(current, encoded={**current.encoded, **ready}, hubs={**current.hubs, **hubs})

    def wait_encoded(self, timeout: float | None = None) -> bool:
        """Block until background encoding ends (for the CLI and benchmarks); True when it did."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
            return not worker.is_alive()
        return True

    def semantic_scripts(self) -> list[str]:
        """The scripts whose queries are scored with an encoder right now."""
        return sorted(self._state.encoded)

    # -- scoring ---------------------------------------------------------------------------------------
    def _route(self, name: str) -> Route | None:
        """The route of a script or of `romanised`, when its encoder's vectors are ready."""
        if _script(name) not in self._state.encoded:
            return None
        return self.routes.get(name) or (self.routes.get("latin") if name == ROMANISED else None)

    def threshold_for(self, script: str) -> float:
        """The abstain threshold of a route (a script, or `romanised`): the one set, else its route's when its
        encoder is ready."""
        if self._fixed is not None:
            return self._fixed
        route = self._route(script)
        if route is not None:
            return route.threshold
        script = _script(script)
        if self.vectors is not None and script != "latin":
            return DEFAULT_THRESHOLD * LEXICAL_TO_FUSED
        return self.threshold

    def rank(self, text: str, *, audience: str | None = None, limit: int = 3) -> list[tuple[Entry, float]]:
        """The best entries for `text` with their confidence, best first, ignoring the threshold."""
        return [(entry, round(scored.score, 4)) for entry, scored in self._ranked(text, audience, limit)[1]]

    def prepare(self, text: str) -> None:
        """Encode `text` as a query now when its route asks an encoder (kb.encoders.Recent keeps the vector):
        an e5 query costs ~2 ms of CPU a token, so a turn calls this in a thread before it takes the database,
        and the match inside the turn only scores."""
        state = self._state
        name = script_of(text)
        encoded = state.encoded.get(name)
        if encoded is None or name not in self.routes:
            return
        if self.routes[self._route_of(name, encoded, text)[0]].weight > 0:
            try:
                encoded.query(text)
            except Exception:  # only a head start: the turn's own match asks the encoder again
                log.warning("encoding a %s query ahead of its turn failed", name, exc_info=True)

    def _route_of(self, script: str, encoded: EncodedIndex, text: str) -> tuple[str, float]:
        """The route a query of `script` takes (a Latin query in few English words: the romanised one), and
        the encoder's coverage of its words."""
        coverage = encoded.encoder.coverage(text)
        if script == "latin" and coverage < ROMANISED_BELOW and ROMANISED in self.routes:
            return ROMANISED, coverage
        return script, coverage

    def _ranked(
        self, text: str, audience: str | None, limit: int, exclude: Collection[str] = ()
    ) -> tuple[str, list[tuple[Entry, _Scored]]]:
        state = self._state
        name = script_of(text)
        script = state.scripts.get(name)
        if script is None:
            return name, []
        depth = limit + len(exclude)
        words = state.normalizer.words(text)
        encoded = state.encoded.get(name)
        if encoded is not None and name in self.routes:
            name, coverage = self._route_of(name, encoded, text)
            route = self.routes[name]
            if route.weight > 0:
                scored = self._encoded(state, _script(name), encoded, route, text, words, depth, coverage)
            else:  # this route leans on lexical evidence alone: the encoder is not asked
                terms, flat = _phrasing(words)
                scored = [_Scored(d, s, s, None) for d, s in self._lexical(state, "latin", terms, flat, depth)]
        elif name == "latin" and state.semantic is not None:
            scored = [_Scored(d, s, s, None) for d, s in self._fused(state, state.semantic, words, depth)]
        else:
            terms, flat = _phrasing(words)
            lexical = self._lexical(state, name, terms, flat, depth)
            if self.vectors is not None:  # no semantic signal in this script: put it on the fused scale
                lexical = [(doc, min(1.0, score * LEXICAL_TO_FUSED)) for doc, score in lexical]
            scored = [_Scored(doc, score, score, None) for doc, score in lexical]
        ranked: list[tuple[Entry, _Scored]] = []
        for item in scored:
            entry = state.kb.entries[script.entries[item.doc]]
            if entry.id in exclude:
                continue
            if audience in (None, "all") or entry.audience in ("all", audience):
                ranked.append((entry, item))
        return name, ranked[:limit]

    @staticmethod
    def _lexical(
        state: _State, name: str, terms: list[str], flat: str, depth: int, extra: list[int] | None = None
    ) -> list[tuple[int, float]]:
        """Lexical (document, confidence) pairs; a Latin query also meets the romanised Hindi and Odia texts,
        each entry keeping its better score of the two."""
        found = state.scripts[name].index.score(terms, flat, depth=depth, extra=extra or ())
        romanised = state.scripts.get(ROMANISED) if name == "latin" else None
        if romanised is None:
            return found
        best = dict(found)
        for doc, score in romanised.index.score(terms, flat, depth=depth):
            latin = romanised.latin[doc]
            if latin >= 0 and score > best.get(latin, -1.0):
                best[latin] = score
        return sorted(best.items(), key=lambda item: (-item[1], item[0]))

    def _encoded(
        self,
        state: _State,
        name: str,
        encoded: EncodedIndex,
        route: Route,
        text: str,
        words: list[str],
        limit: int,
        coverage: float,
    ) -> list[_Scored]:
        """Lexical candidates and the entries nearest in meaning, each scored on both."""
        terms, flat = _phrasing(words)
        cosines = encoded.cosines(encoded.query(text))
        hub = state.hubs.get(name)
        if hub is not None and len(hub) == len(cosines):  # an entry close to many others says less
            cosines = cosines - hub
        count = min(route.nearest, len(cosines))
        nearest = [int(i) for i in np.argpartition(-cosines, count - 1)[:count]] if count else []
        lexical = self._lexical(state, name, terms, flat, limit, nearest) or [(doc, 0.0) for doc in nearest]
        pairs = [(doc, lex, float(cosines[doc])) for doc, lex in lexical]
        route = replace(route, weight=route.weight * coverage)  # trust the encoder as far as it knows the words
        scored = [_Scored(doc, route.combine(lex, cosine), lex, cosine) for doc, lex, cosine in pairs]
        scored.sort(key=lambda item: (-item.score, item.doc))
        return scored

    def _fused(self, state: _State, semantic: SemanticIndex, words: list[str], limit: int) -> list[tuple[int, float]]:
        """Lexical candidates and the entries nearest in meaning, scored on both."""
        terms, flat = _phrasing(words)
        query = semantic.query(words)
        nearest = semantic.nearest(query, self.fusion.candidates) if query is not None else []
        scored = self._lexical(state, "latin", terms, flat, limit, nearest)
        cosines = semantic.cosines(query, [entry for entry, _ in scored]) if query is not None else None
        return fuse(scored, cosines, self.fusion)

    def match(self, text: str, *, lang: str | None = None, limit: int = 3, audience: str | None = None) -> MatchResult:
        """Ranked hits in `lang` (or the query's script's language) and whether to abstain."""
        lang = lang or SCRIPT_LANG[script_of(text)]
        script, ranked = self._ranked(text, audience, limit)
        hits = tuple(_hit(entry, scored.score, lang) for entry, scored in ranked)
        return MatchResult(hits, abstain=not hits or hits[0].score < self.threshold_for(script))

    def propose(
        self,
        text: str,
        *,
        lang: str | None = None,
        limit: int = 3,
        audience: str | None = None,
        exclude: Collection[str] = (),
    ) -> Proposal:
        """What to offer the user: one entry when it is clearly right, up to `limit` when a few are close,
        none below the script's threshold; never an entry in `exclude` (ids the user already rejected).
        """
        lang = lang or SCRIPT_LANG[script_of(text)]
        ranked, reasons = self._assess(text, audience, max(limit, 2), frozenset(exclude))
        if not ranked:
            return Proposal((), True, reasons)
        best = ranked[0][1]
        if reasons.decision == "below-threshold":
            return Proposal(tuple(_hit(e, s.score, lang) for e, s in ranked[:limit]), True, reasons)
        if reasons.decision == "clear" or limit == 1:
            return Proposal((_hit(ranked[0][0], best.score, lang),), False, replace(reasons, decision="clear"))
        close = [(e, s) for e, s in ranked[:limit] if s.score >= max(best.score - self.policy.close, reasons.threshold)]
        return Proposal(tuple(_hit(e, s.score, lang) for e, s in close), False, reasons)

    def assess(
        self, text: str, *, audience: str | None = None, limit: int = 3
    ) -> tuple[list[tuple[Entry, float]], Reasons]:
        """The ranked entries (ignoring the threshold) and the reasons propose() would give: for measuring."""
        ranked, reasons = self._assess(text, audience, max(limit, 2), frozenset())
        return [(entry, round(scored.score, 4)) for entry, scored in ranked[:limit]], reasons

    def abstain_for(self, script: str) -> Abstain:
        """A route's clear margin and the rises of its bar (its own where set, else the matcher's)."""
        route, policy = self._route(script), self.policy
        if route is None:
            return policy
        return replace(
            policy,
            clear_margin=policy.clear_margin if route.clear_margin is None else route.clear_margin,
            disagree_margin=policy.disagree_margin if route.disagree_margin is None else route.disagree_margin,
            crowd_margin=policy.crowd_margin if route.crowd_margin is None else route.crowd_margin,
            both_margin=policy.both_margin if route.both_margin is None else route.both_margin,
        )

    def margins(self, script: str) -> tuple[float, float]:
        """The script's clear margin and the rise of its bar when lexical and semantic evidence disagree."""
        policy = self.abstain_for(script)
        return policy.clear_margin, policy.disagree_margin

    def _assess(
        self, text: str, audience: str | None, limit: int, exclude: Collection[str]
    ) -> tuple[list[tuple[Entry, _Scored]], Reasons]:
        script, ranked = self._ranked(text, audience, max(limit, CROWD), exclude)
        threshold = self.threshold_for(script)
        if not ranked:
            return ranked, Reasons(script, 0.0, 0.0, threshold, None, "nothing")
        policy = self.abstain_for(script)
        best = ranked[0][1]
        second = ranked[1][1].score if len(ranked) > 1 else 0.0
        margin = best.score - second
        agree = _agree(ranked) if best.cosine is not None else None
        crowded = len(ranked) >= CROWD and best.score - ranked[CROWD - 1][1].score < policy.close
        rise = (policy.disagree_margin if agree is False else 0.0) + (policy.crowd_margin if crowded else 0.0)
        rise += policy.both_margin if agree is False and crowded else 0.0
        bar = threshold + rise
        decision = "below-threshold" if best.score < bar else "clear" if margin >= policy.clear_margin else "close"
        reasons = Reasons(script, round(best.score, 4), round(margin, 4), round(bar, 4), agree, decision, crowded)
        return ranked[:limit], reasons


FaqMatcher = LexicalMatcher  # the name says more now that it is not only lexical


KNOWN_SHARE = 0.5  # an entry's phrasing joins its centroid when the encoder knows this share of its words


def _script(route: str) -> str:
    """The script a route's queries are written in."""
    return "latin" if route == ROMANISED else route


def _hubness(centroids: FloatArray, share: float, k: int) -> FloatArray:
    """`share` of each entry's mean cosine to its `k` nearest other entries: the part of a query's cosine to it
    that any query near that crowd of entries gets (hubness reduction, as CSLS does for word translation)."""
    similar = centroids @ centroids.T
    np.fill_diagonal(similar, -1.0)
    k = max(1, min(k, len(centroids) - 1))
    if len(centroids) < 2:
        return np.zeros(len(centroids), dtype=np.float32)
    nearest = np.partition(similar, -k, axis=1)[:, -k:]
    penalty: FloatArray = (share * nearest.mean(axis=1)).astype(np.float32)
    return penalty


def _known(encoder: Encoder, texts: list[str], docs: list[int]) -> tuple[list[str], list[int]]:
    """The phrasings the encoder knows enough words of (all of them for an entry with none such)."""
    known = [encoder.coverage(text) >= KNOWN_SHARE for text in texts]
    covered = {doc for doc, ok in zip(docs, known, strict=True) if ok}
    keep = [ok or doc not in covered for doc, ok in zip(docs, known, strict=True)]
    return [t for t, k in zip(texts, keep, strict=True) if k], [d for d, k in zip(docs, keep, strict=True) if k]


def _agree(ranked: list[tuple[Entry, _Scored]]) -> bool:
    """Whether the best fused entry is also the best on lexical and on semantic evidence alone."""
    best = ranked[0][1]
    lexical = max(ranked, key=lambda pair: pair[1].lexical)[1]
    semantic = max(ranked, key=lambda pair: pair[1].cosine or 0.0)[1]
    return lexical.doc == best.doc and semantic.doc == best.doc


def _hit(entry: Entry, score: float, lang: str) -> Hit:
    question, answer = entry.texts(lang)
    return Hit(entry.id, question, answer, round(score, 4), entry.module)
