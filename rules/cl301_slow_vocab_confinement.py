"""Coord-vocab mass reached its threshold late, or never: coord positions leak into text tokens.

## What it does
Reads ``coord_vocab_mass`` (``eval/coord_softce_w1/coord_vocab_mass``, else
``eval/coord_diag/coord_vocab_mass``): the mean full-vocabulary softmax mass on coord tokens at
coord positions, 0..1. Finds the first eval where it is at least ``threshold``. Warns when that
eval is after step ``by_step``; reports an error when the run ends past ``by_step`` without ever
reaching it.

A run whose first eval is already past ``by_step`` and already confined, or whose last eval is
before ``by_step``, cannot be judged and is not reported. The metric is only logged when the
gate weight is non-zero; runs without it are skipped.

## Why it matters
At a coord position the model should put (almost) all its mass on the 1000 coord tokens; mass
elsewhere means a decoded box can break into text. Confinement is normally learned very early:
in the stage-1 runs this rule was calibrated on, all three objectives went from 0.06–0.34 at
step 40 to above 0.99 by step 200. A run that confines much later suggests the gate weight, the
coord-token vocabulary or the data format is off.

## Data
``reached_step`` (``null`` when never reached), ``threshold``, ``final`` (the last value).

## Example
``run CL301 [warning] eval/coord_diag/coord_vocab_mass first reached 0.99 at step 640, after
step 200 (final 0.9995): coord-vocab confinement is slow; ...``

## Options
- ``threshold`` (default ``0.99``): 1% of the mass outside the coord vocabulary at coord
  positions is the level every calibration run passed by step 200 and stayed above.
- ``by_step`` (default ``200``): the step by which the calibration runs had all confined. Raise
  it for runs with much lower learning rates or larger eval intervals.
"""

from __future__ import annotations

from collections.abc import Iterator

import coordlint

from . import _coord as m


@coordlint.rule(
    "CL301",
    "slow-vocab-confinement",
    severity="warning",
    params={"threshold": 0.99, "by_step": 200},
)
def slow_vocab_confinement(run: coordlint.Run, params: dict) -> Iterator[coordlint.Finding]:
    threshold = float(params["threshold"])
    by_step = int(params["by_step"])
    tag, mass = m.coord_series(run, "coord_vocab_mass")
    if tag is None or mass.empty:
        return
    final = float(mass.iloc[-1])
    reached = mass[mass >= threshold]
    data: dict[str, object] = {"threshold": threshold, "final": final}
    if reached.empty:
        if int(mass.index[-1]) <= by_step:
            return  # the run stopped before it was due
        data["reached_step"] = None
        yield coordlint.Finding(
            f"{tag} never reached {threshold:g} (final {final:.4g} at step {mass.index[-1]}, "
            f"max {mass.max():.4g}): coord positions keep mass on non-coord tokens; check the "
            "gate weight, the coord-token vocabulary and the box format of the data",
            tag=tag,
            data=data,
            severity=coordlint.Severity.ERROR,
            series=mass,
        )
        return
    step = int(reached.index[0])
    if step <= by_step or step == int(mass.index[0]):
        return  # confined in time, or already at the first eval (nothing earlier to judge)
    data["reached_step"] = step
    yield coordlint.Finding(
        f"{tag} first reached {threshold:g} at step {step}, after step {by_step} "
        f"(final {final:.4g}): coord-vocab confinement is slow; check the gate weight and the "
        "coord-token vocabulary, and watch the flip rate (CL302)",
        tag=tag,
        step=step,
        data=data,
        series=mass,
    )
