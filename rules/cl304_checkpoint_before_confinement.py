"""The gated checkpoint was saved before coord-vocab mass reached its threshold.

## What it does
Applies to a gated checkpoint (a checkpoint directory given as a RUN, or ``--step``), judged as
of its step. Reads ``coord_vocab_mass`` (``eval/coord_softce_w1/coord_vocab_mass``, else
``eval/coord_diag/coord_vocab_mass``) at the checkpoint's last eval (the eval at its step, or
the last one before it) and warns when it is below ``threshold``.

## Why it matters
Coord-vocab mass is the softmax mass a coord position puts on the coord tokens. Below the
threshold, this checkpoint may still emit non-coord tokens at coord positions, so decoded boxes
can break into text. CL301 judges when a whole run confined; this rule judges the model you are
about to ship, which may be an early one.

## Data
``value`` (the mass at the checkpoint's last eval), ``eval_step``, ``threshold``.

## Example
``run@120 CL304 [warning] eval/coord_diag/coord_vocab_mass is 0.5 at step 120, this
checkpoint's last eval, below 0.99: it may still emit non-coord tokens at coord positions``

## Options
- ``threshold`` (default ``0.99``): keep it equal to CL301's ``threshold`` (the level every
  calibration run passed by step 200).
"""

from __future__ import annotations

from collections.abc import Iterator

import coordlint

from . import _coord as m
from .cl204_checkpoint_not_best import NOT_A_CHECKPOINT


@coordlint.rule(
    "CL304", "checkpoint-before-confinement", severity="warning", params={"threshold": 0.99}
)
def checkpoint_before_confinement(
    run: coordlint.Run, threshold: float
) -> Iterator[coordlint.Finding]:
    if run.checkpoint is None:
        raise coordlint.NotApplicable(NOT_A_CHECKPOINT)
    tag, mass = m.coord_series(run, "coord_vocab_mass")
    if tag is None or mass.empty:
        return
    value, eval_step = float(mass.iloc[-1]), int(mass.index[-1])
    if value >= threshold:
        return
    yield coordlint.Finding(
        f"{tag} is {value:.4g} at step {eval_step}, this checkpoint's last eval, below "
        f"{threshold:g}: it may still emit non-coord tokens at coord positions",
        tag=tag,
        step=eval_step,
        data={"value": value, "eval_step": eval_step, "threshold": threshold},
        series=mass,
    )
