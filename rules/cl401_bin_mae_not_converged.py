"""Expected-bin MAE is still moving over the last quarter of the run: training has not converged.

## What it does
Reads ``expected_bin_mae`` (``eval/coord_softce_w1/expected_bin_mae``, else
``eval/coord_diag/expected_bin_mae``): the mean ``|sum_i i*p_i - t|`` in bins (0..999; 21 bins
is about 2% of the image side). Fits a quadratic to the last half of the evals (on the log
scale, robust to outlying evals: Tukey bisquare) and reads off ``change``, the fitted change
over the last quarter of the run's steps. The quadratic lets the curve bend, so a curve that
fell fast and has flattened is not mistaken for one still falling, while using twice the evals
of a line through the last quarter alone. Fires when ``|change|`` is more than ``rel_tol`` of
the final value *and* more than 2.5 times its own noise. The eval noise is estimated from the
curve itself as autocorrelated (AR(1)) noise (consecutive checkpoints' evals wander together),
from the residuals of quadratics fitted to each half of the run (see
``coordlint/rules/_curves.py``). Where the first half holds the steep early descent, which a
quadratic cannot follow, that estimate runs high and the rule errs towards silence: it is what
keeps false alarms away under autocorrelated noise, whose correlation a few dozen evals pin
down only roughly (estimated on the settled part of the curve alone, the noise comes out
right on average but too low on enough runs to cost 0.08 of precision on the benchmark).
Steps written twice (a resumed run) count once, with their latest value.

A run with fewer than ``min_points`` evals cannot separate a trend from eval noise: when its
last quarter moved more than ``rel_tol`` the rule says so at ``info`` and does not warn. A
change above ``rel_tol`` that does not clear the noise is reported at ``info`` too.

**Detectable change.** With white eval noise of relative sd ``σ`` over ``n`` evals, the fitted
last-quarter change has an sd of about ``σ·sqrt(28.5/n)``, so a change of about
``20·σ/sqrt(n)`` (and at least ``rel_tol``) is caught 90% of the time: 3.4% at 1% noise and 5%
at 1.5% noise over 36 evals, 2% (the ``rel_tol`` floor) at 1% noise over 100 evals. Noise whose
consecutive evals correlate by ``phi`` widens that by about ``sqrt((1 + phi) / (1 - phi))``.

**Operating range** (measured by ``benchmarks/accuracy`` over 5,000 runs: last-quarter changes
of ≥ 4% are positives, < 1% negatives): with at least 16 evals and eval noise up to 1%
(Gaussian, Student-t or AR(1) with lag-one correlation up to 0.85), precision 1.0 and recall
0.93 (0.97 on curves still falling; 0.71 on curves that converged fast and then rose late,
whose steep start inflates the noise estimate most). At 1-2% noise recall falls to about 0.6,
at 2-3% to about 0.4: those runs mostly get the ``info``. No false alarm on any converged run at
any noise up to 3%.

**Known limit.** That silence leans on the early descent every benchmark curve has. On a curve
flat from its first eval (a resumed run checked alone, a fine-tune from a converged
checkpoint) it warns on about 2.5% of healthy runs at 2% white eval noise and 6-10% at 2%
autocorrelated noise (``benchmarks/accuracy/cl401_noise.py``); below 1% noise it stays quiet.
Treat a warning on such a run with noisy evals as a prompt to look, not a verdict.

## Why it matters
A falling MAE at the end means more steps would still sharpen the coordinates; a rising one
means the coordinates are getting worse. Either way the final checkpoint is not a settled
point, and comparing it with another run's end is premature. Note that this teacher-forced
metric does not predict rollout quality well: the stage-1 runs ended at 20.88, 20.90 and 21.37
bins with very different COCO mAP. Use it to judge convergence, not to rank runs.

## Data
``final`` (the last value), ``change`` (the fitted change over the last quarter, in bins;
negative when still improving), ``noise`` (the estimated relative sd of the eval noise) and
``phi`` (its lag-one correlation); on a short run, ``evals`` instead of the last two.

## Example
``run CL401 [warning] eval/coord_diag/expected_bin_mae is still falling: -2.9 bins (-12.0%)
over the last quarter (steps 1500–2000; eval noise ±0.8%), final 24.1: train longer ...``

## Options
- ``rel_tol`` (default ``0.02``): 2% of the final value, i.e. about 0.4 bins at the ~21-bin
  level converged runs reach; the calibration runs moved far less than that over their last
  quarter.
- ``min_points`` (default ``16``): the fewest evals the trend is judged on (the noise estimate
  needs a quadratic's residuals over 8 evals in each half); shorter runs get at most an
  ``info`` finding.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

import coordlint

from . import _coord as m
from ._curves import MIN_WINDOW, eval_noise, quadratic_fit

NOISE_WIDTHS = 2.5  # the fitted change must stand this many of its own noise sds above zero


@coordlint.rule(
    "CL401",
    "bin-mae-not-converged",
    severity="warning",
    params={"rel_tol": 0.02, "min_points": 16},
)
def bin_mae_not_converged(
    run: coordlint.Run, rel_tol: float, min_points: int
) -> Iterator[coordlint.Finding]:
    min_points = max(2 * MIN_WINDOW, min_points)
    tag, mae = m.coord_series(run, "expected_bin_mae")
    if tag is None or len(mae) < 2:
        return
    steps = mae.index.to_numpy(dtype=float)
    values = mae.to_numpy(dtype=float)
    final = float(values[-1])
    if (values <= 0).any():
        return  # a bin MAE is positive; these are not its values
    last = int(steps[-1])
    quarter_start = 0.75 * steps[-1]
    if len(values) < min_points:
        before = float(np.interp(quarter_start, steps, values))
        if abs(final - before) > rel_tol * final:
            yield coordlint.Finding(
                f"{tag} moved {(final - before) / final:+.1%} over the last quarter of the run, "
                f"but {len(values)} evals are too few to tell a trend from eval noise (it takes "
                f"{min_points}); final {final:.4g}",
                tag=tag,
                step=last,
                data={"final": final, "change": final - before, "evals": len(values)},
                severity=coordlint.Severity.INFO,
                series=mae,
            )
        return
    logs = np.log(values)
    half = len(values) // 2
    x = steps[-half:]
    coef, solve = quadratic_fit(x, logs[-half:])
    u = max(0.0, (quarter_start - x[0]) / (x[-1] - x[0]))
    contrast = np.array([0.0, 1.0 - u, 1.0 - u * u])
    log_change = float(contrast @ coef)
    change = final * -float(np.expm1(-log_change))  # final minus the fitted value a quarter ago
    # The noise is estimated over the whole run, in its two halves. Where the first half holds
    # the steep early descent, which a quadratic cannot follow, the estimate runs high and the
    # rule errs towards silence: that is what holds its false alarms down under autocorrelated
    # noise, whose lag-one correlation a few dozen evals pin down only roughly.
    noise = eval_noise(logs, half)
    sd = noise.contrast_sd(contrast @ solve) if noise is not None else 0.0
    if abs(change) <= rel_tol * final:
        return
    first = round(max(quarter_start, float(steps[0])))
    data: dict[str, object] = {
        "final": final,
        "change": change,
        "noise": noise.sd if noise else 0.0,
        "phi": noise.phi if noise else 0.0,
    }
    moved = (
        f"{change:+.3g} bins ({change / final:+.1%}) over the last quarter (steps {first}–{last}"
    )
    if abs(log_change) <= NOISE_WIDTHS * sd:
        yield coordlint.Finding(
            f"{tag} moved {moved}), but its evals are too noisy to call that a trend (fitted "
            f"change ±{sd:.1%} at 1 sd): cannot tell whether it has converged; final {final:.4g}",
            tag=tag,
            step=last,
            data=data,
            severity=coordlint.Severity.INFO,
            series=mae,
        )
        return
    if change < 0:
        verdict = "still falling"
        advice = "train longer (or lower the LR later) before comparing this run's end"
    else:
        verdict = "rising"
        advice = "the coordinates are getting worse late in training: check the LR schedule"
    yield coordlint.Finding(
        f"{tag} is {verdict}: {moved}; eval noise ±{data['noise']:.1%}), final {final:.4g}: "
        f"{advice}",
        tag=tag,
        step=last,
        data=data,
        series=mae,
    )
