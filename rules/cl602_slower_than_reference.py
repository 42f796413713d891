"""The run reached a training milestone later than its reference runs did, or never.

## What it does
Finds, in the run and in each comparable reference run, the step at which a milestone is
reached:

- confinement: ``coord_vocab_mass`` at least ``mass_threshold`` (CL301's threshold);
- soft-CE: ``soft_ce`` within ``soft_ce_within`` of the references' final level (the median
  of their last evals, times 1.05 by default), or of the run's own last eval when it ends
  higher. A run that ends a few percent higher crawls towards the references' level for
  ever: that is a level (CL601, CL603), not a speed, and judged as speed it failed 0.8% of
  healthy runs on its own.

A milestone's step is where a centred running median of three evals (one noisy eval neither
reaches nor misses it) first crosses the level, interpolated between the two evals around the
crossing, so runs with different eval grids compare. Fires when the run's step exceeds the
references' mean (olympic-trimmed: the earliest and the latest dropped when there are five
or more) by more than ``max(k × spread, rtol × mean, one eval interval)`` (spread: as CL601's,
the references' sd estimate widened for their number; two references: half their distance;
an eval interval: the larger of the run's and the references' median), or when the run never
gets there while every reference did and it ran past that limit. A milestone some reference
never reached is not judged. Not applicable without references, or when none is comparable.

**Operating range** (``benchmarks/bench_reference.py``, five references): caught 96 of 100
confinements 4 × later (CL601 caught all 100 as a departure from the band), no false alarm on
500 healthy runs drawn like the references (confinement steps varying ~10% run to run). The
``rtol`` floor means a delay under a quarter of the references' mean never fires.

## Why it matters
How fast a run confines its coord mass and shapes its coord distribution is a signature of the
setup (gate weight, coord vocabulary, learning rate, data format): a change that slows it is a
change in how the model trains, even when the curves end in the same place. This is MLPerf's
question ("does it converge like the reference runs?") asked of coord milestones.

## Data
``milestone`` (``confinement`` or ``soft_ce``), ``threshold`` (the level), ``reached_step``
(``null`` when never reached), ``references_mean``, ``limit``, ``references`` (how many).

## Example
``cand CL602 [warning] confinement (eval/coord_diag/coord_vocab_mass >= 0.99) reached at step
414, later than the references (mean 134 over 5; limit 184, 4 × spread 49): this run
trains slower than its references``

## Options
- ``k`` (default ``4.0``): spread multiples, as in CL601.
- ``rtol`` (default ``0.25``): the least delay that counts, relative to the references' mean
  (their milestone steps scatter by ~10% run to run; a quarter later is outside that).
- ``mass_threshold`` (default ``0.99``): the confinement level (CL301's ``threshold``).
- ``soft_ce_within`` (default ``0.05``): how close to the references' final soft-CE counts as
  reached.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

import coordlint

from . import _coord as m
from . import _reference as r
from . import _spread

if TYPE_CHECKING:
    import pandas as pd


def reached(series: pd.Series, level: float, higher: bool) -> float | None:
    """The step where ``series`` (finite, by step), smoothed by a centred running median of
    three, first reaches ``level``: interpolated between the evals around the crossing; the
    first eval's step when it starts there; ``None`` when it never does."""
    smooth = _median_of_three(series.to_numpy())
    steps = series.index.to_numpy(dtype=np.float64)
    hits = np.flatnonzero(smooth >= level if higher else smooth <= level)
    if not len(hits):
        return None
    i = int(hits[0])
    if i == 0:
        return float(steps[0])
    v0, v1 = smooth[i - 1], smooth[i]
    fraction = (level - v0) / (v1 - v0) if v1 != v0 else 1.0
    return float(steps[i - 1] + fraction * (steps[i] - steps[i - 1]))


def _median_of_three(values: np.ndarray) -> np.ndarray:
    """A centred running median of three, the first and last evals as logged (what
    ``_curves.running_median`` computes, without pandas: this runs once per reference)."""
    if len(values) < 3:
        return values
    a, b, c = values[:-2], values[1:-1], values[2:]
    middle = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
    return np.concatenate([values[:1], middle, values[-1:]])


def _level(curve: pd.Series, target: float, higher: bool, within: float) -> float:
    """The milestone's level for ``curve``: ``target`` (the confinement threshold) when higher
    is better; else within ``within`` of ``target`` (the references' final soft-CE), or of the
    curve's own last eval when it ends higher: its speed, not its level (CL601, CL603),
    decides whether it is late."""
    if higher:
        return target
    return max(target, float(curve.iloc[-1])) * (1 + within)


def _interval(series: pd.Series) -> float:
    steps = series.index.to_numpy(dtype=np.float64)
    return float(np.median(np.diff(steps))) if len(steps) > 1 else 0.0


@coordlint.rule(
    "CL602",
    "slower-than-reference",
    severity="warning",
    params={"k": 4.0, "rtol": 0.25, "mass_threshold": 0.99, "soft_ce_within": 0.05},
)
def slower_than_reference(
    run: coordlint.Run, k: float, rtol: float, mass_threshold: float, soft_ce_within: float
) -> Iterator[coordlint.Finding]:
    refs = r.references_for(run)
    for metric, name, higher in (
        ("coord_vocab_mass", "confinement", True),
        ("soft_ce", "soft_ce", False),
    ):
        tag, series = m.coord_series(run, metric)
        holders = [ref for ref in refs if m.coord_tag(ref, metric) == tag]
        if tag is None or series.empty or not holders:
            continue
        theirs = [m.coord_series(ref, metric)[1] for ref in holders]
        if any(s.empty for s in theirs):
            continue
        final = float(np.median([s.iloc[-1] for s in theirs]))
        target = mass_threshold if higher else final
        steps = [reached(s, _level(s, target, higher, soft_ce_within), higher) for s in theirs]
        if any(s is None for s in steps):
            continue  # not every reference got there: nothing to be slower than
        found = np.array(steps, dtype=np.float64)
        _, mean, spread, count = _spread.center_spread(found[:, None])
        interval = max(_interval(series), float(np.median([_interval(s) for s in theirs])))
        margin = _spread.half_width(mean, spread, count, k, rtol, interval)
        limit = float(mean[0] + margin[0])
        level = _level(series, target, higher, soft_ce_within)
        mine = reached(series, level, higher)
        last = int(series.index[-1])
        if (mine is None and last <= limit) or (mine is not None and mine <= limit):
            continue
        what = f"{name} ({tag} {'>=' if higher else '<='} {level:.4g})"
        when = (
            f"reached at step {mine:.0f}"
            if mine is not None
            else f"never reached by step {last} (last {float(series.iloc[-1]):.4g})"
        )
        env = r.envelope(holders, tag, series.index.to_numpy(), r.DEFAULT_TOLERANCE)
        yield coordlint.Finding(
            f"{what} {when}, later than the references (mean {mean[0]:.0f} over {len(found)}, "
            f"latest {found.max():.0f}; limit {limit:.0f}): this run trains slower than its "
            "references; check the gate weight, the coord vocabulary and the learning rate",
            tag=tag,
            step=None if mine is None else round(mine),
            data={
                "milestone": name,
                "threshold": level,
                "reached_step": None if mine is None else round(mine, 1),
                "references_mean": float(mean[0]),
                "limit": limit,
                "references": len(found),
            },
            series=series,
            band=None if env is None else env.band(),
        )
