"""Choosing the romanised route's semantic weight (kb.matcher.ROUTES["romanised"].weight) on validation only:
leave-one-phrasing-out outcomes of the shipped knowledge base's romanised phrasings of odd position plus the
romanised rows of kb/tuning/*-oos.yaml, each weight with the abstain policy chosen for it on the same rows;
the weight with the best overall accuracy wins (the smaller on a tie). kb/eval/romanised.yaml is never read.

Prints JSON. Run: .venv/bin/python -m bench.kb_romanised_weight [--out FILE]
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from bench.printed import print_figures
from bench.romanised_rows import romanised_rows
from kb.evaluate import Outcome, choose_policy, run_cases
from kb.loo import held_out
from kb.matcher import ROMANISED, ROMANISED_BELOW, ROUTES, LexicalMatcher

WEIGHTS = (0.0, 0.2, 0.4, 0.6, 0.8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    kb, encoders, romanised = romanised_rows()
    minilm = encoders.by_script["latin"]
    cases = [(smaller, case) for position, (smaller, case) in enumerate(held_out(kb))
             if position % 2 and case.lang is None and minilm.coverage(case.text) < ROMANISED_BELOW]  # fmt: skip
    shown: dict[str, object] = {"validation_rows": len(cases) + len(romanised)}
    for weight in WEIGHTS:
        routes = {**ROUTES, ROMANISED: replace(ROUTES[ROMANISED], weight=weight)}
        outcomes: list[Outcome] = []
        for smaller, case in cases:
            outcomes += run_cases(LexicalMatcher(smaller, encoders=encoders, routes=routes), [case])
        outcomes += run_cases(LexicalMatcher(kb, encoders=encoders, routes=routes), romanised)
        outcomes = [o for o in outcomes if o.script == ROMANISED]
        policy = choose_policy(outcomes)
        risen = [replace(o, raise_=policy.rise(o)) for o in outcomes]
        right = sum(o.is_right(policy.threshold) for o in risen)
        top1 = [o.top == o.case.expected for o in outcomes if o.case.expected]
        shown[f"weight {weight}"] = {"overall": round(right / len(outcomes), 4), "n": len(outcomes),
                                     "top1": round(sum(top1) / len(top1), 4), "policy": policy.__dict__}  # fmt: skip
    print_figures(shown, args.out)


if __name__ == "__main__":
    main()
