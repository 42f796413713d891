"""An eval curve left the reference runs' band on its worse side, for several evals in a row.

## What it does
Compares every ``eval/*`` tag of the run with the same tag of its reference runs
(``check --reference FILE_OR_RUN``; only the references CL604 does not leave out). At each of
the run's evals inside a reference's step range, the references are aligned to the run's step
by linear interpolation between their own evals (they need not share its eval grid), and give
a band ``center ± max(k × spread, rtol × |center|, atol)``:

- one reference: its value ± ``max(rtol × |value|, atol)`` (a golden value);
- two: their mean, the band reaching both of them at least;
- three or more: their median; spread estimates the references' sd (the mean absolute
  deviation from the median, scaled for that many) and is widened as a prediction interval
  from that few references must be (×2.34 for five, ×1.38 for ten), never below the
  references' own eval-to-eval noise on the tag (the median over them of 1.4826 × the MAD of
  second differences / √6). The olympic trimming of five or more (MLPerf's) leaves the
  median as it is; the spread is not trimmed, and is no MAD: the MAD of a few references is
  near zero far too often (see ``rules/_spread.py``: a 4 × MAD band from five trimmed
  references failed a third of healthy runs).

Fires when the run is outside the band on the *worse* side for at least ``sustain``
consecutive evals: above it for a lower-better tag (every coord metric knows its direction:
``ce``, ``soft_ce``, ``w1``, ``gate``, ``expected_bin_mae``, the flip rate, and any loss),
below it for a higher-better one (``p_gt_mean``, ``acc_top5``, ``coord_vocab_mass``,
``margin_mean``), on either side for a tag of unknown direction. One finding per tag. Not
applicable without references, or when none is comparable.

**Operating range** (``benchmarks/bench_reference.py false-alarms``: five references and
500 healthy candidates drawn like them, each on one of four eval grids, per run a final level
varying ~1% and a speed ~10%, eval noise 0.5%): CL601–CL603 together fired on 0.4% of the
healthy runs; CL601 caught every bin MAE settling 20% higher (100 of 100). With five
references the band is about ±9 of their sds wide (4 × 2.34), so a tag must settle about that
far off to be caught; ten references narrow it to ±5.5, and one reference is exactly
``rtol``/``atol``.

## Why it matters
Teams gate a change to the data, the loss or the trainer on "does it still train like the runs
we trust". A band learned from several trusted runs (the seed-to-seed spread) catches a curve
that settled somewhere else; requiring several evals in a row, and only on the worse side,
keeps one noisy eval or an improvement from failing CI.

## Data
``first_step`` (the first eval of the first stretch outside), ``evals_outside``,
``worst_step``, ``value``, ``center``, ``low``, ``high`` (the band there), ``deviation`` (in
band half-widths: 1 is the edge), ``direction`` (``lower``/``higher``/``unknown`` is
better), ``references`` (how many), ``reference_values`` (each reference there).

## Example
``cand CL601 [warning] eval/coord_diag/expected_bin_mae is above the reference band for 24
evals from step 1040: at step 2000 it is 25.2, 5.3 band half-widths above the references'
median 21.0 (band 20.2–21.8; references there: ref-0 21.1, ref-1 20.9, ...)``

## Options
- ``k`` (default ``4.0``): the band in sds, as if the references' sd were known (the
  widening above accounts for estimating it from few). A run is judged at every eval of
  every tag, and the references' seed-to-seed offsets persist along a curve, so the
  per-tag tail must be small: at 4, 2 of 500 healthy runs drawn like five references fired
  CL601–CL603 (0.4%; at 3, 10 of 400: 2.5%; ``benchmarks/bench_reference.py``).
- ``rtol`` (default ``0.02``) and ``atol`` (default ``0.0``): the band's floor, relative to the
  center and absolute; with one reference they are the whole band. 2% is about the
  seed-to-seed spread of a converged coord metric.
- ``sustain`` (default ``3``): consecutive evals outside before it fires.
- ``ignore`` (default ``eval/runtime``, ``eval/*_per_second``, ``eval/epoch``): tag globs not
  compared (they measure the machine, not the training).
- ``tag_overrides`` (default none): ``{tag glob: {k, rtol, atol}}``, the first matching glob
  wins, e.g. ``{"*coord_vocab_mass": {"atol": 0.002}}``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping

import numpy as np

import coordlint

from . import _reference as r


@coordlint.rule(
    "CL601",
    "outside-reference-envelope",
    severity="warning",
    params={
        "k": r.DEFAULT_TOLERANCE.k,
        "rtol": r.DEFAULT_TOLERANCE.rtol,
        "atol": r.DEFAULT_TOLERANCE.atol,
        "sustain": 3,
        "ignore": ("eval/runtime", "eval/*_per_second", "eval/epoch"),
        "tag_overrides": {},
    },
)
def outside_reference_envelope(
    run: coordlint.Run,
    k: float,
    rtol: float,
    atol: float,
    sustain: int,
    ignore: tuple[str, ...],
    tag_overrides: Mapping[str, Mapping[str, float]],
) -> Iterator[coordlint.Finding]:
    refs = r.references_for(run)
    r.check_overrides(tag_overrides)
    base = r.Tolerance(k, rtol, atol)
    for tag in run.tags:
        if not tag.startswith("eval/") or any(fnmatch.fnmatchcase(tag, p) for p in ignore):
            continue
        holders = [ref for ref in refs if ref.has(tag)]
        if not holders:
            continue
        series = run.series(tag)
        series = series[np.isfinite(series.to_numpy())]
        steps = series.index.to_numpy()
        env = r.envelope(holders, tag, steps, r.tolerance_for(tag, base, tag_overrides))
        if env is None:
            continue
        values = series.to_numpy()[np.isin(steps, env.steps)]
        dev = r.deviation(values, env)
        way = r.better(tag)
        found = r.stretches(r.worse(dev, way), max(1, sustain))
        if not found:
            continue
        outside = np.concatenate([np.arange(a, b) for a, b in found])
        worst = int(outside[np.argmax(np.abs(dev[outside]))])
        yield _finding(tag, series, env, values, dev, way, found, outside, worst)


def _finding(
    tag: str,
    series: object,
    env: r.Envelope,
    values: np.ndarray,
    dev: np.ndarray,
    way: str | None,
    found: list[tuple[int, int]],
    outside: np.ndarray,
    worst: int,
) -> coordlint.Finding:
    first_step = int(env.steps[found[0][0]])
    worst_step = int(env.steps[worst])
    side = "above" if dev[worst] > 0 else "below"
    there = env.refs_at(worst)
    message = (
        f"{tag} is {side} the reference band for {len(outside)} evals from step {first_step}: "
        f"at step {worst_step} it is {values[worst]:.4g}, {abs(dev[worst]):.1f} band "
        f"half-widths {side} the references' {r.center_word(env.count[worst])} "
        f"{env.center[worst]:.4g} (band {env.low[worst]:.4g}–{env.high[worst]:.4g}; "
        f"references there: {there}): this run does not train like its references; "
        "check what changed (data, loss, trainer)"
    )
    return coordlint.Finding(
        message,
        tag=tag,
        step=first_step,
        data={
            "first_step": first_step,
            "evals_outside": len(outside),
            "worst_step": worst_step,
            "value": float(values[worst]),
            "center": float(env.center[worst]),
            "low": float(env.low[worst]),
            "high": float(env.high[worst]),
            "deviation": float(dev[worst]),
            "direction": way or "unknown",
            "references": int(env.count[worst]),
            "reference_values": there,
        },
        series=series,
        band=env.band(),
    )
