"""Gap reports: the problems users raise that the knowledge base does not answer, grouped by likeness."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from kb.index import Vector, char_grams, unit
from kb.normalize import STOPWORDS, Normalizer, Synonyms


@dataclass(frozen=True)
class Cluster:
    """Texts about one problem: how many, a few examples, and the words they share."""

    size: int
    examples: tuple[str, ...]
    keywords: tuple[str, ...]
    members: tuple[int, ...]  # positions in the input list
    typical: int = 0  # the position of the member most alike to the others: the group's label


def _vectors(bags: list[Counter[str]]) -> list[Vector]:
    """Unit TF-IDF vectors; IDF smoothed so a word in half the texts still counts (unlike BM25's)."""
    df = Counter(key for bag in bags for key in bag)
    n = len(bags)
    idf = {key: math.log((1 + n) / (1 + d)) + 1 for key, d in df.items()}
    return [unit({key: count * idf[key] for key, count in bag.items()}) for bag in bags]


def _cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(value * b.get(key, 0.0) for key, value in a.items())


def similarities(texts: Sequence[str], synonyms: Synonyms | None = None) -> list[dict[int, float]]:
    """For each text, the texts sharing a content word with it and how alike they are, in [0, 1].

    Alike means the mean of the word and character n-gram cosines, after the matcher's normalisation.
    """
    normalizer = Normalizer(synonyms or Synonyms())
    terms = [[t for t in normalizer.terms(text) if t not in STOPWORDS] for text in texts]
    words = _vectors([Counter(t) for t in terms])
    chars = _vectors([char_grams(" ".join(t)) for t in terms])
    postings: dict[str, list[int]] = defaultdict(list)
    for position, vector in enumerate(words):
        for term in vector:
            postings[term].append(position)
    result: list[dict[int, float]] = []
    for position, vector in enumerate(words):
        others = {other for term in vector for other in postings[term] if other != position}
        result.append({o: (_cosine(vector, words[o]) + _cosine(chars[position], chars[o])) / 2 for o in others})
    return result


def most_typical(members: Sequence[int], alike: Sequence[dict[int, float]], texts: Sequence[str]) -> int:
    """The member most alike to all the others (ties: the shorter, then the earlier text): a whole
    description a person wrote, which says what the group is about better than any list of words."""
    return max(members, key=lambda i: (round(sum(alike[i].get(o, 0.0) for o in members if o != i), 6),
                                       -len(texts[i]), -i))


def cluster_texts(
    texts: Sequence[str], *, similarity: float = 0.25, examples: int = 3, synonyms: Synonyms | None = None
) -> list[Cluster]:
    """Group texts at least `similarity` alike; largest group first.

    Greedy: the text with the most close neighbours founds a group with its unassigned neighbours, again
    and again, so a group is centred on a typical text rather than chained across unrelated ones.
    """
    alike = similarities(texts, synonyms)
    neighbours = [{o for o, s in row.items() if s >= similarity} | {i} for i, row in enumerate(alike)]
    unassigned = set(range(len(texts)))
    clusters: list[Cluster] = []
    normalizer = Normalizer(synonyms or Synonyms())
    while unassigned:
        centre = max(sorted(unassigned), key=lambda i: len(neighbours[i] & unassigned))
        members = sorted(neighbours[centre] & unassigned, key=lambda i: (i != centre, i))
        unassigned -= set(members)
        counts = Counter(t for i in members for t in set(normalizer.terms(texts[i])) if t not in STOPWORDS)
        shared = tuple(term for term, n in counts.most_common(3) if n * 2 >= len(members))
        typical = most_typical(members, alike, texts)
        clusters.append(Cluster(len(members), tuple(texts[i] for i in members[:examples]), shared, tuple(members),
                                typical))
    return sorted(clusters, key=lambda c: (-c.size, c.members[0]))
