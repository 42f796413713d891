"""Train loss is the eval loss times the gradient-accumulation factor: a logging bug.

## What it does
Compares ``train/loss`` with ``eval/loss`` at the steps both are logged. When their ratio sits
within ``tolerance`` of a whole number from 2 to ``max_factor`` at most of those steps, the
train loss was most likely summed over accumulation micro-batches instead of averaged (a known
bug in some transformers versions). When the run's config names the factor
(``gradient_accumulation_steps`` in ms-swift's ``args.json``), the ratio is compared with that
number instead of a guessed one, and the finding says so.

## Why it matters
Curves and learning-rate decisions read off a train loss that is N× too large mislead; compare
against eval loss only after dividing by the factor.

## Options
``tolerance`` (0.1), ``max_factor`` (64), ``min_fraction`` (0.8): share of shared steps that must
agree.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

import coordlint


@coordlint.rule(
    "TM002",
    "loss-ratio-grad-accum",
    severity="warning",
    params={"tolerance": 0.1, "max_factor": 64, "min_fraction": 0.8},
)
def loss_ratio_matches_grad_accum(
    run: coordlint.Run, tolerance: float, max_factor: int, min_fraction: float
) -> Iterator[coordlint.Finding]:
    train, evaluation = run.series("train/loss"), run.series("eval/loss")
    shared = train.index.intersection(evaluation.index)
    if len(shared) < 2:
        return
    ratio = (train[shared] / evaluation[shared]).to_numpy()
    ratio = ratio[np.isfinite(ratio)]
    if not len(ratio):
        return
    configured = run.config.get("gradient_accumulation_steps")
    known = isinstance(configured, int) and not isinstance(configured, bool)
    factor = configured if known else int(np.median(np.rint(ratio)))
    if not 2 <= factor <= max_factor:
        return
    agree = np.abs(ratio - factor) <= tolerance * factor
    if agree.mean() >= min_fraction:
        why = (
            f"gradient_accumulation_steps is {factor} in the run's config"
            if known
            else f"probably summed over {factor} accumulation steps"
        )
        yield coordlint.Finding(
            f"train/loss is {factor}x eval/loss at {int(agree.sum())} of {len(ratio)} shared "
            f"steps: the train loss is summed, not averaged ({why})",
            tag="train/loss",
            data={
                "factor": factor,
                "steps": len(ratio),
                "agreeing": int(agree.sum()),
                "from_config": known,
            },
        )
