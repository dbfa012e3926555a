"""The semantic signal: texts embedded with a static token table (kb/distill.py), entries as centroids.

Pure numpy at match time: WordPiece is done here in Python (greedy longest match, cached per word), a
text's vector is the normalised sum of its tokens' rows (the rows carry their weights) and an entry's is
the normalised sum of its phrasings' vectors. A query costs a few microseconds per word plus one
matrix-vector product over the entries (in a big knowledge base, only over the lexical candidates).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
DEFAULT_FILE = "kb-vectors.npz"  # in the settings' data folder; `helpdesk kb build-vectors` writes it
_MAX_WORD = 100  # longer "words" are junk, as in the encoder's own tokenizer
EAGER_ENTRIES = 2000  # as kb.index: up to this many entries, every centroid is computed at load


def _strip_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")


def load_vectors(path: Path | None) -> StaticVectors | None:
    """The table at `path`, or None when no path is given."""
    return StaticVectors.load(path) if path is not None else None


class StaticVectors:
    """A token table: WordPiece tokens and one float32 row each."""

    def __init__(self, tokens: Sequence[str], table: FloatArray) -> None:
        self.rows = {token: row for row, token in enumerate(tokens)}
        self.table = np.ascontiguousarray(table, dtype=np.float32)
        self.dims = int(self.table.shape[1])
        self._words: dict[str, FloatArray | None] = {}

    @classmethod
    def load(cls, path: Path) -> StaticVectors:
        """Read an .npz written by kb.distill.save_table."""
        with np.load(path, allow_pickle=False) as data:
            return cls([str(t) for t in data["tokens"]], data["vectors"].astype(np.float32))

    def pieces(self, word: str) -> list[int]:
        """The rows of `word`'s WordPiece tokens; empty when some part of it has no token."""
        word = _strip_accents(word)
        if len(word) > _MAX_WORD:
            return []
        rows: list[int] = []
        start = 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else f"##{word[start:end]}"
                row = self.rows.get(piece)
                if row is not None:
                    rows.append(row)
                    start = end
                    break
            else:
                return []
        return rows

    def word(self, word: str) -> FloatArray | None:
        """The sum of a word's token rows, cached: users repeat their words."""
        if word not in self._words:
            rows = self.pieces(word)
            self._words[word] = self.table[rows].sum(axis=0) if rows else None
        return self._words[word]

    def embed(self, words: Sequence[str]) -> FloatArray | None:
        """The unit vector of folded words; None when no word is known."""
        found = [v for v in map(self.word, words) if v is not None]
        if not found:
            return None
        total = np.sum(found, axis=0) if len(found) > 1 else found[0]
        norm = float(np.linalg.norm(total))
        return (total / norm).astype(np.float32) if norm else None


@dataclass(frozen=True)
class Fusion:
    """How the semantic cosine joins the lexical confidence; chosen on CLINC150's validation rows."""

    weight: float = 0.5  # share of the semantic score in the fused confidence
    floor: float = 0.0  # cosines at or below it count as no evidence
    candidates: int = 3  # the entries closest in meaning are scored even when they share no word (3 did as
    # well as 10 on validation, and each costs a lexical scoring)

    def combine(self, lexical: float, cosine: float) -> float:
        semantic = max(0.0, (cosine - self.floor) / (1.0 - self.floor))
        return (1.0 - self.weight) * lexical + self.weight * semantic


class SemanticIndex:
    """Entry centroids of the static vectors; entry i is the i-th group of phrasings given.

    Up to `eager` entries every centroid is computed at load, and the entries nearest in meaning can be
    looked up; beyond, as the lexical index does, a centroid is computed the first time its entry is a
    lexical candidate, so a big knowledge base loads fast (and only lexical candidates are re-scored).
    """

    def __init__(
        self, vectors: StaticVectors, entries: Sequence[Sequence[Sequence[str]]], eager: int = EAGER_ENTRIES
    ) -> None:
        """`entries[i]` lists entry i's phrasings, each as folded words."""
        self.vectors = vectors
        self._entries = entries
        self._lazy: dict[int, FloatArray] = {}
        self.centroids: FloatArray | None = None
        if len(entries) <= eager:
            self.centroids = np.stack([self._centroid(e) for e in range(len(entries))]) if entries else None

    def _centroid(self, entry: int) -> FloatArray:
        """The unit sum of the entry's phrasings' unit vectors (zero when no word of it is known)."""
        total = np.zeros(self.vectors.dims, dtype=np.float32)
        for words in self._entries[entry]:
            vector = self.vectors.embed(words)
            if vector is not None:
                total += vector
        norm = float(np.linalg.norm(total))
        return total / norm if norm else total

    def query(self, words: Sequence[str]) -> FloatArray | None:
        """The query's unit vector; None when it has no known word."""
        return self.vectors.embed(words)

    def nearest(self, query: FloatArray, count: int) -> list[int]:
        """Up to `count` entries with the highest cosine, in no particular order (none when lazy)."""
        if self.centroids is None or count <= 0:
            return []
        # einsum rather than BLAS: threaded BLAS stalls for milliseconds on a busy two-core machine.
        cosines = np.einsum("ij,j->i", self.centroids, query)
        if count >= len(cosines):
            return list(range(len(cosines)))
        return [int(i) for i in np.argpartition(-cosines, count)[:count]]

    def cosines(self, query: FloatArray, entries: Sequence[int]) -> list[float]:
        """The query's cosine to each of `entries`' centroids."""
        if not entries:
            return []
        if self.centroids is not None:
            rows = self.centroids[list(entries)]
        else:
            rows = np.stack([self._cached(entry) for entry in entries])
        return [float(x) for x in np.einsum("ij,j->i", rows, query)]

    def _cached(self, entry: int) -> FloatArray:
        found = self._lazy.get(entry)
        if found is None:
            found = self._lazy[entry] = self._centroid(entry)
        return found


def fuse(
    scored: Sequence[tuple[int, float]], cosines: Sequence[float] | None, fusion: Fusion
) -> list[tuple[int, float]]:
    """Lexical (entry, confidence) pairs re-scored with each one's cosine (None: no semantic evidence)."""
    fused = [
        (entry, fusion.combine(score, 0.0 if cosines is None else cosine))
        for (entry, score), cosine in zip(scored, cosines or [0.0] * len(scored), strict=True)
    ]
    fused.sort(key=lambda item: (-item[1], item[0]))
    return fused
