"""A coord metric or the eval loss ends worse than every reference run, by more than the band.

## What it does
For each coord metric (``ce``, ``soft_ce``, ``w1``, ``gate``, ``p_gt_mean``, ``acc_top5``,
``expected_bin_mae``, ``coord_vocab_mass``, ``margin_mean``, the flip rate; each knows which
way is better) and ``eval/loss``, takes the run's last finite eval and each comparable
reference's value at that step (interpolated between its evals; its last eval when it ended
earlier; a reference that starts later is left out). Fires when the run is worse than *every*
reference there by more than the band's half-width at that step,
``max(k × spread, rtol × |center|, atol)``, computed as CL601 computes it (the median, the
references' sd estimate widened for their number and never below their eval noise; one
reference: rtol/atol only).
Not applicable without references, or when none is comparable.

**Operating range** (``benchmarks/bench_reference.py``, five references): no false alarm on
500 healthy runs drawn like the references; caught 76 of 100 soft-CE curves ending 15%
higher (the run must be worse than the *worst* reference by the band's half-width, about 9
sds of five references' finals: a conservative gate) and all 100 bin MAEs settling 20%
higher.

## Why it matters
Where training ends is what ships. A run whose final coord metrics are worse than the worst
trusted run, by more than their spread, did not reach what the references reached, even when
its curve stayed inside the band until the last evals (a late rise, a schedule cut short).

## Data
``final`` (the run's last eval), ``final_step``, ``worst_reference`` (its value) and
``worst_name``, ``center`` (the references' median there), ``half_width``, ``excess`` (how
far past the worst reference, in half-widths), ``references`` (how many).

## Example
``cand CL603 [warning] eval/coord_softce_w1/soft_ce ends at 3.92 (step 2000), worse than
every reference there (worst 3.68 in ref-2; median 3.63) by 0.24, 2.9 times the band's
half-width 0.0835``

## Options
- ``k`` (default ``4.0``), ``rtol`` (default ``0.02``), ``atol`` (default ``0.0``): the band,
  as in CL601.
- ``tag_overrides`` (default none): ``{tag glob: {k, rtol, atol}}``, as in CL601.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

import coordlint

from . import _coord as m
from . import _reference as r
from . import _spread


def _judged(run: coordlint.Run) -> list[tuple[str, str]]:
    """(tag, better) of every coord metric the run logs, and eval/loss."""
    found = []
    for _, metric, way in m.SUMMARY_METRICS:
        tag = m.coord_tag(run, metric)
        if tag is not None:
            found.append((tag, way))
    if run.has("eval/loss"):
        found.append(("eval/loss", "lower"))
    return found


def _at(ref: coordlint.Reference, tag: str, step: int) -> float:
    curve = ref.curve(tag)
    finite = np.isfinite(curve.values)
    steps, values = curve.steps[finite], curve.values[finite]
    if not len(steps) or step < steps[0]:
        return float("nan")
    return float(np.interp(float(step), steps.astype(np.float64), values))


@coordlint.rule(
    "CL603",
    "final-below-reference",
    severity="warning",
    params={
        "k": r.DEFAULT_TOLERANCE.k,
        "rtol": r.DEFAULT_TOLERANCE.rtol,
        "atol": r.DEFAULT_TOLERANCE.atol,
        "tag_overrides": {},
    },
)
def final_below_reference(
    run: coordlint.Run,
    k: float,
    rtol: float,
    atol: float,
    tag_overrides: Mapping[str, Mapping[str, float]],
) -> Iterator[coordlint.Finding]:
    refs = r.references_for(run)
    r.check_overrides(tag_overrides)
    base = r.Tolerance(k, rtol, atol)
    for tag, way in _judged(run):
        series = run.series(tag)
        series = series[np.isfinite(series.to_numpy())]
        holders = [ref for ref in refs if ref.has(tag)]
        if series.empty or not holders:
            continue
        step, final = int(series.index[-1]), float(series.iloc[-1])
        there = np.array([_at(ref, tag, step) for ref in holders])
        kept = np.isfinite(there)
        if not kept.any():
            continue
        names = [ref.name for ref, ok in zip(holders, kept, strict=True) if ok]
        values = there[kept]
        center, _, spread, count = _spread.center_spread(values[:, None])
        noise = r.eval_noise([h for h, ok in zip(holders, kept, strict=True) if ok], tag)
        tol = r.tolerance_for(tag, base, tag_overrides)
        half = float(r.half_width(center, spread, count, tol, noise)[0])
        i = int(np.argmax(values) if way == "lower" else np.argmin(values))
        excess = final - values[i] if way == "lower" else values[i] - final
        if excess <= half:
            continue
        env = r.envelope(holders, tag, series.index.to_numpy(), tol)
        beyond = (
            f"{excess / half:.1f} times the band's half-width {half:.3g}"
            if half > 0
            else "past a band of zero width"
        )
        yield coordlint.Finding(
            f"{tag} ends at {final:.4g} (step {step}), worse than every reference there "
            f"(worst {values[i]:.4g} in {names[i]}; {r.center_word(len(values))} "
            f"{float(center[0]):.4g}) by {excess:.3g}, {beyond}: this run ends where none of "
            "its references did",
            tag=tag,
            step=step,
            data={
                "final": final,
                "final_step": step,
                "worst_reference": float(values[i]),
                "worst_name": names[i],
                "center": float(center[0]),
                "half_width": half,
                "excess": excess / half if half > 0 else float("inf"),
                "references": len(values),
            },
            series=series,
            band=None if env is None else env.band(),
        )
