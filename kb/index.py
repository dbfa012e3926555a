"""The inverted index behind the matcher: entry-level BM25, TF-IDF cosines and character n-grams.

Scoring runs in two stages. Postings give every entry that shares a word with the query its BM25 and
centroid-cosine scores (skipping words so common that their postings are long, when the KB is big);
the best candidates are then scored exactly on all four signals from forward indexes.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

Vector = dict[str, float]
GRAM = 4  # 3-, 4- and 5-grams together did no better on validation data, at three times the cost
Phrasing = tuple[list[str], str]  # (terms, normalised flat text)
EAGER_ENTRIES = 2000  # up to this many entries, every vector is computed at load; beyond, on first use


@dataclass(frozen=True)
class Weights:
    """How the evidence is fused into one confidence; chosen on validation data, not on queries."""

    bm25: float = 0.3
    centroid: float = 0.2
    phrasing: float = 0.2
    chars: float = 0.6
    k1: float = 1.2
    b: float = 0.75
    candidates: int = 15
    typo_cutoff: float = 84.0
    long_postings: int = 2000  # in stage one, skip words found in more entries than this
    char_sample: int = 500  # character n-gram IDF is estimated on at most this many entries


def unit(vector: Vector) -> Vector:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {k: v / norm for k, v in vector.items()} if norm else {}


def _grams(flat: str) -> Iterator[str]:
    padded = f" {flat} "
    for i in range(len(padded) - GRAM + 1):
        yield padded[i : i + GRAM]


def char_grams(flat: str) -> Counter[str]:
    """Character 4-grams of the normalised text padded with spaces; they may span two words."""
    return Counter(_grams(flat))


def _dot(query: Vector, doc: Vector) -> float:
    if len(query) > len(doc):
        query, doc = doc, query
    get = doc.get  # the terms both have, in the same order as ever (adding 0.0 for the rest changed nothing)
    return sum([v * d for k, v in query.items() if (d := get(k)) is not None])


@dataclass(frozen=True)
class _EntryVectors:
    bm25: Vector  # term -> BM25 weight
    centroid: Vector  # unit vector: the sum of the phrasings' unit TF-IDF vectors
    phrasings: list[Vector]
    chars: Vector  # unit TF-IDF vector of the character n-grams of all the phrasings together


class LexicalIndex:
    """Scores whole entries for a query; built once from each entry's phrasings, then only read.

    In a big knowledge base only BM25 postings are built up front; an entry's other vectors are computed
    the first time it is a candidate and kept, so 10,000 entries load in about a second.
    """

    def __init__(self, entries: Sequence[Sequence[Phrasing]], weights: Weights | None = None) -> None:
        """`entries[i]` lists entry i's phrasings as (terms, flat text) pairs, already normalised."""
        self.weights = weights or Weights()
        self.size = len(entries)
        self._entries = entries
        self._build_postings()
        self._build_char_idf()
        self._vectors: dict[int, _EntryVectors] = {}
        if self.size <= EAGER_ENTRIES:  # small enough to have every entry ready for the first query
            self._vectors = {entry: self._compute(entry) for entry in range(self.size)}
        self._by_initial: dict[str, list[str]] = defaultdict(list)
        for term in self._idf:
            self._by_initial[term[0]].append(term)

    def _build_postings(self) -> None:
        n = self.size
        doc_tf = [Counter(t for terms, _ in phrasings for t in terms) for phrasings in self._entries]
        df = Counter(t for tf in doc_tf for t in tf)
        self._idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        self._oov_idf = math.log(1 + (n + 0.5) / 0.5)
        lengths = [sum(tf.values()) for tf in doc_tf]
        self._avg_length = sum(lengths) / max(n, 1)
        k1, b, idf = self.weights.k1, self.weights.b, self._idf
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for entry, tf in enumerate(doc_tf):
            norm = k1 * (1 - b + b * lengths[entry] / self._avg_length)
            for term, count in tf.items():
                self._postings[term].append((entry, idf[term] * count * (k1 + 1) / (count + norm)))

    def _build_char_idf(self) -> None:
        step = max(1, math.ceil(self.size / self.weights.char_sample))
        sample = self._entries[::step]
        df = Counter(g for flats in sample for g in {g for _, flat in flats for g in _grams(flat)})
        n = len(sample)
        self._char_idf = {g: math.log((n + 1) / (d + 0.5)) for g, d in df.items()}
        self._char_oov = math.log((n + 1) / 0.5)

    def _entry(self, entry: int) -> _EntryVectors:
        found = self._vectors.get(entry)
        if found is None:
            found = self._vectors[entry] = self._compute(entry)
        return found

    def _compute(self, entry: int) -> _EntryVectors:
        idf, char_idf, oov = self._idf, self._char_idf, self._char_oov
        k1, b = self.weights.k1, self.weights.b
        phrasings = self._entries[entry]
        tf = Counter(t for terms, _ in phrasings for t in terms)
        norm = k1 * (1 - b + b * sum(tf.values()) / self._avg_length)
        vectors = [unit({t: c * idf[t] for t, c in Counter(terms).items()}) for terms, _ in phrasings]
        centroid: Vector = defaultdict(float)
        for vector in vectors:
            for term, value in vector.items():
                centroid[term] += value
        grams = Counter(g for _, flat in phrasings for g in _grams(flat))
        chars = unit({g: c * char_idf.get(g, oov) for g, c in grams.items()})
        bm25 = {t: idf[t] * c * (k1 + 1) / (c + norm) for t, c in tf.items()}
        return _EntryVectors(bm25, unit(centroid), vectors, chars)

    def correct(self, terms: list[str]) -> list[str]:
        """Unknown words replaced by the closest known word with the same initial, if close enough (typos)."""
        out = []
        for term in terms:
            choices = self._by_initial.get(term[0], []) if term not in self._idf and len(term) >= 4 else []
            best = process.extractOne(term, choices, scorer=fuzz.ratio, score_cutoff=self.weights.typo_cutoff)
            out.append(best[0] if best else term)
        return out

    def score(
        self, terms: list[str], flat: str, depth: int | None = None, extra: Iterable[int] = ()
    ) -> list[tuple[int, float]]:
        """The best candidate entries, and the `extra` ones, with their confidence in [0, 1], best first."""
        query = Counter(self.correct(terms))
        if not query:
            return []
        w = self.weights
        known = sorted((t for t in query if t in self._postings), key=lambda t: len(self._postings[t]))
        partial: dict[int, float] = defaultdict(float)
        for position, term in enumerate(known):
            postings = self._postings[term]
            if position and len(postings) > w.long_postings:
                break  # a very common word: stage two still counts it for the candidates
            for entry, value in postings:
                partial[entry] += value
        top = heapq.nlargest(max(w.candidates, depth or 0), partial, key=partial.__getitem__)
        chosen = set(top)
        top.extend(entry for entry in dict.fromkeys(extra) if entry not in chosen)
        qvec = unit({t: c * self._idf.get(t, self._oov_idf) for t, c in query.items()})
        cvec = unit({g: c * self._char_idf.get(g, self._char_oov) for g, c in char_grams(flat).items()})
        idf_mass = sum(self._idf.get(t, self._oov_idf) for t in query)
        total = w.bm25 + w.centroid + w.phrasing + w.chars
        fused = [(entry, self._exact(self._entry(entry), query, qvec, idf_mass, cvec) / total) for entry in top]
        fused.sort(key=lambda item: (-item[1], item[0]))
        return fused

    def _exact(self, entry: _EntryVectors, query: Counter[str], qvec: Vector, idf_mass: float, cvec: Vector) -> float:
        w = self.weights
        bm25 = sum(entry.bm25.get(term, 0.0) for term in query)
        centroid = _dot(qvec, entry.centroid)
        phrasing = max((_dot(qvec, vector) for vector in entry.phrasings), default=0.0)
        chars = _dot(cvec, entry.chars)
        return w.bm25 * min(bm25 / idf_mass, 1.0) + w.centroid * centroid + w.phrasing * phrasing + w.chars * chars
