"""At the end of training, some ground-truth coord positions decode to a non-coord token.

## What it does
Reads ``flip_coord_to_noncoord`` (``eval/coord_monitor/flip_coord_to_noncoord`` or
``eval/flip_coord_to_noncoord``): the fraction of ground-truth coord positions whose
full-vocabulary argmax is not a coord token. Fires when its median over the last ``last_n``
evals is above ``max_flip``, so one noisy final eval neither fires nor hides a real level.

**Operating range**: any eval count, eval noise up to 3%. On ``benchmarks/accuracy`` (a final
flip rate above 1.5e-3 is a positive, below 0.67e-3 a negative) precision and recall are 1.0;
between, it fires as the level is above or below ``max_flip``.

## Why it matters
A flipped position is a box that breaks while decoding: greedy decoding emits a text token
where a coordinate belongs, and the box is lost or malformed. The stage-1 runs this rule was
calibrated on ended at 0 to 8.5e-5 (a handful of positions out of ~12 000); a rate above 1e-3
(one coord token in a thousand, i.e. about one box in every ~250 with four coord tokens each) is
far outside that. Check the gate weight, the coord vocabulary, and that coord tokens are not
split or remapped by the tokenizer.

## Data
``final`` (the last logged value), ``max_flip``.

## Example
``run CL302 [warning] eval/coord_monitor/flip_coord_to_noncoord ends at 0.0042 (> 0.001) ...``

## Options
- ``max_flip`` (default ``0.001``): see above; lower it to watch for small leaks.
- ``last_n`` (default ``3``): how many final evals the median is taken over.
"""

from __future__ import annotations

from collections.abc import Iterator

import coordlint

from . import _coord as m


@coordlint.rule(
    "CL302", "coord-leakage", severity="warning", params={"max_flip": 1e-3, "last_n": 3}
)
def coord_leakage(run: coordlint.Run, max_flip: float, last_n: int) -> Iterator[coordlint.Finding]:
    tag, flip = m.coord_series(run, m.FLIP)
    if tag is None or flip.empty:
        return
    level = float(flip.iloc[-max(1, last_n) :].median())
    final = float(flip.iloc[-1])
    if level <= max_flip:
        return
    step = int(flip.index[-1])
    yield coordlint.Finding(
        f"{tag} ends at {final:.4g} at step {step} (median of the last evals {level:.4g} > "
        f"{max_flip:g}): that share of ground-truth coord positions decodes to a non-coord "
        "token; check the gate weight, the coord vocabulary and the tokenizer's coord tokens",
        tag=tag,
        step=step,
        data={"final": final, "max_flip": max_flip},
    )
