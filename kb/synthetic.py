"""A generated knowledge base of any size, in the content format, for load and latency measurements."""

from __future__ import annotations

import random

_COMMON = "how do i can the my to is not a for in of what why where when please help me with"
COMMON = _COMMON.split()
MODULES = ("project", "estimate", "work_order", "measurement_book", "attendance", "bills", "payments", "login")


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 10))) for _ in range(size)]


def _sentence(rng: random.Random, topic: list[str], vocabulary: list[str]) -> str:
    words = rng.sample(topic, 3) + rng.sample(COMMON, 3) + [rng.choice(vocabulary) for _ in range(2)]
    rng.shuffle(words)
    return " ".join(words)


def generated_entries(count: int, phrasings: int, seed: int = 7) -> list[dict[str, object]]:
    """Entries in the content format, each with its own topic words and some shared ones."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    vocabulary = _vocabulary(rng, 20_000)
    entries: list[dict[str, object]] = []
    for n in range(count):
        topic = [rng.choice(vocabulary) for _ in range(6)]
        texts = [_sentence(rng, topic, vocabulary) for _ in range(phrasings)]
        entries.append({
            "id": f"entry-{n}", "question": texts[0], "alternates": texts[1:],
            "answer": f"Answer {n}: open the menu and follow the steps.", "module": MODULES[n % len(MODULES)],
        })  # fmt: skip
    return entries
