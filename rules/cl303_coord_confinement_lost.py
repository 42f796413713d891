"""Coord-vocab mass reached its threshold, then fell below it and stayed there: confinement lost.

## What it does
Reads ``coord_vocab_mass`` (``eval/coord_softce_w1/coord_vocab_mass``, else
``eval/coord_diag/coord_vocab_mass``), the mean softmax mass on coord tokens at coord positions.
The run counts as confined once two of three consecutive evals are at or above ``threshold``
(a 3-eval running median, so one lucky eval is not confinement). Fires when, after its last
confined eval, the mass stays below ``threshold``: the 3-eval running median below it from
there to the end, and each of the last ``sustain`` evals below it, so a single bad eval neither
fires nor hides a loss. Names the step the loss began (the first eval after the last confined
one), how many evals it has lasted, the lowest and the final level. A run that never confined
is CL301's (slow or no confinement), not this rule's.

**Operating range** (measured by ``benchmarks/accuracy``: a final mass below 0.9875 — a
deficit 1.25× the threshold's — after reaching 0.992 is a loss, a final mass above 0.992 is
not), over 5,000 runs: precision 1.0 and recall 0.996 at any eval noise up to 3% (Gaussian,
Student-t or AR(1)) with at least 8 evals; a loss seen at fewer than ``sustain`` final evals is
not reported yet.

## Why it matters
Confinement is normally learned in the first ~200 steps and then held (the stage-1 runs ended at
0.9987–0.9995). Mass leaving the coord vocabulary later means coord positions have started to
put probability on text tokens again: boxes can break while decoding. Typical causes are a
learning-rate spike or warm restart, a data mix that changed mid-run, or a gate weight that was
annealed away. Check the flip rate (CL302) and the checkpoint before the step named.

## Data
``reached_step`` (the first eval at the threshold), ``lost_step``, ``evals_below``, ``lowest``,
``final``, ``threshold``.

## Example
``run CL303 [warning] eval/coord_diag/coord_vocab_mass reached 0.99 at step 160 but fell below
it from step 2400 on (12 evals, to the end; lowest 0.9712, final 0.9745): coord-vocab
confinement was lost; ...``

## Options
- ``threshold`` (default ``0.99``): as CL301's.
- ``sustain`` (default ``3``): how many final evals must all be below ``threshold``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

import coordlint

from . import _coord as m
from ._curves import running_median


@coordlint.rule(
    "CL303",
    "coord-confinement-lost",
    severity="warning",
    params={"threshold": 0.99, "sustain": 3},
)
def coord_confinement_lost(
    run: coordlint.Run, threshold: float, sustain: int
) -> Iterator[coordlint.Finding]:
    sustain = max(1, sustain)
    tag, mass = m.coord_series(run, "coord_vocab_mass")
    if tag is None or len(mass) < sustain + 1:
        return
    steps = mass.index.to_numpy()
    values = mass.to_numpy()
    confined = np.flatnonzero(running_median(mass, 3).to_numpy() >= threshold)
    if not len(confined):
        return  # never confined: CL301's finding
    start = int(confined[-1]) + 1  # the first eval after the last confined one
    below = values[start:]
    if len(below) < sustain or (values[-sustain:] >= threshold).any():
        return  # still confined at the end, or not below for long enough yet
    reached = int(steps[int(np.argmax(values >= threshold))])
    lost = int(steps[start])
    final = float(values[-1])
    lowest = float(below.min())
    yield coordlint.Finding(
        f"{tag} reached {threshold:g} at step {reached} but fell below it from step {lost} on "
        f"({len(below)} evals, to the end; lowest {lowest:.4g}, final {final:.4g}): coord-vocab "
        "confinement was lost; look for a learning-rate spike, a data change or an annealed "
        "gate weight near that step, and watch the flip rate (CL302)",
        tag=tag,
        step=lost,
        data={
            "reached_step": reached,
            "lost_step": lost,
            "evals_below": len(below),
            "lowest": lowest,
            "final": final,
            "threshold": threshold,
        },
        series=mass,
    )
