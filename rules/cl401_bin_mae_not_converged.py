"""Expected-bin MAE is still moving over the last quarter of evals: training has not converged.

## What it does
Reads ``expected_bin_mae`` (``eval/coord_softce_w1/expected_bin_mae``, else
``eval/coord_diag/expected_bin_mae``): the mean ``|sum_i i*p_i - t|`` in bins (0..999; 21 bins
is about 2% of the image side). Over the last quarter of evals (at least ``min_points``), fits a
Theil–Sen line (the median of pairwise slopes, which one outlier cannot move) and takes
``change = slope × span``. Fires when ``|change|`` is more than ``rel_tol`` of the final value
*and* more than 4 noise widths (the eval-to-eval noise, measured robustly over the last half of
the run), so a noisy plateau does not fire: with 1% eval noise, a converged run fires about once
in 2000. Steps written twice (a resumed run) count once, with their latest value.

## Why it matters
A falling MAE at the end means more steps would still sharpen the coordinates; a rising one
means the coordinates are getting worse. Either way the final checkpoint is not a settled
point, and comparing it with another run's end is premature. Note that this teacher-forced
metric does not predict rollout quality well: the stage-1 runs ended at 20.88, 20.90 and 21.37
bins with very different COCO mAP. Use it to judge convergence, not to rank runs.

## Data
``final`` (the last value), ``change`` (the fitted change over the last quarter, in bins;
negative when still improving).

## Example
``run CL401 [warning] eval/coord_diag/expected_bin_mae is still falling: -2.9 bins (-12.0%) over
the last 12 evals (steps 1560–2000, Theil–Sen), final 24.1: train longer ...``

## Options
- ``rel_tol`` (default ``0.02``): 2% of the final value, i.e. about 0.4 bins at the ~21-bin
  level converged runs reach; the calibration runs moved far less than that over their last
  quarter, while eval noise on this metric is well under 1%.
- ``min_points`` (default ``4``): the fewest evals a trend is fitted on; shorter runs are
  skipped.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

import coordlint

from . import _coord as m
from ._curves import diff_noise, theil_sen

NOISE_WIDTHS = 4.0  # a trend must also stand this many noise widths above the eval noise


@coordlint.rule(
    "CL401",
    "bin-mae-not-converged",
    severity="warning",
    params={"rel_tol": 0.02, "min_points": 4},
)
def bin_mae_not_converged(run: coordlint.Run, params: dict) -> Iterator[coordlint.Finding]:
    rel_tol = float(params["rel_tol"])
    min_points = max(3, int(params["min_points"]))
    tag, mae = m.coord_series(run, "expected_bin_mae")
    if tag is None or len(mae) < min_points:
        return
    window = mae.iloc[-max(min_points, len(mae) // 4) :]
    trend = theil_sen(window.index.to_numpy(), window.to_numpy())
    final = float(mae.iloc[-1])
    change = trend.change
    # The noise is the larger of the scatter around the line and the eval-to-eval jitter over
    # the last half of the run (12 residuals alone often underestimate it).
    noise = max(trend.noise, diff_noise(mae.iloc[-max(2 * min_points, len(mae) // 2) :]))
    noise_sd = 1.1 * noise * float(np.sqrt(12.0 / trend.points))  # sd of change (see _curves)
    if abs(change) <= rel_tol * abs(final) or abs(change) <= NOISE_WIDTHS * noise_sd:
        return
    first, last = int(window.index[0]), int(window.index[-1])
    if change < 0:
        verdict = "still falling"
        advice = "train longer (or lower the LR later) before comparing this run's end"
    else:
        verdict = "rising"
        advice = "the coordinates are getting worse late in training: check the LR schedule"
    relative = f" ({change / final:+.1%})" if final else ""
    yield coordlint.Finding(
        f"{tag} is {verdict}: {change:+.3g} bins{relative} over the last {trend.points} evals "
        f"(steps {first}–{last}, Theil–Sen), final {final:.4g}: {advice}",
        tag=tag,
        step=last,
        data={"final": final, "change": change},
        series=mae,
    )
