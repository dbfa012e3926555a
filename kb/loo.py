"""Leave-one-phrasing-out: each phrasing of the knowledge base taken out of its entry and matched against
the rest, a fair in-domain check of the matcher (the phrasing is never its own evidence)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from kb.encoders import Encoder, Encoders, FloatArray
from kb.evaluate import Case, Outcome, run_cases
from kb.loader import KnowledgeBase
from kb.matcher import LexicalMatcher
from kb.schema import LANGS, Entry

MakeMatcher = Callable[[KnowledgeBase], LexicalMatcher]


def without(entry: Entry, lang: str, index: int) -> Entry | None:
    """The entry without its `index`-th phrasing in `lang` (None when nothing would be left of it)."""
    texts = entry.phrasings(lang)
    rest = texts[:index] + texts[index + 1 :]
    if lang == "en":
        return entry.model_copy(update={"question": rest[0], "alternates": rest[1:]}) if rest else None
    translations = dict(entry.translations)
    if rest:
        found = translations[lang]  # type: ignore[index]
        translations[lang] = found.model_copy(update={"question": rest[0], "alternates": rest[1:]})  # type: ignore[index]
    else:
        del translations[lang]  # type: ignore[arg-type]
    return entry.model_copy(update={"translations": translations})


def held_out(kb: KnowledgeBase, every: int = 1) -> Iterator[tuple[KnowledgeBase, Case]]:
    """Every phrasing (or every `every`-th) as a case, with the knowledge base it is left out of."""
    count = 0
    for position, entry in enumerate(kb.entries):
        for lang in LANGS:
            for index, text in enumerate(entry.phrasings(lang)):
                count += 1
                if (count - 1) % every:
                    continue
                rest = without(entry, lang, index)
                if rest is None:
                    continue
                entries = (*kb.entries[:position], rest, *kb.entries[position + 1 :])
                yield replace(kb, entries=entries), Case(text, entry.id, None if lang == "en" else lang)


def leave_one_out(
    kb: KnowledgeBase, make: MakeMatcher, progress: Callable[[], None] | None = None, every: int = 1
) -> list[Outcome]:
    """One outcome per phrasing (or every `every`-th), each matched by a matcher built without it."""
    outcomes: list[Outcome] = []
    for smaller, case in held_out(kb, every):
        outcomes.extend(run_cases(make(smaller), [case]))
        if progress:
            progress()
    return outcomes


@dataclass
class Remembering:
    """An encoder that encodes each text once (leave-one-out rebuilds the same entries a thousand times)."""

    inner: Encoder
    _seen: dict[tuple[bool, str], FloatArray]

    @property
    def name(self) -> str:
        return self.inner.name

    def _many(self, texts: Sequence[str], query: bool) -> FloatArray:
        todo = [t for t in dict.fromkeys(texts) if (query, t) not in self._seen]
        if todo:
            made = self.inner.queries(todo) if query else self.inner.passages(todo)
            self._seen.update({(query, t): v for t, v in zip(todo, made, strict=True)})
        return np.stack([self._seen[(query, t)] for t in texts]) if texts else np.zeros((0, 1), np.float32)

    def coverage(self, text: str) -> float:
        return self.inner.coverage(text)

    def queries(self, texts: Sequence[str]) -> FloatArray:
        return self._many(texts, True)

    def passages(self, texts: Sequence[str]) -> FloatArray:
        return self._many(texts, False)


def remembering(encoders: Encoders) -> Encoders:
    """The same routes, each encoder wrapped once so every text is encoded at most once."""
    wrapped: dict[int, Encoder] = {}
    for encoder in encoders.all():
        wrapped[id(encoder)] = Remembering(encoder, {})
    return Encoders({script: wrapped[id(e)] for script, e in encoders.by_script.items()})
