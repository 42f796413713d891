"""Coord-vocab mass reached its threshold late, or never: coord positions leak into text tokens.

## What it does
Reads ``coord_vocab_mass`` (``eval/coord_softce_w1/coord_vocab_mass``, else
``eval/coord_diag/coord_vocab_mass``): the mean full-vocabulary softmax mass on coord tokens at
coord positions, 0..1. Finds the first eval where it is at least ``threshold``. Warns only when
an eval at or after step ``by_step`` still shows it below ``threshold`` (so the lateness is in
the logs); reports an error when the run's last eval is at or past ``by_step`` and it never
reached ``threshold``. A run whose last eval is before ``by_step`` is not reported.

When the eval grid cannot decide — the first eval at the threshold is after ``by_step`` but the
one before it is before ``by_step`` (eval every 110 steps: evals at 110 and 220), or there is no
eval before it — the crossing may have come in time or late: the rule says so at ``info``,
naming the bracketing evals, and does not warn. The metric is only logged when the gate weight
is non-zero; runs without it are skipped.

**Operating range**: any eval count and noise; the verdict only needs the mass at the evals
around ``by_step``. On ``benchmarks/accuracy`` (crossings later than 1.15 × ``by_step`` are
positives, earlier than 0.85 × ``by_step`` negatives) precision and recall are 1.0; runs whose
grid cannot show the crossing get the ``info``.

## Why it matters
At a coord position the model should put (almost) all its mass on the 1000 coord tokens; mass
elsewhere means a decoded box can break into text. Confinement is normally learned very early:
in the stage-1 runs this rule was calibrated on, all three objectives went from 0.06–0.34 at
step 40 to above 0.99 by step 200. A run that confines much later suggests the gate weight, the
coord-token vocabulary or the data format is off.

## Data
``reached_step`` (``null`` when never reached), ``threshold``, ``final`` (the last value); with
the ``info``, ``before_step`` (the eval before the crossing, ``null`` when there is none).

## Example
``run CL301 [warning] eval/coord_diag/coord_vocab_mass was still 0.9712 at step 600 and first
reached 0.99 at step 640, after step 200 (final 0.9995): coord-vocab confinement is slow; ...``

``run CL301 [info] eval/coord_diag/coord_vocab_mass reached 0.99 between the evals around step
200 (0.9634 at step 110; 0.9951 at step 220): the eval grid cannot tell ...``

## Options
- ``threshold`` (default ``0.99``): 1% of the mass outside the coord vocabulary at coord
  positions is the level every calibration run passed by step 200 and stayed above.
- ``by_step`` (default ``200``): the step by which the calibration runs had all confined. Raise
  it for runs with much lower learning rates or larger eval intervals.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

import coordlint

from . import _coord as m


@coordlint.rule(
    "CL301",
    "slow-vocab-confinement",
    severity="warning",
    params={"threshold": 0.99, "by_step": 200},
)
def slow_vocab_confinement(
    run: coordlint.Run, threshold: float, by_step: int
) -> Iterator[coordlint.Finding]:
    tag, mass = m.coord_series(run, "coord_vocab_mass")
    if tag is None or mass.empty:
        return
    steps = mass.index.to_numpy()
    values = mass.to_numpy()
    final = float(values[-1])
    reached = np.flatnonzero(values >= threshold)
    data: dict[str, object] = {"threshold": threshold, "final": final}
    if not len(reached):
        if int(steps[-1]) < by_step:
            return  # the run stopped before it was due
        data["reached_step"] = None
        yield coordlint.Finding(
            f"{tag} never reached {threshold:g} (final {final:.4g} at step {steps[-1]}, "
            f"max {values.max():.4g}): coord positions keep mass on non-coord tokens; check the "
            "gate weight, the coord-token vocabulary and the box format of the data",
            tag=tag,
            data=data,
            severity=coordlint.Severity.ERROR,
            series=mass,
        )
        return
    first = int(reached[0])
    step = int(steps[first])
    data["reached_step"] = step
    if step <= by_step:
        return  # confined in time
    if first > 0 and int(steps[first - 1]) >= by_step:
        # An eval at or after by_step still shows the mass below the threshold: late for sure.
        yield coordlint.Finding(
            f"{tag} was still {values[first - 1]:.4g} at step {steps[first - 1]} and first "
            f"reached {threshold:g} at step {step}, after step {by_step} (final {final:.4g}): "
            "coord-vocab confinement is slow; check the gate weight and the coord-token "
            "vocabulary, and watch the flip rate (CL302)",
            tag=tag,
            step=step,
            data=data,
            series=mass,
        )
        return
    # The crossing lies between the eval before step by_step (or the start) and this one.
    if first == 0:
        before = "no eval before it"
        data["before_step"] = None
    else:
        before = f"{values[first - 1]:.4g} at step {steps[first - 1]}"
        data["before_step"] = int(steps[first - 1])
    yield coordlint.Finding(
        f"{tag} reached {threshold:g} between the evals around step {by_step} ({before}; "
        f"{values[first]:.4g} at step {step}): the eval grid cannot tell whether confinement "
        f"came before step {by_step}",
        tag=tag,
        step=step,
        data=data,
        severity=coordlint.Severity.INFO,
        series=mass,
    )
