"""Whether choosing the romanised route's own abstain policy pays, by cross-validation on validation rows only:
the leave-one-phrasing-out outcomes of the shipped knowledge base's romanised phrasings (both halves) and the
romanised rows of kb/tuning/*-oos.yaml. In each of 5 folds (repeated over 20 shuffles) the policy chosen on the
other folds (kb.evaluate.choose_policy) is scored on the fold beside the lexical matcher's own policy (threshold
kb.matcher.DEFAULT_THRESHOLD, no rises): overall accuracy (right answers and right abstentions). The romanised
route scores on lexical evidence alone (weight 0), so the lexical policy makes the lexical matcher's decisions.
kb/eval/romanised.yaml is never read.

Prints JSON. Run: .venv/bin/python -m bench.kb_romanised_policy [--out FILE]
"""

from __future__ import annotations

import argparse
import random
from dataclasses import replace
from pathlib import Path

from bench.printed import print_figures
from bench.romanised_rows import is_romanised, romanised_rows
from kb.evaluate import Outcome, Policy, choose_policy, run_cases
from kb.loo import held_out
from kb.matcher import DEFAULT_THRESHOLD, ROMANISED, LexicalMatcher

FOLDS = 5
SHUFFLES = 20
LEXICAL = Policy(DEFAULT_THRESHOLD, 0.0, 0.08, 0.0)


def _right(policy: Policy, outcomes: list[Outcome]) -> int:
    return sum(replace(o, raise_=policy.rise(o)).is_right(policy.threshold) for o in outcomes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    kb, encoders, oos = romanised_rows()
    outcomes: list[Outcome] = []
    for smaller, case in held_out(kb):
        if case.lang is None and is_romanised(encoders, case.text):
            outcomes += run_cases(LexicalMatcher(smaller, encoders=encoders), [case])
    outcomes += run_cases(LexicalMatcher(kb, encoders=encoders), oos)
    outcomes = [o for o in outcomes if o.script == ROMANISED]
    chosen_right = lexical_right = 0
    wins = losses = 0
    for shuffle in range(SHUFFLES):
        order = list(range(len(outcomes)))
        random.Random(shuffle).shuffle(order)
        for fold in range(FOLDS):
            held = {i for k, i in enumerate(order) if k % FOLDS == fold}
            policy = choose_policy([o for i, o in enumerate(outcomes) if i not in held])
            test = [o for i, o in enumerate(outcomes) if i in held]
            a, b = _right(policy, test), _right(LEXICAL, test)
            chosen_right, lexical_right = chosen_right + a, lexical_right + b
            wins, losses = wins + (a > b), losses + (a < b)
    total = len(outcomes) * SHUFFLES
    shown = {
        "rows": len(outcomes),
        "out_of_scope_rows": sum(o.case.expected is None for o in outcomes),
        "cv_overall_chosen_policy": round(chosen_right / total, 4),
        "cv_overall_lexical_policy": round(lexical_right / total, 4),
        "folds_chosen_better_worse": [wins, losses, FOLDS * SHUFFLES],
        "chosen_on_all_rows": choose_policy(outcomes).__dict__,
        "all_rows_overall_lexical_policy": round(_right(LEXICAL, outcomes) / len(outcomes), 4),
    }
    print_figures(shown, args.out)


if __name__ == "__main__":
    main()
